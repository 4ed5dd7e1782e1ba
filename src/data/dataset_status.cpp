// `vclab datasets list|verify` logic: presence from the catalog and data-dir search; verify decodes
// each file once (bytes -> checksum -> parser) and compares counts and MD5s with published values.
#include "data/dataset_status.hpp"

#include <iomanip>
#include <sstream>

#include "data/checksum.hpp"
#include "data/cifar_reader.hpp"
#include "data/data_dir.hpp"
#include "data/data_error.hpp"
#include "data/dataset_catalog.hpp"
#include "data/file_bytes.hpp"
#include "data/idx_reader.hpp"
#include "data/svhn_reader.hpp"

namespace vclab {
namespace fs = std::filesystem;
namespace {

DatasetStatus locate(const std::string& name, const std::string& data_dir_flag) {
  DatasetStatus status;
  status.name = name;
  if (is_synthetic_dataset(name)) {
    status.synthetic = true;
    status.found = true;
    status.description = name == "synthetic-teacher" ? "Gaussian inputs, random teacher MLP labels (generated)"
                                                     : "Gaussian inputs, single-index target g(beta^T x) (generated)";
    status.directory = "(generated)";
    return status;
  }
  const DatasetInfo& info = dataset_info(name);
  status.description = info.description;
  status.expected_train = info.n_train;
  status.expected_test = info.n_test;
  const DataDirSearch search = search_data_dir(name, data_dir_flag);
  status.searched = search.tried;
  status.found = search.found.has_value();
  if (status.found) status.directory = search.found->string();
  for (const DataFileSpec& spec : info.files) {
    DatasetFileStatus file;
    file.role = spec.role;
    file.required = spec.required;
    file.expected_md5 = spec.md5;
    if (search.found) {
      if (auto path = find_dataset_file(*search.found, info, spec)) {
        std::error_code ec;
        file.found = true;
        file.path = path->string();
        const auto size = fs::file_size(*path, ec);
        file.size_bytes = ec ? 0 : size;
      }
    }
    status.files.push_back(file);
  }
  return status;
}

// Decodes one file of dataset `name` from its (uncompressed) bytes; returns the number of records.
std::size_t decode_file(const std::string& name, const DatasetFileStatus& file, const std::vector<std::uint8_t>& bytes) {
  const std::string& role = file.role;
  if (role.find("class-names") != std::string::npos) {
    const std::size_t n = role == "coarse-class-names" ? 20 : dataset_info(name).n_classes;
    return read_class_names(file.path, n).size();
  }
  if (name == "mnist" || name == "fashion-mnist") {
    if (role.ends_with("images")) return parse_idx_images(bytes, file.path).count();
    return parse_idx_labels(bytes, file.path, 10).size();
  }
  if (name == "cifar10") return parse_cifar10(bytes, file.path).count();
  if (name == "cifar100") return parse_cifar100(bytes, file.path).count();  // checks coarse and fine ranges
  return read_svhn_mat(file.path).count();
}

std::size_t records_of(const DatasetStatus& status, const std::string& role) {
  for (const DatasetFileStatus& f : status.files)
    if (f.role == role) return f.records;
  return 0;
}

}  // namespace

std::vector<DatasetStatus> list_datasets(const std::string& data_dir_flag) {
  std::vector<DatasetStatus> statuses;
  for (const std::string& name : dataset_names()) statuses.push_back(locate(name, data_dir_flag));
  return statuses;
}

DatasetStatus verify_dataset(const std::string& name, const std::string& data_dir_flag) {
  DatasetStatus status = locate(canonical_dataset_name(name), data_dir_flag);
  status.verified = true;
  if (status.synthetic) {
    status.ok = true;
    return status;
  }
  if (!status.found) {
    status.problems.push_back("not found; pass --data-dir DIR or set VCLAB_DATA (places looked are listed)");
    return status;
  }
  for (DatasetFileStatus& file : status.files) {
    if (!file.found) continue;  // only optional files can be absent here
    try {
      const std::vector<std::uint8_t> bytes =
          status.name == "svhn" ? read_raw_file_bytes(file.path) : read_file_bytes(file.path);
      file.md5 = md5_hex(bytes);
      file.sha256 = sha256_hex(bytes);
      file.checksum = file.expected_md5.empty() ? "unpublished" : file.md5 == file.expected_md5 ? "match" : "MISMATCH";
      if (file.checksum == "MISMATCH")
        status.problems.push_back(file.path + ": MD5 of the uncompressed content is " + file.md5 + ", expected " +
                                  file.expected_md5 + " (the published value): the file differs from the original release.");
      file.records = decode_file(status.name, file, bytes);
    } catch (const DataError& e) {
      file.error = e.what();
      status.problems.push_back(e.what());
    }
  }
  if (status.name == "mnist" || status.name == "fashion-mnist") {
    status.n_train = records_of(status, "train-images");
    status.n_test = records_of(status, "test-images");
    for (const char* split : {"train", "test"}) {
      const std::size_t images = records_of(status, std::string(split) + "-images");
      const std::size_t labels = records_of(status, std::string(split) + "-labels");
      if (images != labels)
        status.problems.push_back(std::string(split) + ": " + std::to_string(images) + " images but " +
                                  std::to_string(labels) + " labels; expected equal counts.");
    }
  } else if (status.name == "cifar10") {
    for (int batch = 1; batch <= 5; ++batch) status.n_train += records_of(status, "data_batch_" + std::to_string(batch));
    status.n_test = records_of(status, "test_batch");
  } else {
    status.n_train = records_of(status, "train");
    status.n_test = records_of(status, "test");
  }
  if (status.n_train != status.expected_train || status.n_test != status.expected_test)
    status.problems.push_back("decoded " + std::to_string(status.n_train) + " train / " + std::to_string(status.n_test) +
                              " test samples, expected " + std::to_string(status.expected_train) + " / " +
                              std::to_string(status.expected_test) + " (the official release).");
  status.ok = status.problems.empty();
  return status;
}

std::string format_status(const std::vector<DatasetStatus>& statuses) {
  std::ostringstream out;
  out << std::left << std::setw(24) << "dataset" << std::setw(11) << "status" << std::right << std::setw(8)
      << "train" << std::setw(8) << "test" << "  " << "location\n";
  for (const DatasetStatus& s : statuses) {
    const std::string state = s.synthetic ? "generated"
                              : !s.found  ? "missing"
                              : !s.verified ? "found"
                              : s.ok        ? "ok"
                                            : "FAILED";
    const bool counts = s.verified && s.found && !s.synthetic;
    out << std::left << std::setw(24) << s.name << std::setw(11) << state << std::right << std::setw(8)
        << (counts ? std::to_string(s.n_train) : "-") << std::setw(8) << (counts ? std::to_string(s.n_test) : "-")
        << "  " << (s.found ? s.directory : "-") << "\n";
    if (!s.found && !s.synthetic)
      for (const std::string& place : s.searched) out << "    looked in " << place << "\n";
    for (const DatasetFileStatus& f : s.files) {
      if (!s.found) break;
      out << "    " << std::left << std::setw(20) << f.role << std::right;
      if (!f.found) {
        out << (f.required ? "MISSING" : "absent (optional)") << "\n";
        continue;
      }
      out << fs::path(f.path).filename().string() << "  " << f.size_bytes << " B";
      if (s.verified) {
        out << "  " << f.records << " records";
        if (!f.md5.empty()) out << "  md5 " << f.md5 << " " << f.checksum;
        if (!f.error.empty()) out << "  ERROR";
      }
      out << "\n";
    }
    for (const std::string& problem : s.problems) out << "    problem: " << problem << "\n";
  }
  return out.str();
}

}  // namespace vclab
