// load_dataset: finds the files, decodes them with the format readers (through the decoded-data cache,
// data/decoded_cache.hpp), keeps the first N samples (after holding out a validation split when asked),
// converts bytes to float columns and applies the requested normalisation (train statistics).
#include "data/load_dataset.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <future>
#include <optional>
#include <span>
#include <thread>

#include "data/cifar_reader.hpp"
#include "data/data_error.hpp"
#include "data/decoded_cache.hpp"
#include "data/idx_reader.hpp"
#include "data/normalization.hpp"
#include "data/svhn_reader.hpp"
#include "util/huge_pages.hpp"

namespace vclab {
namespace fs = std::filesystem;
namespace {

const std::vector<std::string> kDigitNames{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
const std::vector<std::string> kFashionNames{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                             "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
const std::vector<std::string> kCifar10Names{"airplane", "automobile", "bird", "cat", "deer",
                                             "dog", "frog", "horse", "ship", "truck"};

fs::path file_for(const fs::path& dir, const DatasetInfo& info, const std::string& role) {
  for (const DataFileSpec& file : info.files) {
    if (file.role != role) continue;
    if (auto path = find_dataset_file(dir, info, file)) return *path;
    throw DataError((dir / file.names.front()).string() + ": file not found (" + info.name + " " + role +
                    ", plain or .gz). Put it there or pass --data-dir to the folder holding it.");
  }
  throw DataError("internal: dataset '" + info.name + "' has no file role '" + role + "'");
}

std::optional<fs::path> optional_file(const fs::path& dir, const DatasetInfo& info, const std::string& role) {
  for (const DataFileSpec& file : info.files)
    if (file.role == role) return find_dataset_file(dir, info, file);
  return std::nullopt;
}

// A reader's result for these source files, from the decoded-data cache when it holds them (decoded_cache_dir()).
RawImages decode_cached(const std::string& decoder, const std::vector<fs::path>& sources, const std::function<RawImages()>& decode) {
  return cached_decode(decoded_cache_dir(), decoder, sources, decode);
}

std::string join_paths(const std::vector<std::string>& files) {
  std::string text;
  for (const std::string& f : files) text += (text.empty() ? "" : ", ") + f;
  return text;
}

// Bytes to floats (exact), in blocks of 16 that GCC vectorises at -O2; a plain loop does not vectorise, as a byte
// pointer may alias the output. 154 M pixels for CIFAR-10's training set.
void bytes_to_floats(const std::uint8_t* __restrict in, float* __restrict out, std::size_t n) {
  constexpr std::size_t kBlock = 16;
  std::size_t k = 0;
  for (; k + kBlock <= n; k += kBlock)
    for (std::size_t j = 0; j < kBlock; ++j) out[k + j] = float(in[k + j]);
  for (; k < n; ++k) out[k] = float(in[k]);
}

// bytes_to_floats on up to 4 threads. The cost is the first write to fresh memory: page faults that this VM's
// hypervisor serves, in parallel across vCPUs (614 MB measured: 0.5–1.1 s on one thread, 0.23–0.38 s on two).
void bytes_to_floats_threaded(const std::uint8_t* in, float* out, std::size_t n) {
  constexpr std::size_t kMinPerThread = std::size_t(8) << 20;
  const std::size_t threads = std::clamp<std::size_t>(std::min<std::size_t>(std::thread::hardware_concurrency(), 4), 1,
                                                      std::max<std::size_t>(n / kMinPerThread, 1));
  std::vector<std::thread> helpers;
  const std::size_t chunk = n / threads;
  for (std::size_t t = 1; t < threads; ++t)
    helpers.emplace_back(bytes_to_floats, in + t * chunk, out + t * chunk, t + 1 == threads ? n - t * chunk : chunk);
  bytes_to_floats(in, out, threads == 1 ? n : chunk);
  for (std::thread& helper : helpers) helper.join();
}

// The first `limit` images (0 = all) of `parts`, one after another, as a Dataset of float pixel values 0..255. The
// parts (e.g. CIFAR-10's five batch files) are converted straight into their columns, never concatenated as bytes.
Dataset to_dataset(std::span<const RawImages> parts, std::size_t limit, const std::string& name, std::size_t n_classes,
                   const std::vector<std::string>& files, const char* size_flag) {
  std::size_t available = 0;
  for (const RawImages& part : parts) available += part.count();
  if (limit > available)
    throw DataError(join_paths(files) + ": " + size_flag + "=" + std::to_string(limit) + " requested, but the files hold only " +
                    std::to_string(available) + " samples. Ask for at most " + std::to_string(available) + " (0 = all).");
  const std::size_t n = limit ? limit : available;
  const RawImages& first = parts.front();
  const std::size_t d = first.dim();
  Dataset ds;
  ds.name = name;
  ds.n_classes = n_classes;
  ds.image_shape = {first.channels, first.height, first.width};
  ds.source_files = files;
  ds.x.set_size(d, n);  // (d, N): image i is column i, already in vclab's c*H*W + row*W + col order
  advise_huge_pages(ds.x.memptr(), ds.x.n_elem * sizeof(float));
  ds.y.set_size(n);
  std::size_t done = 0;
  for (const RawImages& part : parts) {
    if (part.dim() != d) throw DataError(join_paths(files) + ": the files hold images of different sizes");
    const std::size_t take = std::min(part.count(), n - done);
    if (take == 0) break;
    bytes_to_floats_threaded(part.pixels.data(), ds.x.colptr(done), take * d);
    for (std::size_t i = 0; i < take; ++i) ds.y[done + i] = part.labels[i];
    done += take;
  }
  return ds;
}

Dataset to_dataset(const RawImages& raw, std::size_t limit, const std::string& name, std::size_t n_classes,
                   const std::vector<std::string>& files, const char* size_flag) {
  return to_dataset(std::span(&raw, 1), limit, name, n_classes, files, size_flag);
}

DatasetSplit load_idx_dataset(const fs::path& dir, const DatasetInfo& info, const DatasetRequest& request,
                              const std::vector<std::string>& class_names) {
  const fs::path train_images = file_for(dir, info, "train-images"), train_labels = file_for(dir, info, "train-labels");
  const fs::path test_images = file_for(dir, info, "test-images"), test_labels = file_for(dir, info, "test-labels");
  DatasetSplit split;
  const auto read_pair = [&](const fs::path& images, const fs::path& labels) {
    return decode_cached("idx-pair-" + std::to_string(info.n_classes), {images, labels},
                         [&] { return read_idx_pair(images, labels, info.n_classes); });
  };
  split.train = to_dataset(read_pair(train_images, train_labels), request.train_size, info.name, info.n_classes,
                           {train_images.string(), train_labels.string()}, "train_size");
  split.test = to_dataset(read_pair(test_images, test_labels), request.test_size, info.name, info.n_classes,
                          {test_images.string(), test_labels.string()}, "test_size");
  split.train.class_names = split.test.class_names = class_names;
  return split;
}

RawImages read_cifar10_cached(const fs::path& path) {
  return decode_cached("cifar10", {path}, [&] { return read_cifar10(path); });
}

// Reads the files all at once, each on its own thread: every read is independent (a page-cache copy into fresh memory
// and a SHA-256 from the decoded cache, or a gunzip and decode on the first run), and this VM serves the page faults
// of its two vCPUs in parallel. A failure is rethrown once every read has finished.
std::vector<RawImages> read_cifar10_files(const std::vector<fs::path>& paths) {
  std::vector<std::future<RawImages>> reads;
  for (const fs::path& path : paths) reads.push_back(std::async(std::launch::async, read_cifar10_cached, path));
  std::vector<RawImages> images;
  for (std::future<RawImages>& read : reads) images.push_back(read.get());
  return images;
}

DatasetSplit load_cifar10(const fs::path& dir, const DatasetInfo& info, const DatasetRequest& request) {
  std::vector<RawImages> train;
  std::vector<std::string> train_files;
  const fs::path test_path = file_for(dir, info, "test_batch");
  std::optional<RawImages> test;
  if (request.train_size == 0) {  // the whole training set: the six files in parallel
    std::vector<fs::path> paths;
    for (int batch = 1; batch <= 5; ++batch) paths.push_back(file_for(dir, info, "data_batch_" + std::to_string(batch)));
    paths.push_back(test_path);
    train = read_cifar10_files(paths);
    test = std::move(train.back());
    train.pop_back();
    for (std::size_t i = 0; i < train.size(); ++i) train_files.push_back(paths[i].string());
  } else {
    std::size_t train_count = 0;
    for (int batch = 1; batch <= 5 && train_count < request.train_size; ++batch) {  // stop once train_size are in hand
      const fs::path path = file_for(dir, info, "data_batch_" + std::to_string(batch));
      train.push_back(read_cifar10_cached(path));
      train_count += train.back().count();
      train_files.push_back(path.string());
    }
    test = read_cifar10_cached(test_path);
  }
  DatasetSplit split;
  split.train = to_dataset(train, request.train_size, info.name, 10, train_files, "train_size");
  split.test = to_dataset(*test, request.test_size, info.name, 10, {test_path.string()}, "test_size");
  std::vector<std::string> names = kCifar10Names;
  if (auto meta = optional_file(dir, info, "class-names")) names = read_class_names(*meta, 10);
  split.train.class_names = split.test.class_names = names;
  return split;
}

DatasetSplit load_cifar100(const fs::path& dir, const DatasetInfo& info, const DatasetRequest& request) {
  const Cifar100Labels which = request.cifar100_coarse ? Cifar100Labels::coarse : Cifar100Labels::fine;
  const std::size_t n_classes = request.cifar100_coarse ? 20 : 100;
  const fs::path train_path = file_for(dir, info, "train"), test_path = file_for(dir, info, "test");
  const auto read = [&](const fs::path& path) {
    return decode_cached(request.cifar100_coarse ? "cifar100-coarse" : "cifar100-fine", {path},
                         [&] { return read_cifar100(path, which); });
  };
  DatasetSplit split;
  split.train = to_dataset(read(train_path), request.train_size, info.name, n_classes, {train_path.string()}, "train_size");
  split.test = to_dataset(read(test_path), request.test_size, info.name, n_classes, {test_path.string()}, "test_size");
  if (auto names = optional_file(dir, info, request.cifar100_coarse ? "coarse-class-names" : "fine-class-names"))
    split.train.class_names = split.test.class_names = read_class_names(*names, n_classes);
  return split;
}

DatasetSplit load_svhn(const fs::path& dir, const DatasetInfo& info, const DatasetRequest& request) {
  const fs::path train_path = file_for(dir, info, "train"), test_path = file_for(dir, info, "test");
  const auto read = [](const fs::path& path) { return decode_cached("svhn", {path}, [&] { return read_svhn_mat(path); }); };
  DatasetSplit split;
  split.train = to_dataset(read(train_path), request.train_size, info.name, 10, {train_path.string()}, "train_size");
  split.test = to_dataset(read(test_path), request.test_size, info.name, 10, {test_path.string()}, "test_size");
  split.train.class_names = split.test.class_names = kDigitNames;
  return split;
}

// Keeps the first n columns (0 = all) of a generated dataset.
void take_first(Dataset& ds, std::size_t n, const char* size_flag) {
  if (n == 0) return;
  if (n > ds.size())
    throw DataError(ds.name + ": " + size_flag + "=" + std::to_string(n) + " requested, but only " +
                    std::to_string(ds.size()) + " samples are generated; raise the synthetic sample count.");
  ds.x = ds.x.cols(0, n - 1);
  ds.y = ds.y.subvec(0, n - 1);
  if (!ds.targets.is_empty()) ds.targets = ds.targets.cols(0, n - 1);
}

// Decodes both splits (bytes for images, real values for synthetic data); no normalisation yet.
DatasetSplit decode_dataset(const DatasetRequest& request, InputScale* scale) {
  const std::string name = canonical_dataset_name(request.name);
  if (is_synthetic_dataset(name)) {
    DatasetSplit split = name == "synthetic-teacher" ? make_teacher_dataset(request.synthetic, request.seed)
                                                     : make_single_index_dataset(request.synthetic, request.seed);
    take_first(split.train, request.train_size, "train_size");
    take_first(split.test, request.test_size, "test_size");
    *scale = InputScale::real;
    return split;
  }
  const DatasetInfo& info = dataset_info(name);
  const fs::path dir = resolve_data_dir(name, request.data_dir);
  *scale = InputScale::bytes;
  if (name == "mnist") return load_idx_dataset(dir, info, request, kDigitNames);
  if (name == "fashion-mnist") return load_idx_dataset(dir, info, request, kFashionNames);
  if (name == "cifar10") return load_cifar10(dir, info, request);
  if (name == "cifar100") return load_cifar100(dir, info, request);
  return load_svhn(dir, info, request);
}

// Moves the last round(fraction * N) training samples into split.validation and keeps the first
// train_size (0 = all) of the samples before them for training.
void carve_validation(DatasetSplit& split, double fraction, std::size_t train_size) {
  Dataset& train = split.train;
  const std::size_t n = train.size();
  const auto n_val = std::size_t(std::llround(fraction * double(n)));
  if (n_val == 0 || n_val >= n)
    throw DataError(train.name + ": val_fraction=" + std::to_string(fraction) + " of " + std::to_string(n) +
                    " training samples leaves " + (n_val == 0 ? "no validation sample" : "no training sample") +
                    "; pick a fraction in (0, 1) that leaves both");
  const std::size_t available = n - n_val;
  if (train_size > available)
    throw DataError(train.name + ": train_size=" + std::to_string(train_size) + " requested, but only " +
                    std::to_string(available) + " training samples lie before the validation split (the last " +
                    std::to_string(n_val) + "). Ask for at most " + std::to_string(available) + " (0 = all).");
  split.validation = train;  // keeps name, classes, shape and files
  split.validation.x = train.x.tail_cols(n_val);
  split.validation.y = train.y.tail(n_val);
  if (!train.targets.is_empty()) split.validation.targets = train.targets.tail_cols(n_val);
  take_first(train, train_size ? train_size : available, "train_size");
}

}  // namespace

DatasetSplit load_dataset(const DatasetRequest& request) {
  if (!(request.val_fraction >= 0 && request.val_fraction < 1))
    throw DataError("val_fraction must be in [0, 1) (got " + std::to_string(request.val_fraction) + ")");
  DatasetRequest whole = request;
  if (request.val_fraction > 0) whole.train_size = 0;  // the split is taken from the whole training set
  InputScale scale = InputScale::bytes;
  DatasetSplit split = decode_dataset(whole, &scale);
  if (request.val_fraction > 0) carve_validation(split, request.val_fraction, request.train_size);
  normalize_split(split, request.normalize, scale);
  return split;
}

}  // namespace vclab
