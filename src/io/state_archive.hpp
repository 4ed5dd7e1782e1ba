// StateArchive: what training checkpoints need from a file — named matrices, byte blobs and integer or text
// attributes in a tree of groups ("/rule/layer0/shift"). The trainer, update rules and observers save and
// restore their state through this interface only; the one implementation (io/state_archive.cpp) stores it
// as HDF5 (io/hdf5_file.hpp), so src/train does not depend on the file format.
#pragma once
#include <armadillo>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace vclab {

class StateArchive {
 public:
  virtual ~StateArchive() = default;
  virtual const std::filesystem::path& path() const = 0;  // named in errors

  // Writing. Intermediate groups are created; matrices keep their precision (float64 or float32).
  virtual void create_group(const std::string& group) = 0;
  virtual void write_matrix(const std::string& key, const arma::mat& m) = 0;
  virtual void write_matrix(const std::string& key, const arma::fmat& m) = 0;
  virtual void write_vector(const std::string& key, const arma::vec& v) = 0;
  virtual void write_bytes(const std::string& key, const std::vector<std::uint8_t>& bytes) = 0;
  virtual void set_attribute(const std::string& object, const std::string& name, std::int64_t value) = 0;
  virtual void set_attribute(const std::string& object, const std::string& name, const std::string& value) = 0;
  virtual void close() = 0;  // everything written is on disk

  // Reading. Throws IoError naming the file and the key when it is missing or of another type.
  virtual arma::mat read_matrix(const std::string& key) const = 0;  // vectors as n x 1, converted to double
  virtual std::vector<std::uint8_t> read_bytes(const std::string& key) const = 0;
  virtual std::int64_t get_attribute_int(const std::string& object, const std::string& name) const = 0;
  virtual std::string get_attribute_string(const std::string& object, const std::string& name) const = 0;
  virtual bool has_attribute(const std::string& object, const std::string& name) const = 0;
  virtual bool exists(const std::string& key) const = 0;
};

// A new archive at `path` (truncating; uncompressed, as checkpoints are written every epoch). Throws IoError.
std::unique_ptr<StateArchive> create_state_archive(const std::filesystem::path& path);
// An existing archive, read-only. Throws IoError naming the file when it is missing or not an archive.
std::unique_ptr<StateArchive> open_state_archive(const std::filesystem::path& path);

}  // namespace vclab
