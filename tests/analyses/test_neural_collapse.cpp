// Neural collapse NC1–NC4 (rows = samples): all near 0 on a planted simplex ETF with tiny
// within-class noise and W = the class means; clearly above 0 for random features and classifier.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>

#include "analyses/neural_collapse.hpp"

using namespace vclab;

namespace {

arma::mat gaussian(std::size_t rows, std::size_t cols, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  arma::mat m(rows, cols);
  m.imbue([&] { return normal(rng); });
  return m;
}

arma::uvec balanced_labels(std::size_t n, std::size_t classes) {
  arma::uvec y(n);
  for (std::size_t i = 0; i < n; ++i) y(i) = i % classes;
  return y;
}

constexpr std::size_t kClasses = 4, kDim = 6, kPerClass = 25, kN = kClasses * kPerClass;
constexpr double kScale = 5.0;   // ‖μ_c‖ of the planted means
constexpr double kNoise = 1e-3;  // within-class standard deviation
// Empirical class means miss the planted ones by ~kNoise/√kPerClass = 2e-4, relative 4e-5 of kScale:
// NC2 and NC3 are first order in that, a few 1e-5. NC1 is second order: ≈ kNoise²(C − 1)²/(C kScale²)
// ≈ 1e-7. The bounds sit one to two orders above those estimates.
constexpr double kNc1Collapsed = 1e-5;
constexpr double kNc23Collapsed = 1e-3;

}  // namespace

TEST_CASE("neural_collapse is near 0 on a planted simplex ETF") {
  // Simplex ETF in R^C: √(C/(C−1)) (I − 11ᵀ/C), rows unit norm with pairwise cosine −1/(C−1),
  // embedded in R^p by a random orthonormal U (p, C).
  const double c = static_cast<double>(kClasses);
  const arma::mat etf = std::sqrt(c / (c - 1.0)) * (arma::eye(kClasses, kClasses) - arma::ones(kClasses, kClasses) / c);
  arma::mat u, r;
  REQUIRE(arma::qr_econ(u, r, gaussian(kDim, kClasses, 41)));
  const arma::mat means = kScale * etf * u.t();  // (C, p), global mean 0
  const arma::uvec labels = balanced_labels(kN, kClasses);
  const arma::mat h = means.rows(labels) + kNoise * gaussian(kN, kDim, 42);

  const NeuralCollapse nc = neural_collapse(h, labels, means);
  CHECK(nc.nc1 >= 0.0);
  CHECK(nc.nc1 < kNc1Collapsed);
  CHECK(nc.nc2 < kNc23Collapsed);
  CHECK(nc.nc3 < kNc23Collapsed);
  CHECK(nc.nc4 == 0.0);

  // Same features, a classifier that is not the means: NC3 and NC4 react, NC1/NC2 do not change.
  const arma::mat w_random = gaussian(kClasses, kDim, 43);
  const NeuralCollapse off = neural_collapse(h, labels, w_random);
  CHECK(off.nc1 == doctest::Approx(nc.nc1));
  CHECK(off.nc3 > 0.5);
  CHECK(off.nc4 > 0.0);
}

TEST_CASE("neural_collapse is clearly above 0 for random features") {
  // Independent N(0, 1) features: Σ_W ≈ I while the class means differ only by noise of size
  // 1/√kPerClass, so Σ_B's C − 1 non-zero eigenvalues are ~1/kPerClass or smaller and
  // tr(Σ_W Σ_B⁺)/C ≳ (C − 1) kPerClass / C ≈ 19; random centred means are far from an ETF; a random
  // unit-Frobenius W is at distance ≈ √2 from M̃/‖M̃‖_F; random logits agree with the nearest centre
  // about 1/C of the time.
  const arma::uvec labels = balanced_labels(kN, kClasses);
  const NeuralCollapse nc = neural_collapse(gaussian(kN, kDim, 51), labels, gaussian(kClasses, kDim, 52));
  CHECK(nc.nc1 > 1.0);
  CHECK(nc.nc2 > 0.1);
  CHECK(nc.nc3 > 0.5);
  CHECK(nc.nc4 > 0.3);
}

TEST_CASE("neural_collapse rejects inconsistent input") {
  const arma::mat h = gaussian(8, 3, 61);
  const arma::mat w = gaussian(2, 3, 62);
  CHECK_THROWS_AS(neural_collapse(h, balanced_labels(7, 2), w), std::invalid_argument);
  CHECK_THROWS_AS(neural_collapse(h, balanced_labels(8, 2), gaussian(2, 4, 63)), std::invalid_argument);
  arma::uvec one_class(8, arma::fill::zeros);
  CHECK_THROWS_AS(neural_collapse(h, one_class, w), std::invalid_argument);  // class 1 empty
  arma::uvec out_of_range = balanced_labels(8, 2);
  out_of_range(3) = 2;
  CHECK_THROWS_AS(neural_collapse(h, out_of_range, w), std::invalid_argument);
}
