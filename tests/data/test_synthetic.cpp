// Tests for the synthetic datasets: determinism per seed, the documented scaling, and labels or
// targets recomputed independently from the returned truth (teacher weights, beta).
#include <cmath>

#include "data/synthetic.hpp"
#include "data_test_files.hpp"
#include "test_util.hpp"

using namespace vclab;
using namespace vclab::test;

namespace {
constexpr double kFloatInputTol = 1e-5;  // targets computed from float-stored x, compared in double
}

TEST_CASE("same seed gives identical data, another seed different data") {
  SyntheticSpec spec;
  spec.input_dim = 8;
  spec.n_train = 16;
  spec.n_test = 8;
  spec.n_classes = 3;
  spec.teacher_width = 5;
  const DatasetSplit a = make_teacher_dataset(spec, 42), b = make_teacher_dataset(spec, 42), c = make_teacher_dataset(spec, 43);
  CHECK(arma::approx_equal(a.train.x, b.train.x, "absdiff", 0.0f));
  CHECK(arma::approx_equal(a.test.x, b.test.x, "absdiff", 0.0f));
  CHECK(arma::all(a.train.y == b.train.y));
  CHECK_FALSE(arma::approx_equal(a.train.x, c.train.x, "absdiff", 0.0f));
  spec.target = "he2";
  const DatasetSplit s1 = make_single_index_dataset(spec, 7), s2 = make_single_index_dataset(spec, 7);
  CHECK(arma::approx_equal(s1.train.targets, s2.train.targets, "absdiff", 0.0f));
  CHECK(arma::approx_equal(s1.test.x, s2.test.x, "absdiff", 0.0f));
}

TEST_CASE("inputs follow N(0, I_d / d): E|x|^2 = 1 and entries have variance 1/d") {
  SyntheticSpec spec;
  spec.input_dim = 16;
  spec.n_train = 4000;
  spec.n_test = 1;
  const DatasetSplit split = make_teacher_dataset(spec, 1);
  CHECK(split.train.x.n_rows == 16);
  CHECK(split.train.x.n_cols == 4000);
  const arma::mat x = arma::conv_to<arma::mat>::from(split.train.x);
  // |x|^2 is chi^2_d / d: mean 1, std sqrt(2/d); the mean of 4000 has std 0.0056 -> 5 sigma = 0.03.
  constexpr double kMeanNormTol = 0.03;
  CHECK(std::abs(arma::mean(arma::sum(arma::square(x), 0)) - 1.0) < kMeanNormTol);
  // sqrt(d) x entries are standard normal: mean 0 (std of the mean 1/sqrt(64000) = 0.004).
  const arma::vec z = arma::vectorise(x) * std::sqrt(16.0);
  constexpr double kMomentTol = 0.03;  // > 5 sigma for 64000 samples
  CHECK(std::abs(arma::mean(z)) < kMomentTol);
  CHECK(std::abs(arma::var(z) - 1.0) < kMomentTol);
}

TEST_CASE("teacher labels are the argmax of the returned teacher's outputs") {
  SyntheticSpec spec;
  spec.input_dim = 6;
  spec.n_train = 200;
  spec.n_test = 50;
  spec.n_classes = 4;
  spec.teacher_width = 7;
  SyntheticTruth truth;
  const DatasetSplit split = make_teacher_dataset(spec, 3, &truth);
  REQUIRE(truth.teacher_w1.n_rows == 7);
  REQUIRE(truth.teacher_w1.n_cols == 6);
  REQUIRE(truth.teacher_w2.n_rows == 4);
  CHECK(split.train.n_classes == 4);
  CHECK(split.train.targets.is_empty());
  for (const Dataset* ds : {&split.train, &split.test}) {
    for (arma::uword i = 0; i < ds->size(); ++i) {
      const arma::vec x = arma::conv_to<arma::vec>::from(ds->x.col(i));
      arma::vec hidden(7);
      for (arma::uword k = 0; k < 7; ++k) hidden[k] = std::tanh(arma::dot(truth.teacher_w1.row(k), x));
      const arma::vec out = truth.teacher_w2 * hidden;
      REQUIRE(ds->y[i] == out.index_max());
    }
  }
  // A random teacher uses more than one class.
  CHECK(arma::unique(split.train.y).eval().n_elem >= 2);
}

TEST_CASE("single-index targets equal g(sqrt(d) beta^T x); labels are the sign class") {
  for (const std::string& target : single_index_targets()) {
    CAPTURE(target);
    SyntheticSpec spec;
    spec.input_dim = 8;
    spec.n_train = 3000;
    spec.n_test = 100;
    spec.target = target;
    SyntheticTruth truth;
    const DatasetSplit split = make_single_index_dataset(spec, 11, &truth);
    CHECK(arma::norm(truth.beta) == doctest::Approx(1.0).epsilon(1e-12));
    CHECK(split.train.n_classes == 2);
    REQUIRE(split.train.targets.n_rows == 1);
    REQUIRE(split.train.targets.n_cols == 3000);
    const arma::rowvec z = std::sqrt(8.0) * truth.beta.t() * arma::conv_to<arma::mat>::from(split.train.x);
    arma::rowvec expected(z.n_elem);
    for (arma::uword i = 0; i < z.n_elem; ++i) {
      const double zi = z[i];
      expected[i] = target == "tanh" ? std::tanh(zi) : target == "relu" ? std::max(zi, 0.0) : zi * zi - 1.0;
      REQUIRE(split.train.y[i] == (expected[i] > 0 ? 1u : 0u));
    }
    require_close(split.train.targets, expected, kFloatInputTol, "single-index targets");
    // z is standard normal: E z^2 = 1 (std of the mean of 3000 values sqrt(2/3000) = 0.026).
    constexpr double kSecondMomentTol = 0.13;  // 5 sigma
    CHECK(std::abs(arma::mean(arma::square(z)) - 1.0) < kSecondMomentTol);
  }
}

TEST_CASE("bad synthetic settings throw DataError saying what was expected") {
  SyntheticSpec spec;
  spec.target = "cubic";
  require_data_error([&] { make_single_index_dataset(spec, 0); }, {"cubic", "tanh, relu, he2"});
  spec = SyntheticSpec{};
  spec.n_classes = 1;
  require_data_error([&] { make_teacher_dataset(spec, 0); }, {"n_classes >= 2", "n_classes=1"});
  spec = SyntheticSpec{};
  spec.input_dim = 0;
  require_data_error([&] { make_teacher_dataset(spec, 0); }, {"input_dim >= 1"});
}
