// Tests for weights_io: HDF5 round trip, .npy directories, shape and completeness errors.
#include "io/weights_io.hpp"

#include "io/hdf5_file.hpp"
#include "io/io_error.hpp"
#include "io/npy.hpp"
#include "io_test_util.hpp"

using namespace vclab;
using vclab::test::TempDir;

namespace {
// A 3-layer network 5 -> 4 -> 3 -> 2 with nn.Linear shapes (d_out, d_in).
WeightSet small_network(bool with_biases) {
  arma::arma_rng::set_seed(3);
  WeightSet w;
  w.weights = {arma::randn(4, 5), arma::randn(3, 4), arma::randn(2, 3)};
  if (with_biases) w.biases = {arma::randn(4), arma::randn(3), arma::randn(2)};
  return w;
}

void require_same(const WeightSet& a, const WeightSet& b) {
  REQUIRE(a.weights.size() == b.weights.size());
  REQUIRE(a.biases.size() == b.biases.size());
  for (std::size_t l = 0; l < a.weights.size(); ++l)
    test::require_equal_elements(a.weights[l], b.weights[l], "W" + std::to_string(l));
  for (std::size_t l = 0; l < a.biases.size(); ++l)
    test::require_equal_elements(a.biases[l], b.biases[l], "b" + std::to_string(l));
}
}  // namespace

TEST_CASE("save_weights / load_weights round-trip with and without biases") {
  TempDir dir;
  for (bool biases : {true, false}) {
    const WeightSet w = small_network(biases);
    const auto path = dir / (biases ? "with_bias.h5" : "no_bias.h5");
    save_weights(path, w);
    require_same(load_weights(path), w);
    const Hdf5File file = Hdf5File::open_read(path);
    CHECK(file.get_attribute_int("/", "n_layers") == 3);
    CHECK(file.dataset_shape("/W0") == std::vector<std::size_t>{4, 5});  // (d_out, d_in) as in PyTorch
    CHECK(file.exists("/b0") == biases);
  }
}

TEST_CASE("load_weights reads a directory of W<l>.npy and b<l>.npy") {
  TempDir dir;
  const WeightSet w = small_network(true);
  for (std::size_t l = 0; l < 3; ++l) {
    write_npy(dir / ("W" + std::to_string(l) + ".npy"), w.weights[l]);
    write_npy(dir / ("b" + std::to_string(l) + ".npy"), w.biases[l]);
  }
  require_same(load_weights(dir.path()), w);
}

TEST_CASE("load_weights names the missing W file when layers have a gap") {
  TempDir dir;
  const WeightSet w = small_network(false);
  write_npy(dir / "W0.npy", w.weights[0]);
  write_npy(dir / "W2.npy", w.weights[2]);
  const std::string msg = test::thrown_message<IoError>([&] { load_weights(dir.path()); });
  CHECK(msg.find("W1.npy") != std::string::npos);
}

TEST_CASE("load_weights names the missing bias when only some layers have one") {
  TempDir dir;
  const WeightSet w = small_network(true);
  for (std::size_t l = 0; l < 3; ++l) write_npy(dir / ("W" + std::to_string(l) + ".npy"), w.weights[l]);
  write_npy(dir / "b0.npy", w.biases[0]);
  const std::string msg = test::thrown_message<IoError>([&] { load_weights(dir.path()); });
  CHECK(msg.find("b1.npy") != std::string::npos);
}

TEST_CASE("load_weights rejects layers that do not chain, naming the file and shapes") {
  TempDir dir;
  WeightSet w = small_network(false);
  write_npy(dir / "W0.npy", w.weights[0]);
  write_npy(dir / "W1.npy", arma::mat(w.weights[1].t()));  // (4, 3): a transposed weight
  const std::string msg = test::thrown_message<IoError>([&] { load_weights(dir.path()); });
  CHECK(msg.find(dir.path().string()) != std::string::npos);
  CHECK(msg.find("W1 has shape (4, 3)") != std::string::npos);
  CHECK_THROWS_AS(save_weights(dir / "bad.h5", WeightSet{{w.weights[0], arma::mat(w.weights[1].t())}, {}}),
                  std::invalid_argument);
  CHECK_FALSE(std::filesystem::exists(dir / "bad.h5"));
}

TEST_CASE("load_weights on an empty directory or an HDF5 file without /W0 says what is expected") {
  TempDir dir;
  std::string msg = test::thrown_message<IoError>([&] { load_weights(dir.path()); });
  CHECK(msg.find("W0.npy") != std::string::npos);
  { Hdf5File::create(dir / "empty.h5").write_vector("/other", arma::vec{1.0}); }
  msg = test::thrown_message<IoError>([&] { load_weights(dir / "empty.h5"); });
  CHECK(msg.find("empty.h5") != std::string::npos);
  CHECK(msg.find("/W0") != std::string::npos);
}
