// Hdf5File: RAII wrapper over the HDF5 C API for matrices, vectors and attributes.
// Orientation: a d1 x d2 Armadillo matrix appears in h5py/h5dump with shape (d1, d2) and the same
// element at [i, j] (Armadillo is column-major, HDF5 row-major: we transpose on write and read).
// libhdf5 trusts the sizes and addresses a file declares: vclab's own files are compared with their SHA-256
// sidecar before they are opened here (io/sha256_sidecar.hpp); any other file is trusted input (README).
#pragma once
#include <armadillo>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace vclab {

class Hdf5File {
 public:
  // Creates (truncating) a new file. Throws IoError.
  static Hdf5File create(const std::filesystem::path& path);
  // Opens an existing file read-only / read-write. Throws IoError naming the file when it is
  // missing or not an HDF5 file.
  static Hdf5File open_read(const std::filesystem::path& path);
  static Hdf5File open_rw(const std::filesystem::path& path);

  Hdf5File(Hdf5File&& other) noexcept;
  Hdf5File& operator=(Hdf5File&& other) noexcept;
  Hdf5File(const Hdf5File&) = delete;
  Hdf5File& operator=(const Hdf5File&) = delete;
  ~Hdf5File();

  const std::filesystem::path& path() const { return path_; }
  bool is_open() const { return file_id_ >= 0; }

  // Deflate policy: float datasets of kCompressMinElements to kCompressMaxElements elements are stored in chunks
  // with shuffle + deflate at this level (h5py reads them transparently); 0 disables compression. Default 4.
  // Larger float datasets are stored contiguous, unfiltered: measured on recorded Gram and ΔG matrices, doubles
  // shrink only to 82–88 %, and shuffle + deflate runs at 25–90 MB/s on the 2-core VM against 0.2–6 GB/s for
  // writing the raw bytes, so above 8 MiB (kCompressMaxElements doubles) deflate would cost 0.1–0.3 s a dataset to
  // save an eighth of it (a 3072² Gram: 0.8–2.9 s to save 9 MB; reports/performance/README.md §10). Smaller
  // datasets (a 256² Gram, weight files, diag-mode vectors) keep deflate, as before. Byte datasets (write_bytes)
  // are never compressed.
  void set_compression(int level) { compression_level_ = level; }
  static constexpr std::size_t kCompressMinElements = 4096;
  static constexpr std::size_t kCompressMaxElements = std::size_t{1} << 20;

  // 2-D datasets of shape (n_rows, n_cols); float64 for mat, float32 for fmat. Intermediate
  // groups are created; an existing dataset at obj_path is replaced.
  void write_matrix(const std::string& obj_path, const arma::mat& m);
  void write_matrix(const std::string& obj_path, const arma::fmat& m);
  // The same dataset as write_matrix, written without its transposed copy when m is square and equal to its
  // transpose bit for bit (Gram, ΔG, V, AGOP): then the column-major buffer already is the row-major dataset.
  // Any other matrix (also one differing only in a -0.0 against a 0.0, or in a NaN) goes through write_matrix.
  // Returns whether the copy-free path was taken.
  bool write_symmetric_matrix(const std::string& obj_path, const arma::mat& m);
  bool write_symmetric_matrix(const std::string& obj_path, const arma::fmat& m);
  // 1-D datasets of length n_elem.
  void write_vector(const std::string& obj_path, const arma::vec& v);
  void write_vector(const std::string& obj_path, const arma::fvec& v);

  // 1-D uint8 dataset of raw bytes (uncompressed; e.g. a whole file embedded in a checkpoint).
  void write_bytes(const std::string& obj_path, const std::vector<std::uint8_t>& bytes);
  // Reads a 1-D 8-bit integer dataset. Throws IoError for any other shape or type.
  std::vector<std::uint8_t> read_bytes(const std::string& obj_path) const;

  // Reads a 1-D (as an n x 1 column), 2-D or scalar (1 x 1) dataset of any float or integer
  // type, converting to double.
  arma::mat read_matrix(const std::string& obj_path) const;
  // Shape as stored: {n} for 1-D, {rows, cols} for 2-D, {} for scalars.
  std::vector<std::size_t> dataset_shape(const std::string& obj_path) const;

  // True when every component of obj_path exists ("/" always exists).
  bool exists(const std::string& obj_path) const;
  bool is_group(const std::string& obj_path) const;
  bool is_dataset(const std::string& obj_path) const;
  // Sorted names of the children of a group.
  std::vector<std::string> list(const std::string& group_path) const;
  // Creates a group (and its parents) if it does not exist yet.
  void create_group(const std::string& group_path);

  // Scalar attributes on any object ("/" is the root group). Existing attributes are replaced.
  void set_attribute(const std::string& obj_path, const std::string& name, double value);
  void set_attribute(const std::string& obj_path, const std::string& name, std::int64_t value);
  void set_attribute(const std::string& obj_path, const std::string& name, const std::string& value);
  void set_attribute(const std::string& obj_path, const std::string& name, const char* value) {
    set_attribute(obj_path, name, std::string(value));
  }
  void set_attribute(const std::string& obj_path, const std::string& name, int value) {
    set_attribute(obj_path, name, static_cast<std::int64_t>(value));
  }
  bool has_attribute(const std::string& obj_path, const std::string& name) const;
  double get_attribute_double(const std::string& obj_path, const std::string& name) const;
  // Integer attributes; a float attribute is accepted when it holds an integral value.
  std::int64_t get_attribute_int(const std::string& obj_path, const std::string& name) const;
  std::string get_attribute_string(const std::string& obj_path, const std::string& name) const;
  // Sorted attribute names of an object.
  std::vector<std::string> attribute_names(const std::string& obj_path) const;

  // Flushes everything written so far to disk (a killed process leaves a readable file).
  void flush();
  // Closes the file; further calls throw. Also done by the destructor.
  void close();

 private:
  Hdf5File(std::filesystem::path path, std::int64_t file_id, bool writable);
  std::int64_t require_open(const std::string& what) const;
  enum class Element { f64, f32, u8 };
  // data is row-major (HDF5 order), of the given element type.
  void write_dataset(const std::string& obj_path, const void* data,
                     const std::vector<std::size_t>& dims, Element element);
  template <class T> bool write_symmetric(const std::string& obj_path, const arma::Mat<T>& m);  // both overloads

  std::filesystem::path path_;
  std::int64_t file_id_ = -1;  // hid_t (int64_t in HDF5 >= 1.10)
  bool writable_ = false;
  int compression_level_ = 4;
};

}  // namespace vclab
