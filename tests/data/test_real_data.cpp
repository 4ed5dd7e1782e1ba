// Tests on the real datasets (skipped when absent): MNIST and CIFAR-10 from test_data_root(),
// Fashion-MNIST from Debian's /usr/share/datasets. Each dataset is decoded once per binary (cached).
// Expected pixels were read off with an independent tool: python3 -c "gzip.open(...).read()" +
// numpy.frombuffer(offset=16 for IDX images / reshape(-1, 3073) for CIFAR) on the same files.
#include <array>
#include <map>

#include "data/dataset_status.hpp"
#include "data/load_dataset.hpp"
#include "data_test_files.hpp"
#include "test_util.hpp"

using namespace vclab;
using namespace vclab::test;
namespace fs = std::filesystem;

namespace {

constexpr double kPixelTol = 1e-6;           // float32 of byte / 255
constexpr double kPublishedMeanTol = 1e-4;   // PROVENANCE.md gives means to 4 decimals
const fs::path kFashionDir = "/usr/share/datasets/fashion-mnist";

const DatasetSplit& cached(const std::string& name, const fs::path& dir) {
  static std::map<std::string, DatasetSplit> cache;
  auto it = cache.find(name);
  if (it == cache.end()) {
    DatasetRequest request;
    request.name = name;
    request.data_dir = dir.string();
    it = cache.emplace(name, load_dataset(request)).first;
  }
  return it->second;
}

void check_all_checksums_match(const DatasetStatus& status) {
  INFO(format_status({status}));
  CHECK(status.ok);
  for (const DatasetFileStatus& file : status.files) {
    CAPTURE(file.path);
    if (!file.expected_md5.empty()) CHECK(file.checksum == "match");
  }
}

// Sum of a sample's bytes, recovered exactly from the float pixels byte / 255.
double byte_sum(const arma::fmat& x, arma::uword column) {
  return arma::accu(arma::round(arma::conv_to<arma::vec>::from(x.col(column)) * 255.0));
}

std::vector<std::string> names_of(const Dataset& ds, std::size_t n) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < n; ++i) names.push_back(ds.class_names.at(ds.y[i]));
  return names;
}

}  // namespace

TEST_CASE("real MNIST: counts, labels, known pixels, mean, published MD5s") {
  const fs::path dir = test_data_root() / "mnist";
  if (skip_without(dir)) return;
  const DatasetSplit& mnist = cached("mnist", dir);
  REQUIRE(mnist.train.size() == 60000);
  REQUIRE(mnist.test.size() == 10000);
  CHECK(mnist.train.dim() == 784);
  // Label counts from PROVENANCE.md.
  const arma::uvec train_counts = arma::hist(mnist.train.y, arma::regspace<arma::uvec>(0, 9));
  const arma::uvec test_counts = arma::hist(mnist.test.y, arma::regspace<arma::uvec>(0, 9));
  CHECK(arma::all(train_counts == arma::uvec{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}));
  CHECK(arma::all(test_counts == arma::uvec{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}));
  CHECK(arma::all(mnist.train.y.head(10) == arma::uvec{5, 0, 4, 1, 9, 2, 1, 3, 1, 4}));
  CHECK(arma::all(mnist.test.y.head(10) == arma::uvec{7, 2, 1, 0, 4, 1, 4, 9, 5, 9}));
  // Pixels (image, row, col) -> byte, from numpy; feature index row * 28 + col.
  struct Pixel {
    std::size_t image, row, col;
    int value;
  };
  for (const Pixel p : {Pixel{0, 14, 14, 240}, Pixel{0, 6, 12, 170}, Pixel{0, 5, 12, 3}, Pixel{1, 10, 10, 238},
                        Pixel{59999, 14, 14, 97}}) {
    CAPTURE(p.image);
    CHECK(mnist.train.x(p.row * 28 + p.col, p.image) == doctest::Approx(p.value / 255.0).epsilon(kPixelTol));
  }
  CHECK(mnist.test.x(8 * 28 + 10, 0) == doctest::Approx(254 / 255.0).epsilon(kPixelTol));
  CHECK(byte_sum(mnist.train.x, 0) == 27525);
  CHECK(byte_sum(mnist.test.x, 0) == 18454);
  double sum = 0;
  for (arma::uword k = 0; k < mnist.train.x.n_elem; ++k) sum += mnist.train.x[k];
  CHECK(std::abs(sum / mnist.train.x.n_elem - 0.1307) < kPublishedMeanTol);

  check_all_checksums_match(verify_dataset("mnist", dir.string()));
}

