// The on-disk recording format (HDF5, readable with h5py): /<quantity>/layer<l>/<k>, k = checkpoint
// index as 6 digits. Diag mode stores a 1-D dataset of length d, full mode a 2-D (d, d) dataset.
// Each dataset carries attributes step (int64), epoch (double), lr (double), mode ("diag"|"full").
#pragma once
#include <armadillo>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io/hdf5_file.hpp"

namespace vclab {

struct CheckpointMeta {
  std::int64_t step = 0;  // optimiser steps done
  double epoch = 0;       // fractional epochs done
  double lr = 0;          // learning rate in use
};

struct Recording {
  std::string quantity;
  std::size_t layer = 0;
  std::size_t checkpoint = 0;
  CheckpointMeta meta;
  bool diag = false;
  arma::mat data;  // diag: (d, 1); full: (d, d)
};

// "/<quantity>/layer<l>/<k as 6 digits>", e.g. "/gram/layer0/000012".
std::string recording_path(const std::string& quantity, std::size_t layer, std::size_t checkpoint);

enum class StoredPrecision { Float64, Float32 };

// Whether a full-mode recording equals its transpose (Gram, ΔG, V, AGOP, EGOP). A symmetric one is written without
// a transposed copy (Hdf5File::write_symmetric_matrix); the stored dataset is the same either way.
enum class Symmetry { general, symmetric };

// Writes recordings to final_path + ".partial"; close() writes final_path's SHA-256 sidecar
// (io/sha256_sidecar.hpp) and renames it onto final_path. A process that dies (or a writer destroyed
// without close()) leaves only the .partial file, readable up to the last flush().
class RecordingWriter {
 public:
  explicit RecordingWriter(const std::filesystem::path& final_path,
                           StoredPrecision precision = StoredPrecision::Float64);
  RecordingWriter(RecordingWriter&&) noexcept = default;
  RecordingWriter& operator=(RecordingWriter&&) noexcept = default;
  ~RecordingWriter() = default;  // closes the HDF5 file, leaves the .partial

  const std::filesystem::path& final_path() const { return final_path_; }
  const std::filesystem::path& partial_path() const { return partial_path_; }

  // diag: data is (d, 1), stored 1-D; otherwise data is stored 2-D as is. Throws
  // std::invalid_argument for an empty or '/'-containing quantity name or a diag matrix with more
  // than one column; IoError when writing fails or after close().
  void add(const std::string& quantity, std::size_t layer, std::size_t checkpoint, const CheckpointMeta& meta,
           const arma::mat& data, bool diag, Symmetry symmetry = Symmetry::general);

  void set_root_attribute(const std::string& name, const std::string& value);
  void set_root_attribute(const std::string& name, const char* value) { set_root_attribute(name, std::string(value)); }
  void set_root_attribute(const std::string& name, double value);
  void set_root_attribute(const std::string& name, std::int64_t value);
  void set_root_attribute(const std::string& name, int value) { set_root_attribute(name, std::int64_t{value}); }

  void flush();
  // Training checkpoints: snapshot() flushes and returns the bytes of the .partial file as it stands;
  // restore(bytes) replaces the .partial file with such a snapshot and continues writing into it, so
  // a resumed run's file holds the same datasets as an uninterrupted one. Throw IoError.
  std::vector<std::uint8_t> snapshot();
  void restore(const std::vector<std::uint8_t>& bytes);
  // Flushes, closes, writes final_path.sha256 and renames the .partial file onto final_path. Idempotent.
  void close();
  bool closed() const { return closed_; }

 private:
  Hdf5File& file();

  std::filesystem::path final_path_;
  std::filesystem::path partial_path_;
  std::optional<Hdf5File> file_;
  StoredPrecision precision_;
  bool closed_ = false;
};

// Reads a recording file. The index (which quantities, layers and checkpoints exist) is built on
// load; data is read on demand. Copies share the open file.
class RecordingsReader {
 public:
  // Throws IoError naming the file when it is missing (mentioning a .partial file if one exists),
  // does not match its SHA-256 sidecar or has none (a .partial file, unfinished, has none and is read
  // as it is), is not HDF5, or is not laid out as /<quantity>/layer<l>/<k>.
  static RecordingsReader load(const std::filesystem::path& path);

  const std::filesystem::path& path() const;
  std::vector<std::string> quantities() const;  // sorted
  bool has(const std::string& quantity) const;
  std::vector<std::size_t> layers(const std::string& quantity) const;  // ascending
  std::vector<std::size_t> checkpoints(const std::string& quantity, std::size_t layer) const;  // ascending

  // All checkpoints of one quantity and layer, sorted by checkpoint. Throws IoError naming what
  // is available when the quantity or layer is absent.
  std::vector<Recording> series(const std::string& quantity, std::size_t layer) const;
  Recording last(const std::string& quantity, std::size_t layer) const;
  std::optional<Recording> at(const std::string& quantity, std::size_t layer, std::size_t checkpoint) const;

  bool has_root_attribute(const std::string& name) const;
  double root_attribute_double(const std::string& name) const;
  std::int64_t root_attribute_int(const std::string& name) const;
  std::string root_attribute_string(const std::string& name) const;
  // A comma-separated list of sizes ("3,32,32"); empty when the attribute is absent.
  std::vector<std::size_t> root_attribute_sizes(const std::string& name) const;

 private:
  struct Index;
  std::shared_ptr<const Index> index_;
  std::shared_ptr<const Hdf5File> file_;

  const std::vector<std::size_t>& checkpoint_list(const std::string& quantity, std::size_t layer) const;
  Recording read(const std::string& quantity, std::size_t layer, std::size_t checkpoint) const;
};

}  // namespace vclab
