// Tests for load_dataset and resolve_data_dir on tiny generated data directories in every format.
#include <cstdlib>
#include <optional>

#include "data/load_dataset.hpp"
#include "data_test_files.hpp"
#include "test_util.hpp"

using namespace vclab;
using namespace vclab::test;
namespace fs = std::filesystem;

namespace {

constexpr double kFloatTol = 1e-6;  // float32 of byte/255

}  // namespace

TEST_CASE("MNIST layout: pixels / 255 as columns, labels, shape, names, sources") {
  TempDir dir;
  write_tiny_mnist(dir.path());
  DatasetRequest request;
  request.name = "mnist";
  request.data_dir = dir.path().string();
  const DatasetSplit split = load_dataset(request);
  REQUIRE(split.train.x.n_rows == 8);
  REQUIRE(split.train.x.n_cols == 3);
  REQUIRE(split.test.x.n_cols == 2);
  CHECK(split.train.y[0] == 5);
  CHECK(split.train.y[2] == 4);
  CHECK(split.test.y[1] == 2);
  CHECK(split.train.n_classes == 10);
  CHECK(split.train.image_shape == std::vector<std::size_t>{1, 2, 4});
  CHECK(split.train.class_names.size() == 10);
  CHECK(split.train.source_files.size() == 2);
  for (std::size_t i = 0; i < 3; ++i)
    for (std::size_t r = 0; r < 2; ++r)
      for (std::size_t c = 0; c < 4; ++c)
        CHECK(split.train.x(r * 4 + c, i) == doctest::Approx(pattern_pixel(i, 0, r, c) / 255.0).epsilon(kFloatTol));
  // Test image 0 is pattern image 3: row 1, col 0 -> (111 + 7 + 11) % 256 = 129.
  CHECK(split.test.x(4, 0) == doctest::Approx(129 / 255.0).epsilon(kFloatTol));

  SUBCASE("train_size / test_size keep the first samples in file order") {
    request.train_size = 2;
    request.test_size = 1;
    const DatasetSplit small = load_dataset(request);
    CHECK(small.train.size() == 2);
    CHECK(small.test.size() == 1);
    CHECK(arma::approx_equal(small.train.x, split.train.x.cols(0, 1), "absdiff", 0.0f));
  }
  SUBCASE("asking for more samples than exist is an error") {
    request.train_size = 4;
    require_data_error([&] { load_dataset(request); }, {"train-images-idx3-ubyte.gz", "train_size=4", "only 3"});
  }
  SUBCASE("dataset aliases and normalisation are applied") {
    request.name = "MNIST";
    request.normalize = Normalization::symmetric;
    const DatasetSplit sym = load_dataset(request);
    require_close(sym.train.x, split.train.x * 2.0f - 1.0f, kFloatTol, "symmetric vs 2 unit - 1");
  }
}

TEST_CASE("CIFAR-10 in its archive subfolder: batches concatenated in order, meta names used") {
  TempDir dir;
  write_tiny_cifar10(dir.path());
  write_bytes(dir / "cifar-10-batches-bin/batches.meta.txt",
              Bytes{'a', '\n', 'b', '\n', 'c', '\n', 'd', '\n', 'e', '\n', 'f', '\n', 'g', '\n', 'h', '\n', 'i', '\n', 'j', '\n', '\n'});
  DatasetRequest request;
  request.name = "cifar-10";
  request.data_dir = dir.path().string();
  const DatasetSplit split = load_dataset(request);
  REQUIRE(split.train.size() == 10);
  REQUIRE(split.test.size() == 3);
  CHECK(split.train.dim() == 3072);
  CHECK(split.train.image_shape == std::vector<std::size_t>{3, 32, 32});
  CHECK(split.train.class_names.front() == "a");
  CHECK(split.train.class_names.back() == "j");
  const arma::uvec expected_labels{2, 3, 4, 5, 6, 7, 8, 9, 0, 1};
  CHECK(arma::all(split.train.y == expected_labels));
  for (std::size_t i = 0; i < 10; i += 3)  // global image i of the train split is pattern image i
    for (std::size_t c = 0; c < 3; ++c)
      for (std::size_t row = 0; row < 32; row += 5)
        for (std::size_t col = 0; col < 32; col += 7)
          CHECK(split.train.x(c * 1024 + row * 32 + col, i) ==
                doctest::Approx(pattern_pixel(i, c, row, col) / 255.0).epsilon(kFloatTol));
  CHECK(split.test.x(0, 2) == doctest::Approx(pattern_pixel(102, 0, 0, 0) / 255.0).epsilon(kFloatTol));

  SUBCASE("train_size reads only the batches it needs") {
    request.train_size = 3;
    const DatasetSplit small = load_dataset(request);
    CHECK(small.train.size() == 3);
    CHECK(small.train.source_files.size() == 2);  // data_batch_1 and data_batch_2
  }
}