TEST_CASE("real CIFAR-10: counts, first labels, known pixels, channel means, published MD5s") {
  const fs::path dir = test_data_root() / "cifar10";
  if (skip_without(dir)) return;
  const DatasetSplit& cifar = cached("cifar10", dir);
  REQUIRE(cifar.train.size() == 50000);
  REQUIRE(cifar.test.size() == 10000);
  CHECK(names_of(cifar.train, 10) == std::vector<std::string>{"frog", "truck", "truck", "deer", "automobile",
                                                              "automobile", "bird", "horse", "ship", "cat"});
  CHECK(names_of(cifar.test, 5) == std::vector<std::string>{"cat", "ship", "ship", "airplane", "frog"});
  const arma::uvec batch1_counts = arma::hist(cifar.train.y.head(10000), arma::regspace<arma::uvec>(0, 9));
  CHECK(arma::all(batch1_counts == arma::uvec{1005, 974, 1032, 1016, 999, 937, 1030, 1001, 1025, 981}));
  // Pixels (image, channel, row, col) -> byte, from numpy; feature index c * 1024 + row * 32 + col.
  struct Pixel {
    std::size_t image, c, row, col;
    int value;
  };
  for (const Pixel p : {Pixel{0, 0, 0, 0, 59}, Pixel{0, 1, 0, 0, 62}, Pixel{0, 2, 0, 0, 63}, Pixel{0, 0, 5, 17, 97},
                        Pixel{0, 2, 31, 31, 72}, Pixel{1, 1, 10, 20, 195}}) {
    CAPTURE(p.image);
    CAPTURE(p.c);
    CHECK(cifar.train.x(p.c * 1024 + p.row * 32 + p.col, p.image) == doctest::Approx(p.value / 255.0).epsilon(kPixelTol));
  }
  CHECK(cifar.test.x(0, 0) == doctest::Approx(158 / 255.0).epsilon(kPixelTol));
  CHECK(cifar.test.x(2 * 1024 + 16 * 32 + 16, 0) == doctest::Approx(92 / 255.0).epsilon(kPixelTol));
  // Per-channel train means 0.4914 0.4822 0.4465 (PROVENANCE.md), accumulated in double.
  std::array<double, 3> channel_sum{0, 0, 0};
  for (arma::uword j = 0; j < cifar.train.x.n_cols; ++j) {
    const float* col = cifar.train.x.colptr(j);
    for (std::size_t k = 0; k < 3072; ++k) channel_sum[k / 1024] += col[k];
  }
  const double per_channel = 50000.0 * 1024.0;
  CHECK(std::abs(channel_sum[0] / per_channel - 0.4914) < kPublishedMeanTol);
  CHECK(std::abs(channel_sum[1] / per_channel - 0.4822) < kPublishedMeanTol);
  CHECK(std::abs(channel_sum[2] / per_channel - 0.4465) < kPublishedMeanTol);

  check_all_checksums_match(verify_dataset("cifar10", dir.string()));
}

TEST_CASE("real Fashion-MNIST (Debian package): counts, labels, a pixel, MD5s of the raw IDX files") {
  if (skip_without(kFashionDir)) return;
  const DatasetSplit& fashion = cached("fashion-mnist", kFashionDir);
  REQUIRE(fashion.train.size() == 60000);
  REQUIRE(fashion.test.size() == 10000);
  CHECK(arma::all(fashion.train.y.head(5) == arma::uvec{9, 0, 0, 3, 0}));
  CHECK(fashion.train.class_names.at(9) == "Ankle boot");
  const arma::uvec counts = arma::hist(fashion.train.y, arma::regspace<arma::uvec>(0, 9));
  CHECK(arma::all(counts == 6000));
  CHECK(fashion.train.x(14 * 28 + 14, 0) == doctest::Approx(217 / 255.0).epsilon(kPixelTol));
  CHECK(byte_sum(fashion.train.x, 0) == 76247);

  check_all_checksums_match(verify_dataset("fashion-mnist", kFashionDir.string()));
}
