// Target Linearity T_λ = 1 − ‖Y − Ŷ‖²_F / ‖Y − Ȳ‖²_F, Ŷ = H (HᵀH + λI)⁻¹ HᵀY (rows = samples):
// T = 1 for features linear in the targets, T ≈ p/N for independent features, monotone in λ;
// surrogate tr(YᵀZZᵀY), Z = H W_lᵀ, against a hand computation.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>

#include "analyses/target_linearity.hpp"

using namespace vclab;

namespace {

// A perfect linear fit leaves a residual of rounding size: a few hundred ulps of ‖Y‖² for N ≤ 60.
constexpr double kExactTol = 1e-10;

arma::mat gaussian(std::size_t rows, std::size_t cols, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  arma::mat m(rows, cols);
  m.imbue([&] { return normal(rng); });
  return m;
}

// One-hot (n, classes), sample i in class i mod classes: balanced, every class present.
arma::mat one_hot(std::size_t n, std::size_t classes) {
  arma::mat y(n, classes, arma::fill::zeros);
  for (std::size_t i = 0; i < n; ++i) y(i, i % classes) = 1.0;
  return y;
}

}  // namespace

TEST_CASE("target_linearity is 1 for features that are a linear map of the targets") {
  const arma::mat y = one_hot(30, 3);
  // Square invertible map (p = C): centred H = Y_c A has rank C − 1, so HᵀH is singular and the
  // λ = 0 pseudo-inverse fallback is exercised.
  const arma::mat a = {{2.0, -1.0, 0.5}, {0.3, 1.5, -2.0}, {1.0, 1.0, 3.0}};
  REQUIRE(std::abs(arma::det(a)) > 1.0);
  CHECK(target_linearity(y * a, y, 0.0) == doctest::Approx(1.0).epsilon(kExactTol));
  // Wider map (p = 7 > C) plus a constant offset, which centring removes.
  const arma::mat wide = y * gaussian(3, 7, 11) + 4.0;
  CHECK(target_linearity(wide, y, 0.0) == doctest::Approx(1.0).epsilon(kExactTol));
  // Noise in the features breaks exact linearity: T drops below 1 (the test can fail).
  const arma::mat noisy = y * a + 0.5 * gaussian(30, 3, 12);
  CHECK(target_linearity(noisy, y, 0.0) < 1.0 - 1e-3);
}

TEST_CASE("target_linearity is near 0 for independent Gaussian features with N >> p") {
  // Centred Y lives in an (N − 1)-dim space; projecting a fixed vector onto an independent random
  // p-dim subspace keeps a Beta(p/2, (N − 1 − p)/2) fraction of its energy: mean p/(N − 1) = 2.5e-3,
  // sd ≈ √(2p)/N ≈ 1.6e-3 here. 5p/N = 0.0125 is the mean plus about six sd.
  const std::size_t n = 2000, p = 5;
  const arma::mat y = one_hot(n, 4);
  const double t = target_linearity(gaussian(n, p, 21), y, 0.0);
  CHECK(t >= 0.0);
  CHECK(t < 5.0 * static_cast<double>(p) / static_cast<double>(n));
}

TEST_CASE("target_linearity decreases monotonically as lambda grows") {
  // Ridge training error is non-increasing in fit freedom: larger λ, larger residual, smaller T.
  const arma::mat y = one_hot(40, 4);
  const arma::mat h = y * gaussian(4, 6, 31) + 0.3 * gaussian(40, 6, 32);
  const double lambdas[] = {0.0, 0.01, 0.1, 1.0, 10.0, 100.0, 1000.0, 1e5};
  double previous = 2.0;
  for (double lambda : lambdas) {
    const double t = target_linearity(h, y, lambda);
    CAPTURE(lambda);
    CHECK(t < previous);
    CHECK(t > 0.0);
    previous = t;
  }
  CHECK(previous < 0.5);  // λ = 1e5 ≫ the eigenvalues of HᵀH (≲ N · O(1)): the fit shrinks to ~0
}

TEST_CASE("target_linearity rejects bad input and gives NaN for constant targets") {
  const arma::mat y = one_hot(6, 2);
  CHECK_THROWS_AS(target_linearity(arma::mat(5, 3, arma::fill::ones), y, 0.0), std::invalid_argument);
  CHECK_THROWS_AS(target_linearity(gaussian(6, 3, 1), y, -1.0), std::invalid_argument);
  CHECK(std::isnan(target_linearity(gaussian(6, 3, 1), arma::mat(6, 2, arma::fill::ones), 0.0)));
}

TEST_CASE("target_linearity_surrogate matches a hand computation") {
  const arma::mat h = {{1.0, 0.0}, {0.0, 1.0}, {1.0, 1.0}};  // (N = 3, p = 2)
  const arma::mat w = {{1.0, 2.0}, {0.0, 1.0}};              // (k = 2, p = 2)
  const arma::mat y = {{1.0, 0.0}, {0.0, 1.0}, {1.0, 0.0}};  // (N = 3, C = 2)
  // Z = H Wᵀ = [[1, 0], [2, 1], [3, 1]]; ZᵀY = [[1+3, 2], [0+1, 1]] = [[4, 2], [1, 1]];
  // tr(YᵀZZᵀY) = ‖ZᵀY‖²_F = 16 + 4 + 1 + 1 = 22 (small integers: exact in double).
  CHECK(target_linearity_surrogate(h, w, y) == 22.0);
  CHECK_THROWS_AS(target_linearity_surrogate(h, arma::mat(2, 3), y), std::invalid_argument);
}
