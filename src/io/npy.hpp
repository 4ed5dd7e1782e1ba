// NumPy .npy files (format versions 1.0, 2.0, 3.0): read float32/float64/int32/int64/uint8
// little-endian arrays of 0, 1 or 2 dimensions, C or Fortran order; write float64/float32 in C order.
// Orientation: a numpy array of shape (r, c) reads as an r x c matrix with the same [i, j] elements.
#pragma once
#include <armadillo>
#include <filesystem>
#include <string>
#include <vector>

namespace vclab {

// What the .npy header says.
struct NpyHeader {
  std::string descr;                // e.g. "<f8"
  bool fortran_order = false;
  std::vector<std::size_t> shape;   // () for scalars
  std::size_t data_offset = 0;      // bytes from the start of the file to the data
};

// Parses the header only. Throws IoError naming the file for anything malformed.
NpyHeader read_npy_header(const std::filesystem::path& path);

// Reads a 0-D (1 x 1), 1-D (n x 1 column) or 2-D (same shape as numpy) array, converting to
// double. Throws IoError naming the file for a missing file, bad magic, unsupported dtype or
// byte order, more than 2 dimensions, or truncated data.
arma::mat read_npy(const std::filesystem::path& path);

// Writes a 2-D array of shape (n_rows, n_cols), dtype float64 / float32, C order, atomically.
void write_npy(const std::filesystem::path& path, const arma::mat& m);
void write_npy(const std::filesystem::path& path, const arma::fmat& m);
// Writes a 1-D array of shape (n_elem,).
void write_npy(const std::filesystem::path& path, const arma::vec& v);
void write_npy(const std::filesystem::path& path, const arma::fvec& v);

}  // namespace vclab
