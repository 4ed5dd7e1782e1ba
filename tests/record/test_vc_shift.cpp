// The virtual covariance shift kernel (model/vc_shift.hpp: diag, upper and symmetric storage, float factors) and the
// recorder's accumulator, against the definition Σ_i (h⁺h⁺ᵀ − hhᵀ).
#include <doctest/doctest.h>

#include "model/vc_shift.hpp"
#include "record/vc_shift_accumulator.hpp"
#include "test_util.hpp"

using namespace vclab;
using vclab::test::require_close;

constexpr double kShiftTol = 1e-13;  // a handful of flops per element in double

TEST_CASE("one step's shift equals the definition in diag, upper and symmetric storage") {
  arma::arma_rng::set_seed(5);
  const arma::mat h = arma::randu(7, 16), g = arma::randn(7, 16) * 0.1;
  for (double lr : {0.01, 0.5, 3.0}) {
    const arma::mat h_plus = h - lr * g;
    const arma::mat definition = h_plus * h_plus.t() - h * h.t();
    arma::mat upper(7, 7, arma::fill::zeros), symmetric(7, 7, arma::fill::zeros), diag(7, 1, arma::fill::zeros);
    add_vc_shift(h, g, lr, VcStorage::upper, upper);
    add_vc_shift(h, g, lr, VcStorage::symmetric, symmetric);
    add_vc_shift(h, g, lr, VcStorage::diag, diag);
    require_close(symmetrised_upper(upper), definition, kShiftTol, "upper");
    require_close(symmetric, definition, kShiftTol, "symmetric");
    require_close(diag, arma::vec(definition.diag()), kShiftTol, "diag");
  }
}

TEST_CASE("the diagonal from float inputs sums h∘g and g∘g in float, column after column, as Armadillo's row sums do") {
  // The fused one-pass kernel must keep the summation order (and so the bits) of sum(h % g, 1) and sum(g % g, 1).
  arma::arma_rng::set_seed(9);
  const arma::fmat h = arma::randu<arma::fmat>(301, 64), g = arma::randn<arma::fmat>(301, 64) * 0.01f;
  const double lr = 0.05;
  arma::vec diag(301, arma::fill::zeros);
  add_vc_shift(h, g, lr, VcStorage::diag, diag);
  const arma::fmat hg = h % g, gg = g % g;
  const arma::vec reference = arma::conv_to<arma::vec>::from(arma::fvec(arma::sum(hg, 1))) * (-2.0 * lr) +
                              arma::conv_to<arma::vec>::from(arma::fvec(arma::sum(gg, 1))) * (lr * lr);
  CHECK(arma::approx_equal(diag, reference, "absdiff", 0.0));
  CHECK_FALSE(arma::approx_equal(diag, reference * (1 + 1e-12), "absdiff", 0.0));  // the comparison sees the last bit
}

TEST_CASE("a conv layer's many columns (B · positions) are added in blocks: the same shift as the definition") {
  arma::arma_rng::set_seed(11);
  const std::size_t d = 512, columns = 2500;  // blocks of 4 MiB / (8 · 512) = 1,024 columns: 3 blocks, the last short
  const arma::fmat h = arma::randu<arma::fmat>(d, columns), g = arma::randn<arma::fmat>(d, columns) * 0.01f;
  const double lr = 0.3;
  const arma::mat hd = arma::conv_to<arma::mat>::from(h), gd = arma::conv_to<arma::mat>::from(g);
  const arma::mat hp = hd - lr * gd, definition = hp * hp.t() - hd * hd.t();
  arma::mat upper(d, d, arma::fill::zeros), symmetric(d, d, arma::fill::zeros);
  add_vc_shift(h, g, lr, VcStorage::upper, upper);
  add_vc_shift(h, g, lr, VcStorage::symmetric, symmetric);
  constexpr double kBlockedTol = 1e-11;  // 2,500-term sums in double; the definition's h⁺h⁺ᵀ − hhᵀ cancels more
  require_close(symmetrised_upper(upper), definition, kBlockedTol, "upper, blocked");
  require_close(symmetric, definition, kBlockedTol, "symmetric, blocked");
}

TEST_CASE("the factored form: P = −γH + (γ²/2)G gives v = G Pᵀ + P Gᵀ, also from float inputs") {
  arma::arma_rng::set_seed(7);
  const arma::fmat h = arma::randu<arma::fmat>(6, 9), g = arma::randn<arma::fmat>(6, 9);
  const double lr = 0.8;
  const arma::mat hd = arma::conv_to<arma::mat>::from(h), gd = arma::conv_to<arma::mat>::from(g);
  const arma::mat hp = hd - lr * gd, definition = hp * hp.t() - hd * hd.t();
  const arma::fmat p = vc_shift_factor(h, g, lr);  // P rounded to float: relative error ~ float ε
  arma::mat v(6, 6, arma::fill::zeros);
  add_vc_shift_factored(arma::conv_to<arma::mat>::from(p), gd, VcStorage::symmetric, v);
  constexpr double kFloatFactorTol = 1e-6;  // a float-rounded P, accumulated in double
  require_close(v, definition, kFloatFactorTol, "from a float factor");
  CHECK_THROWS_AS(add_vc_shift_factored(arma::mat(p.n_rows, p.n_cols), gd, VcStorage::diag, v), std::invalid_argument);
  CHECK_THROWS_AS(vc_shift_factor(h, arma::fmat(5, 9), lr), std::invalid_argument);
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