TEST_CASE("CIFAR-100: fine labels by default, coarse on request, names only when present") {
  TempDir dir;
  write_maybe_gz(dir / "cifar100/cifar-100-binary/train.bin.gz", cifar100_bytes({1, 19}, {42, 99}));
  write_maybe_gz(dir / "cifar100/cifar-100-binary/test.bin", cifar100_bytes({0}, {7}));
  DatasetRequest request;
  request.name = "cifar100";
  request.data_dir = dir.path().string();  // the flag's <name> subfolder is also accepted
  const DatasetSplit fine = load_dataset(request);
  CHECK(fine.train.n_classes == 100);
  CHECK(fine.train.y[1] == 99);
  CHECK(fine.train.class_names.empty());
  request.cifar100_coarse = true;
  const DatasetSplit coarse = load_dataset(request);
  CHECK(coarse.train.n_classes == 20);
  CHECK(coarse.train.y[1] == 19);
  CHECK(coarse.test.y[0] == 0);
}

TEST_CASE("SVHN directory: images transposed from MATLAB order, labels 10 -> 0") {
  TempDir dir;
  write_svhn_mat(dir / "train_32x32.mat", {10, 2, 3});
  write_svhn_mat(dir / "test_32x32.mat", {1});
  DatasetRequest request;
  request.name = "svhn";
  request.data_dir = dir.path().string();
  const DatasetSplit split = load_dataset(request);
  CHECK(split.train.size() == 3);
  CHECK(split.train.y[0] == 0);
  CHECK(split.train.y[2] == 3);
  CHECK(split.train.x(2 * 1024 + 31 * 32 + 1, 1) == doctest::Approx(pattern_pixel(1, 2, 31, 1) / 255.0).epsilon(kFloatTol));
}

TEST_CASE("synthetic requests: settings, seed, subset and normalisation") {
  DatasetRequest request;
  request.name = "synthetic-single-index";
  request.seed = 5;
  request.synthetic.input_dim = 4;
  request.synthetic.n_train = 20;
  request.synthetic.n_test = 10;
  request.synthetic.target = "relu";
  request.train_size = 12;
  request.normalize = Normalization::standardize;
  const DatasetSplit split = load_dataset(request);
  CHECK(split.train.size() == 12);
  CHECK(split.train.targets.n_cols == 12);
  CHECK(split.test.size() == 10);
  require_close(arma::mean(arma::conv_to<arma::mat>::from(split.train.x), 1), arma::vec(4, arma::fill::zeros), 1e-6,
                "standardized synthetic train mean");
  request.train_size = 21;
  require_data_error([&] { load_dataset(request); }, {"synthetic-single-index", "train_size=21"});
}

TEST_CASE("resolve_data_dir: flag, flag/<name>, $VCLAB_DATA/<name>, then $VCLAB_DATA itself") {
  TempDir dir;
  write_tiny_mnist(dir / "mnist", "");
  CHECK(resolve_data_dir("mnist", (dir / "mnist").string()) == dir / "mnist");
  CHECK(resolve_data_dir("mnist", dir.path().string()) == dir / "mnist");
  {
    ScopedEnv env("VCLAB_DATA", dir.path().string());
    CHECK(resolve_data_dir("mnist", "") == dir / "mnist");
  }
  {
    ScopedEnv env("VCLAB_DATA", (dir / "mnist").string());
    CHECK(resolve_data_dir("mnist", "") == dir / "mnist");
  }
  {  // $VCLAB_DATA/<name> wins over files directly in $VCLAB_DATA
    TempDir both;
    write_tiny_mnist(both.path(), "");
    write_tiny_mnist(both / "mnist", ".gz");
    ScopedEnv env("VCLAB_DATA", both.path().string());
    CHECK(resolve_data_dir("mnist", "") == both / "mnist");
  }
}

