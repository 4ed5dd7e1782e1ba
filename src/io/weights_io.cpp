// Weight files (HDF5 or a directory of .npy). See weights_io.hpp.
#include "io/weights_io.hpp"

#include <stdexcept>
#include <string>

#include "io/hdf5_file.hpp"
#include "io/io_error.hpp"
#include "io/npy.hpp"
#include "io/sha256_sidecar.hpp"

namespace vclab {

namespace {

std::string shape_str(const arma::mat& m) { return "(" + std::to_string(m.n_rows) + ", " + std::to_string(m.n_cols) + ")"; }

// A bias read from disk may be 1-D (n x 1) or a (1, n) row; anything else is an error.
arma::vec as_bias(const std::filesystem::path& file, const std::string& name, const arma::mat& m) {
  if (m.n_cols != 1 && m.n_rows != 1)
    throw IoError(file, name + " has shape " + shape_str(m) + ", expected a 1-D bias vector",
                  "Save nn.Linear.bias (1-D) for each layer");
  return arma::vectorise(m);
}

// Runs check_weight_shapes and turns its complaint into an IoError about `file`.
void check_loaded(const std::filesystem::path& file, const WeightSet& w) {
  try {
    check_weight_shapes(w);
  } catch (const std::invalid_argument& e) {
    throw IoError(file, e.what(), "Check that the files come from one network, in layer order");
  }
}

WeightSet load_hdf5(const std::filesystem::path& path, std::size_t n_conv) {
  verify_sha256_sidecar(path, Sidecar::if_present);  // weights vclab saved; a foreign file has no sidecar
  const Hdf5File file = Hdf5File::open_read(path);
  const std::int64_t file_conv = file.has_attribute("/", "n_conv_layers") ? file.get_attribute_int("/", "n_conv_layers") : 0;
  if (file_conv != std::int64_t(n_conv))
    throw IoError(path, "holds " + std::to_string(file_conv) + " conv layers (root attribute n_conv_layers), the model has " +
                            std::to_string(n_conv), "Pass weights of a network with the same --conv layers");
  WeightSet w;
  w.n_conv = n_conv;
  std::size_t n_layers = 0;
  if (file.has_attribute("/", "n_layers")) {
    const std::int64_t n = file.get_attribute_int("/", "n_layers");
    if (n < 1) throw IoError(path, "root attribute n_layers is " + std::to_string(n) + ", expected >= 1", "Re-save the weights");
    n_layers = static_cast<std::size_t>(n);
  } else {
    while (file.is_dataset("/W" + std::to_string(n_layers))) ++n_layers;
    if (n_layers == 0)
      throw IoError(path, "no dataset /W0 (and no root attribute n_layers)",
                    "Expected datasets /W0, /W1, ... of shape (d_out, d_in) as written by save_weights");
  }
  for (std::size_t l = 0; l < n_layers; ++l) {
    const std::string name = "/W" + std::to_string(l);
    if (!file.is_dataset(name))
      throw IoError(path, "dataset " + name + " missing (n_layers = " + std::to_string(n_layers) + ")",
                    "Re-save the weights with every layer");
    w.weights.push_back(file.read_matrix(name));
  }
  std::size_t n_biases = 0;
  while (file.is_dataset("/b" + std::to_string(n_biases))) ++n_biases;
  if (n_biases > 0 && n_biases != n_layers)
    throw IoError(path, "found " + std::to_string(n_biases) + " bias datasets /b0.. but " + std::to_string(n_layers) +
                            " layers; /b" + std::to_string(n_biases) + " is missing",
                  "Save a bias for every layer or for none");
  for (std::size_t l = 0; l < n_biases; ++l) {
    const std::string name = "/b" + std::to_string(l);
    w.biases.push_back(as_bias(path, name, file.read_matrix(name)));
  }
  check_loaded(path, w);
  return w;
}

WeightSet load_npy_dir(const std::filesystem::path& dir, std::size_t n_conv) {
  WeightSet w;
  w.n_conv = n_conv;
  auto weight_file = [&](std::size_t l) { return dir / ("W" + std::to_string(l) + ".npy"); };
  auto bias_file = [&](std::size_t l) { return dir / ("b" + std::to_string(l) + ".npy"); };
  if (!std::filesystem::exists(weight_file(0)))
    throw IoError(weight_file(0), "missing: a weights directory must hold W0.npy, W1.npy, ... (one per layer)",
                  "Save each nn.Linear.weight with numpy.save, e.g. np.save('W0.npy', layer.weight.detach().numpy())");
  std::size_t n_layers = 0;
  for (; std::filesystem::exists(weight_file(n_layers)); ++n_layers) w.weights.push_back(read_npy(weight_file(n_layers)));
  // A later W file after a gap means one is missing, not the end of the network.
  for (std::size_t l = n_layers + 1; l < n_layers + 8; ++l)
    if (std::filesystem::exists(weight_file(l)))
      throw IoError(weight_file(n_layers), "missing, but " + weight_file(l).filename().string() + " exists",
                    "Save every layer's weight, numbered from 0 without gaps");
  std::size_t n_biases = 0;
  while (n_biases < n_layers && std::filesystem::exists(bias_file(n_biases))) ++n_biases;
  if (n_biases > 0 && n_biases != n_layers)
    throw IoError(bias_file(n_biases), "missing: found b0.npy..b" + std::to_string(n_biases - 1) + ".npy but " +
                                           std::to_string(n_layers) + " weight files",
                  "Save a bias for every layer or for none");
  for (std::size_t l = 0; l < n_biases; ++l)
    w.biases.push_back(as_bias(bias_file(l), bias_file(l).filename().string(), read_npy(bias_file(l))));
  check_loaded(dir, w);
  return w;
}

}  // namespace

void check_weight_shapes(const WeightSet& w) {
  if (w.weights.empty()) throw std::invalid_argument("the weight set has no layers");
  for (std::size_t l = w.n_conv; l + 1 < w.weights.size(); ++l)
    if (w.weights[l + 1].n_cols != w.weights[l].n_rows)
      throw std::invalid_argument("W" + std::to_string(l + 1) + " has shape " + shape_str(w.weights[l + 1]) +
                                  " but W" + std::to_string(l) + " has shape " + shape_str(w.weights[l]) +
                                  "; expected W" + std::to_string(l + 1) + ".n_cols == W" + std::to_string(l) +
                                  ".n_rows (shapes are (d_out, d_in) like nn.Linear.weight)");
  if (!w.biases.empty() && w.biases.size() != w.weights.size())
    throw std::invalid_argument("there are " + std::to_string(w.biases.size()) + " biases for " +
                                std::to_string(w.weights.size()) + " layers; expected one per layer or none");
  for (std::size_t l = 0; l < w.biases.size(); ++l)
    if (w.biases[l].n_elem != w.weights[l].n_rows)
      throw std::invalid_argument("b" + std::to_string(l) + " has length " + std::to_string(w.biases[l].n_elem) +
                                  " but W" + std::to_string(l) + " has " + std::to_string(w.weights[l].n_rows) +
                                  " rows; expected equal");
}

void save_weights(const std::filesystem::path& path, const WeightSet& w) {
  check_weight_shapes(w);
  try {
    write_atomically_with_sha256(path, [&](const std::filesystem::path& tmp) {
      Hdf5File file = Hdf5File::create(tmp);
      for (std::size_t l = 0; l < w.weights.size(); ++l) file.write_matrix("/W" + std::to_string(l), w.weights[l]);
      for (std::size_t l = 0; l < w.biases.size(); ++l) file.write_vector("/b" + std::to_string(l), w.biases[l]);
      file.set_attribute("/", "n_layers", static_cast<std::int64_t>(w.weights.size()));
      if (w.n_conv > 0) file.set_attribute("/", "n_conv_layers", static_cast<std::int64_t>(w.n_conv));
      file.close();
    });
  } catch (const IoError& e) {
    // The inner message names the temporary file; name the file the caller asked for too.
    throw IoError(path, std::string("cannot save weights: ") + e.what());
  }
}

WeightSet load_weights(const std::filesystem::path& path, std::size_t n_conv) {
  if (std::filesystem::is_directory(path)) return load_npy_dir(path, n_conv);
  return load_hdf5(path, n_conv);
}

}  // namespace vclab
