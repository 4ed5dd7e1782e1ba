// Tests for input normalisation: hand-computed values, train statistics applied to test, names.
#include "data/data_error.hpp"
#include "data/normalization.hpp"
#include "data_test_files.hpp"
#include "test_util.hpp"

using namespace vclab;
using namespace vclab::test;

namespace {

constexpr double kFloatTol = 1e-6;  // float32 storage of values of order 1 (eps ~ 6e-8, a few ops)

// Train (3 features x 4 samples) and test (3 x 2) in byte units; feature 2 is constant on train.
DatasetSplit byte_split() {
  DatasetSplit split;
  split.train.name = split.test.name = "bytes";
  split.train.x = {{0, 255, 51, 102}, {10, 20, 30, 40}, {7, 7, 7, 7}};
  split.test.x = {{102, 0}, {25, 35}, {7, 9}};
  return split;
}

}  // namespace

TEST_CASE("unit and symmetric map bytes to [0, 1] and [-1, 1]") {
  DatasetSplit unit = byte_split();
  normalize_split(unit, Normalization::unit, InputScale::bytes);
  CHECK(unit.train.x(0, 1) == 1.0f);
  CHECK(unit.train.x(0, 0) == 0.0f);
  CHECK(unit.train.x(0, 2) == doctest::Approx(0.2).epsilon(kFloatTol));  // 51 / 255
  CHECK(unit.test.x(0, 0) == doctest::Approx(0.4).epsilon(kFloatTol));   // 102 / 255

  DatasetSplit sym = byte_split();
  normalize_split(sym, Normalization::symmetric, InputScale::bytes);
  CHECK(sym.train.x(0, 0) == doctest::Approx(-1.0).epsilon(kFloatTol));
  CHECK(sym.train.x(0, 1) == doctest::Approx(1.0).epsilon(kFloatTol));
  CHECK(sym.train.x(0, 2) == doctest::Approx(-0.6).epsilon(kFloatTol));  // 2 * 0.2 - 1
}

TEST_CASE("center removes the TRAIN per-feature mean from both splits") {
  DatasetSplit split = byte_split();
  normalize_split(split, Normalization::center, InputScale::bytes);
  // Feature 0 in [0,1]: train 0, 1, 0.2, 0.4 -> mean 0.4; test 0.4 -> 0 and 0 -> -0.4.
  require_close(arma::mean(arma::conv_to<arma::mat>::from(split.train.x), 1), arma::vec(3, arma::fill::zeros),
                kFloatTol, "train mean after center");
  CHECK(split.test.x(0, 0) == doctest::Approx(0.0).scale(1).epsilon(kFloatTol));
  CHECK(split.test.x(0, 1) == doctest::Approx(-0.4).epsilon(kFloatTol));
  // Feature 1: train mean 25/255, so test 35/255 -> 10/255.
  CHECK(split.test.x(1, 1) == doctest::Approx(10.0 / 255).epsilon(kFloatTol));
}

TEST_CASE("standardize gives train mean 0 and std 1 per feature; a constant feature is only centred") {
  DatasetSplit split = byte_split();
  const arma::mat train_unit = arma::conv_to<arma::mat>::from(split.train.x) / 255.0;
  const arma::mat test_unit = arma::conv_to<arma::mat>::from(split.test.x) / 255.0;
  normalize_split(split, Normalization::standardize, InputScale::bytes);
  const arma::mat train = arma::conv_to<arma::mat>::from(split.train.x);
  require_close(arma::mean(train, 1), arma::vec(3, arma::fill::zeros), kFloatTol, "train mean");
  // Population std (norm_type 1 divides by N) of the non-constant features is 1.
  const arma::vec std = arma::stddev(train, 1, 1);
  CHECK(std[0] == doctest::Approx(1.0).epsilon(kFloatTol));
  CHECK(std[1] == doctest::Approx(1.0).epsilon(kFloatTol));
  // Constant feature: 0 on train, and test 9/255 - 7/255 (divided by 1, kStdFloor convention).
  CHECK(arma::abs(train.row(2)).max() == 0.0);
  CHECK(split.test.x(2, 1) == doctest::Approx(2.0 / 255).epsilon(kFloatTol));
  // Test uses train statistics: independent reference in double.
  const arma::vec mean = arma::mean(train_unit, 1);
  const arma::vec sd = arma::stddev(train_unit, 1, 1);
  for (arma::uword j = 0; j < 2; ++j)
    for (arma::uword i = 0; i < 2; ++i)
      CHECK(split.test.x(i, j) == doctest::Approx((test_unit(i, j) - mean[i]) / sd[i]).epsilon(kFloatTol));
}

TEST_CASE("l2 scales every sample to unit norm; an all-zero sample stays zero") {
  DatasetSplit split;
  split.train.x = {{3, 0, 255}, {4, 0, 255}};
  split.test.x = arma::fmat(2, 1);
  split.test.x(0, 0) = 0.0f;
  split.test.x(1, 0) = 5.0f;
  normalize_split(split, Normalization::l2, InputScale::bytes);
  CHECK(split.train.x(0, 0) == doctest::Approx(0.6).epsilon(kFloatTol));
  CHECK(split.train.x(1, 0) == doctest::Approx(0.8).epsilon(kFloatTol));
  CHECK(split.train.x(0, 1) == 0.0f);
  CHECK(split.train.x(1, 1) == 0.0f);
  CHECK(split.train.x(0, 2) == doctest::Approx(std::sqrt(0.5)).epsilon(kFloatTol));
  CHECK(split.test.x(1, 0) == doctest::Approx(1.0).epsilon(kFloatTol));
}

TEST_CASE("real-valued inputs skip the /255 step; symmetric is refused") {
  DatasetSplit split;
  split.train.name = split.test.name = "synthetic-teacher";
  split.train.x = {{-1.0f, 3.0f}};
  split.test.x = arma::fmat(1, 1, arma::fill::value(2.0f));
  DatasetSplit unit = split;
  normalize_split(unit, Normalization::unit, InputScale::real);
  CHECK(arma::approx_equal(unit.train.x, split.train.x, "absdiff", 0.0f));
  DatasetSplit centered = split;
  normalize_split(centered, Normalization::center, InputScale::real);
  CHECK(centered.train.x(0, 0) == doctest::Approx(-2.0));
  CHECK(centered.test.x(0, 0) == doctest::Approx(1.0));
  require_data_error([&] { normalize_split(split, Normalization::symmetric, InputScale::real); },
                     {"symmetric", "synthetic-teacher", "real-valued"});
}

TEST_CASE("normalization names parse and print; unknown names list the valid ones") {
  for (const std::string& name : enum_name_list<Normalization>()) CHECK(to_string(parse_enum<Normalization>(name, "normalization")) == name);
  CHECK(parse_enum<Normalization>("standardize", "normalization") == Normalization::standardize);
  try {
    parse_enum<Normalization>("zscore", "normalization");
    FAIL("no error for an unknown name");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()) == "unknown normalization 'zscore'; valid: unit, symmetric, center, standardize, l2");
  }
}