TEST_CASE("resolve_data_dir errors list every place looked and how to fix it") {
  TempDir dir;
  write_maybe_gz(dir / "train-images-idx3-ubyte.gz", idx_images_bytes(1, 1, 1, {0}));  // incomplete
  require_data_error([&] { resolve_data_dir("mnist", dir.path().string()); },
                     {dir.path().string() + " (exists but lacks train-labels-idx1-ubyte, t10k-images-idx3-ubyte",
                      (dir / "mnist").string() + " (no such directory)", "--data-dir", "VCLAB_DATA"});
  // Without a flag every default place is listed in order (svhn is not installed on build machines).
  ScopedEnv env("VCLAB_DATA", dir.path().string());
  const DataDirSearch search = search_data_dir("svhn", "");
  if (!search.found) {
    REQUIRE(search.tried.size() == 6);
    CHECK(search.tried[0].find((dir / "svhn").string()) == 0);
    CHECK(search.tried[1].find(dir.path().string() + " (") == 0);
    CHECK(search.tried[2].find("data/svhn") == 0);
    CHECK(search.tried[3].find("../shared/data/svhn") == 0);
    CHECK(search.tried[4].find(".local/share/vclab/svhn") != std::string::npos);
    CHECK(search.tried[5].find("/usr/share/datasets/svhn") == 0);
    require_data_error([] { resolve_data_dir("svhn", ""); },
                       {"/usr/share/datasets/svhn", "train_32x32.mat", "not gzipped", "--data-dir", "VCLAB_DATA"});
  }
}

TEST_CASE("dataset names: canonical list, aliases, unknown names and synthetic ones") {
  const std::vector<std::string> names = dataset_names();
  CHECK(names.size() == 7);
  CHECK(canonical_dataset_name("CIFAR-10") == "cifar10");
  CHECK(canonical_dataset_name("cifar_100") == "cifar100");
  CHECK(canonical_dataset_name("Fashion_MNIST") == "fashion-mnist");
  require_data_error([] { canonical_dataset_name("imagenet"); }, {"imagenet", "mnist", "svhn", "synthetic-teacher"});
  require_data_error([] { resolve_data_dir("synthetic-teacher", ""); }, {"synthetic-teacher", "generated"});
}

TEST_CASE("val_fraction holds out the end of the training set; statistics come from the training part only") {
  DatasetRequest request;
  request.name = "synthetic-teacher";
  request.synthetic.n_train = 40;
  request.synthetic.n_test = 8;
  request.synthetic.input_dim = 4;
  const DatasetSplit whole = load_dataset(request);  // unit: inputs as generated
  request.val_fraction = 0.25;
  request.train_size = 20;
  const DatasetSplit split = load_dataset(request);
  REQUIRE(split.validation.size() == 10);  // round(0.25 * 40)
  REQUIRE(split.train.size() == 20);       // the first 20 of the 30 before the split
  CHECK(arma::approx_equal(split.validation.x, whole.train.x.tail_cols(10), "absdiff", 0.0));
  CHECK(arma::all(split.validation.y == whole.train.y.tail(10)));
  CHECK(arma::approx_equal(split.train.x, whole.train.x.head_cols(20), "absdiff", 0.0));
  CHECK(whole.validation.size() == 0);

  request.normalize = Normalization::standardize;  // train part: mean 0 per feature; validation: shifted by train's mean only
  const DatasetSplit standardized = load_dataset(request);
  CHECK(arma::abs(arma::mean(standardized.train.x, 1)).max() < kFloatTol);
  const arma::fvec mean = arma::mean(whole.train.x.head_cols(20), 1);
  const arma::fvec sd = arma::stddev(whole.train.x.head_cols(20), 1, 1);
  arma::fmat expected = whole.train.x.tail_cols(10);
  expected.each_col() -= mean;
  expected.each_col() /= sd;
  CHECK(arma::approx_equal(standardized.validation.x, expected, "absdiff", 1e-5));

  request.train_size = 31;  // only 30 lie before the validation split
  require_data_error([&] { load_dataset(request); }, {"train_size=31", "only 30", "validation split"});
  request.train_size = 0;
  request.val_fraction = 0.01;  // round(0.4) = 0 samples
  require_data_error([&] { load_dataset(request); }, {"no validation sample"});
}
