// Catalog of the datasets vclab knows: names, files (and where inside a data directory they may
// sit), expected sample counts and published checksums. No decoding here: lookups are cheap.
#pragma once
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace vclab {

struct DataFileSpec {
  std::string role;                // "train-images", "data_batch_1", "class-names", ...
  std::vector<std::string> names;  // accepted file names, each also tried with ".gz" when gz_allowed
  bool required = true;            // class-name files are optional
  std::string md5;                 // published MD5 of the uncompressed content; empty if unknown
};

struct DatasetInfo {
  std::string name;                   // canonical name, also the data-directory name
  std::string description;
  std::vector<std::string> subdirs;   // original archives' folders, searched after the directory itself
  std::vector<DataFileSpec> files;
  std::size_t n_train = 0;            // sample counts of the official release
  std::size_t n_test = 0;
  std::size_t n_classes = 0;
  bool gz_allowed = true;             // SVHN .mat files are read by matio, so plain only
  std::size_t input_dim = 0;          // d_0 = channels * height * width of the flattened images
};

// Every dataset name load_dataset accepts, real ones first:
// mnist, fashion-mnist, cifar10, cifar100, svhn, synthetic-teacher, synthetic-single-index.
std::vector<std::string> dataset_names();
std::vector<std::string> real_dataset_names();
bool is_synthetic_dataset(const std::string& name);

// Maps accepted spellings (e.g. "cifar-10", "fashion_mnist", "CIFAR10") to the canonical name;
// throws DataError listing the valid names otherwise.
std::string canonical_dataset_name(const std::string& name);

// Catalog entry of a real dataset (throws DataError for synthetic or unknown names).
const DatasetInfo& dataset_info(const std::string& name);

// Where `file` sits under `dir`: tries dir/<sub>/<name> then dir/<sub>/<name>.gz for sub = "" and
// each of info.subdirs. Anything at that path counts (a directory there is reported when read).
std::optional<std::filesystem::path> find_dataset_file(const std::filesystem::path& dir, const DatasetInfo& info,
                                                       const DataFileSpec& file);

// Roles of required files that are not under `dir` (empty => the directory holds the dataset).
std::vector<std::string> missing_dataset_files(const std::filesystem::path& dir, const DatasetInfo& info);

}  // namespace vclab
