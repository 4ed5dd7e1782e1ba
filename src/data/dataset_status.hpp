// Logic of `vclab datasets list|verify`: which datasets are where (cheap), and a full decode with
// sample counts and MD5 checksums compared against published values. Plain structs for serialising.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace vclab {

struct DatasetFileStatus {
  std::string role;             // "train-images", "data_batch_1", "class-names", ...
  std::string path;             // where it was found; empty when missing
  bool found = false;
  bool required = true;
  std::uintmax_t size_bytes = 0;  // on disk (compressed size for .gz)
  // Filled by verify only:
  std::size_t records = 0;      // images, labels or class names decoded from this file
  std::string md5;              // MD5 of the UNCOMPRESSED content
  std::string sha256;           // SHA-256 of the uncompressed content, for provenance records
  std::string expected_md5;     // published MD5; empty when none is known
  std::string checksum;         // "match", "MISMATCH", "unpublished" (no known value), "" (not verified)
  std::string error;            // decode error message, empty when fine
};

struct DatasetStatus {
  std::string name;
  std::string description;
  bool synthetic = false;       // generated on demand: always available, no files
  bool found = false;           // a directory with every required file was found
  std::string directory;        // that directory
  std::vector<std::string> searched;  // every place looked, with why each was rejected
  std::vector<DatasetFileStatus> files;
  // Filled by verify only:
  bool verified = false;
  bool ok = false;              // found, all decoded, counts as published, no checksum mismatch
  std::size_t n_train = 0;
  std::size_t n_test = 0;
  std::size_t expected_train = 0;
  std::size_t expected_test = 0;
  std::vector<std::string> problems;  // human-readable, one per issue
};

// One entry per name in dataset_names(); checks file presence and sizes only (no decoding).
std::vector<DatasetStatus> list_datasets(const std::string& data_dir_flag);

// Decodes every file of `name` (throws DataError only for an unknown name): counts, label ranges,
// image/label agreement, MD5 of each file's uncompressed content against published checksums.
DatasetStatus verify_dataset(const std::string& name, const std::string& data_dir_flag);

// A plain-text table of statuses (per-file lines and problems included when verified).
std::string format_status(const std::vector<DatasetStatus>& statuses);

}  // namespace vclab
