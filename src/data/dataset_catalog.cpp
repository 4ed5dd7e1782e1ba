// Catalog of known datasets. Checksums: MNIST and CIFAR-10 as listed in ../shared/data/*/PROVENANCE.md
// (the original files' published MD5s); Fashion-MNIST's uncompressed-file MD5s as listed next to the
// official .gz ones in public loaders (Zalando publishes only the .gz MD5s; Debian's recompressed .gz
// differ from those but decompress to exactly these); SVHN's as in torchvision's SVHN class.
#include "data/dataset_catalog.hpp"

#include <algorithm>
#include <cctype>

#include "data/data_error.hpp"

namespace vclab {
namespace fs = std::filesystem;
namespace {

std::vector<DatasetInfo> build_catalog() {
  std::vector<DatasetInfo> all;
  all.push_back({"mnist", "MNIST handwritten digits, IDX files (LeCun, Cortes, Burges)", {},
                 {{"train-images", {"train-images-idx3-ubyte", "train-images.idx3-ubyte"}, true,
                   "6bbc9ace898e44ae57da46a324031adb"},
                  {"train-labels", {"train-labels-idx1-ubyte", "train-labels.idx1-ubyte"}, true,
                   "a25bea736e30d166cdddb491f175f624"},
                  {"test-images", {"t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte"}, true,
                   "2646ac647ad5339dbf082846283269ea"},
                  {"test-labels", {"t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte"}, true,
                   "27ae3e4e09519cfbb04c329615203637"}},
                 60000, 10000, 10, true, 784});
  all.push_back({"fashion-mnist", "Fashion-MNIST (Zalando), IDX files; Debian: dataset-fashion-mnist", {},
                 {{"train-images", {"train-images-idx3-ubyte"}, true, "f4a8712d7a061bf5bd6d2ca38dc4d50a"},
                  {"train-labels", {"train-labels-idx1-ubyte"}, true, "9018921c3c673c538a1fc5bad174d6f9"},
                  {"test-images", {"t10k-images-idx3-ubyte"}, true, "8181f5470baa50b63fa0f6fddb340f0a"},
                  {"test-labels", {"t10k-labels-idx1-ubyte"}, true, "15d484375f8d13e6eb1aabb0c3f46965"}},
                 60000, 10000, 10, true, 784});
  all.push_back({"cifar10", "CIFAR-10 binary version (Krizhevsky 2009)", {"cifar-10-batches-bin"},
                 {{"data_batch_1", {"data_batch_1.bin"}, true, "5dd7e06a14cb22eb9f671a540d1b7c25"},
                  {"data_batch_2", {"data_batch_2.bin"}, true, "5ea93a67294ea407fff1d09f752e9692"},
                  {"data_batch_3", {"data_batch_3.bin"}, true, "942cd6a4bcdd0dd3c604fbe906cb4421"},
                  {"data_batch_4", {"data_batch_4.bin"}, true, "ae636b3ba5c66a11e91e8cb52e771fcb"},
                  {"data_batch_5", {"data_batch_5.bin"}, true, "53f37980c15c3d472c316c40844f3f0d"},
                  {"test_batch", {"test_batch.bin"}, true, "803d5f7f4d78ea53de84dbe85f74fb6d"},
                  {"class-names", {"batches.meta.txt"}, false, ""}},
                 50000, 10000, 10, true, 3072});
  all.push_back({"cifar100", "CIFAR-100 binary version (Krizhevsky 2009)", {"cifar-100-binary"},
                 {{"train", {"train.bin"}, true, ""},
                  {"test", {"test.bin"}, true, ""},
                  {"fine-class-names", {"fine_label_names.txt"}, false, ""},
                  {"coarse-class-names", {"coarse_label_names.txt"}, false, ""}},
                 50000, 10000, 100, true, 3072});
  all.push_back({"svhn", "SVHN cropped digits, MATLAB files (Netzer et al. 2011)", {},
                 {{"train", {"train_32x32.mat"}, true, "e26dedcc434d2e4c54c9b2d4a06d8373"},
                  {"test", {"test_32x32.mat"}, true, "eb5a983be6a315427106f1b164d9cef3"}},
                 73257, 26032, 10, false, 3072});
  return all;
}

const std::vector<DatasetInfo>& catalog() {
  static const std::vector<DatasetInfo> all = build_catalog();
  return all;
}

std::string join(const std::vector<std::string>& items) {
  std::string text;
  for (const std::string& item : items) text += (text.empty() ? "" : ", ") + item;
  return text;
}

}  // namespace

std::vector<std::string> real_dataset_names() {
  std::vector<std::string> names;
  for (const DatasetInfo& info : catalog()) names.push_back(info.name);
  return names;
}

std::vector<std::string> dataset_names() {
  std::vector<std::string> names = real_dataset_names();
  names.push_back("synthetic-teacher");
  names.push_back("synthetic-single-index");
  return names;
}

bool is_synthetic_dataset(const std::string& name) { return name == "synthetic-teacher" || name == "synthetic-single-index"; }

std::string canonical_dataset_name(const std::string& name) {
  // Lower-case, and drop '-' and '_' so "CIFAR-10", "cifar_10" and "Fashion_MNIST" all match.
  auto squash = [](const std::string& s) {
    std::string out;
    for (char c : s)
      if (c != '-' && c != '_') out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    return out;
  };
  const std::string key = squash(name);
  for (const std::string& canonical : dataset_names())
    if (squash(canonical) == key) return canonical;
  throw DataError("unknown dataset '" + name + "'; valid: " + join(dataset_names()));
}

const DatasetInfo& dataset_info(const std::string& name) {
  const std::string canonical = canonical_dataset_name(name);
  for (const DatasetInfo& info : catalog())
    if (info.name == canonical) return info;
  throw DataError("dataset '" + canonical + "' is generated, not read from files: it has no files or data directory.");
}

std::optional<fs::path> find_dataset_file(const fs::path& dir, const DatasetInfo& info, const DataFileSpec& file) {
  std::vector<fs::path> folders{dir};
  for (const std::string& sub : info.subdirs) folders.push_back(dir / sub);
  std::error_code ec;
  for (const fs::path& folder : folders) {
    for (const std::string& name : file.names) {
      if (fs::exists(folder / name, ec)) return folder / name;
      if (info.gz_allowed && fs::exists(folder / (name + ".gz"), ec)) return folder / (name + ".gz");
    }
  }
  return std::nullopt;
}

std::vector<std::string> missing_dataset_files(const fs::path& dir, const DatasetInfo& info) {
  std::vector<std::string> missing;
  for (const DataFileSpec& file : info.files)
    if (file.required && !find_dataset_file(dir, info, file)) missing.push_back(file.names.front());
  return missing;
}

}  // namespace vclab
