// Network weights on disk: save to HDF5 (/W0, /W1, ..., /b0, ...; root attribute n_layers) and
// load from such a file or from a directory of W0.npy, W1.npy, ... (+ optional b0.npy, ...).
// W_l has shape (d_{l+1}, d_l), exactly like PyTorch's nn.Linear.weight. A conv net's first n_conv matrices are its
// kernels (c_out, c_in k²), PyTorch's Conv2d.weight (c_out, c_in, k, k) flattened row-major; root attribute n_conv_layers.
#pragma once
#include <armadillo>
#include <filesystem>
#include <vector>

namespace vclab {

struct WeightSet {
  std::vector<arma::mat> weights;  // W_l: (d_{l+1}, d_l)
  std::vector<arma::vec> biases;   // b_l: (d_{l+1}); empty when the network has no biases
  std::size_t n_conv = 0;          // the first n_conv weights are conv kernels (their shapes do not chain)
};

// Throws std::invalid_argument (with layer index and shapes) when consecutive dense layers do not chain
// (W_{l+1}.n_cols != W_l.n_rows for l ≥ n_conv), when biases are neither empty nor one per layer, or a bias has
// the wrong length.
void check_weight_shapes(const WeightSet& w);

// Writes an HDF5 file and its SHA-256 sidecar `path`.sha256 atomically. Throws IoError / std::invalid_argument.
void save_weights(const std::filesystem::path& path, const WeightSet& w);

// Reads an HDF5 file written by save_weights (or by h5py with the same layout), or a directory
// holding W0.npy, W1.npy, ... and optionally b0.npy, b1.npy, .... An HDF5 file with a sidecar must
// match it; one without is foreign and read by libhdf5 as trusted input (.npy is the format for
// untrusted weights). Throws IoError naming the file and what was missing or inconsistent.
// `n_conv`: how many conv kernels lead the list (a .npy directory cannot say; an HDF5 file's n_conv_layers must agree).
WeightSet load_weights(const std::filesystem::path& path, std::size_t n_conv = 0);

}  // namespace vclab
