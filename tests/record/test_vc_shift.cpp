// Virtual covariance shift kernels (diag and BLAS full mode) against the definition Σ_i (h⁺h⁺ᵀ − hhᵀ).
#include <doctest/doctest.h>

#include "record/vc_shift.hpp"
#include "test_util.hpp"

using namespace vclab;
using vclab::test::require_close;

constexpr double kShiftTol = 1e-13;  // a handful of flops per element in double

TEST_CASE("one step's shift equals the definition in diag and full mode") {
  arma::arma_rng::set_seed(5);
  const arma::mat h = arma::randu(7, 16), g = arma::randn(7, 16) * 0.1;
  for (double lr : {0.01, 0.5, 3.0}) {
    const arma::mat h_plus = h - lr * g;
    const arma::mat definition = h_plus * h_plus.t() - h * h.t();
    arma::mat full(7, 7, arma::fill::zeros), diag(7, 1, arma::fill::zeros);
    add_vc_shift(h, g, lr, RecordMode::full, full);
    add_vc_shift(h, g, lr, RecordMode::diag, diag);
    require_close(symmetrised_upper(full), definition, kShiftTol, "full");
    require_close(diag, arma::vec(definition.diag()), kShiftTol, "diag");
  }
}

TEST_CASE("the accumulator sums steps and float inputs are accumulated in double") {
  arma::arma_rng::set_seed(6);
  VcShiftAccumulator acc({4, 3}, RecordMode::full);
  arma::mat expected(3, 3, arma::fill::zeros);
  for (int step = 0; step < 5; ++step) {
    const arma::fmat h = arma::randu<arma::fmat>(3, 8), g = arma::randn<arma::fmat>(3, 8);
    acc.add(1, h, g, 0.1);
    const arma::mat hd = arma::conv_to<arma::mat>::from(h), gd = arma::conv_to<arma::mat>::from(g);
    const arma::mat hp = hd - 0.1 * gd;
    expected += hp * hp.t() - hd * hd.t();
  }
  require_close(acc.value(1), expected, 1e-12, "accumulated");
  CHECK(arma::norm(acc.value(0)) == 0.0);
}
