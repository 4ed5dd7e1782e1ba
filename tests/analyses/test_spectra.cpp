// Spectral tools: principal angles of planted subspaces, top eigenvectors of a planted spectrum,
// the Marchenko–Pastur edge against a 400 × 200 Gaussian matrix, and BBP outliers of a rank-1 spike.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>
#include <stdexcept>

#include "analyses/spectra.hpp"

using namespace vclab;

namespace {

// acos(1 − δ) ≈ √(2δ): a zero angle comes back as ~√ε ≈ 1.5e-8 at worst from rounding of σ ≈ 1.
constexpr double kZeroAngleTol = 1e-7;
// Away from 0 acos is well conditioned (|d acos/dσ| = 1/sin θ ≈ 3.4 at θ = 0.3): rounding only.
constexpr double kAngleTol = 1e-12;
// The largest squared singular value at 400 × 200 fluctuates on the Tracy–Widom scale
// (√n + √m)(1/√n + 1/√m)^{1/3} ≈ 17: TW1 mean −1.21 and sd 1.27 of that put it ~1.8% below the edge
// with ~1.8% sd per draw. Averaged over kDraws = 8 draws the sd is ~0.65%, so 5% leaves the offset
// plus ~5 sd; a wrong edge formula (e.g. σ²(n + m) = 600, or a missing variance factor) misses by far
// more. The same 5% margin on the edge keeps a single bulk draw from counting as an outlier (+3.7 sd).
constexpr double kEdgeRelTol = 0.05;
constexpr std::uint64_t kDraws = 8;
constexpr double kOutlierMargin = 1.0 + kEdgeRelTol;

arma::mat gaussian(std::size_t rows, std::size_t cols, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  arma::mat m(rows, cols);
  m.imbue([&] { return normal(rng); });
  return m;
}

arma::vec eigenvalues_of_gram(const arma::mat& x) { return arma::eig_sym(x.t() * x); }

}  // namespace

TEST_CASE("principal_angles recovers planted angles") {
  const double theta = 0.3;
  arma::mat a(4, 2, arma::fill::zeros), b(4, 2, arma::fill::zeros);
  a(0, 0) = 1.0;  // span{e1, e2}
  a(1, 1) = 1.0;
  b(0, 0) = 1.0;  // span{e1, cos θ e2 + sin θ e3}
  b(1, 1) = std::cos(theta);
  b(2, 1) = std::sin(theta);
  arma::vec angles = principal_angles(a, b);
  REQUIRE(angles.n_elem == 2);
  CHECK(std::abs(angles(0)) < kZeroAngleTol);
  CHECK(std::abs(angles(1) - theta) < kAngleTol);

  // The angles depend on the spans only: mix b's columns by an invertible, non-orthogonal map.
  const arma::mat mix = {{2.0, 1.0}, {-0.5, 3.0}};
  angles = principal_angles(a * mix, b * mix);
  CHECK(std::abs(angles(0)) < kZeroAngleTol);
  CHECK(std::abs(angles(1) - theta) < kAngleTol);

  // Orthogonal lines: π/2. Unequal dimensions: min(k_a, k_b) angles.
  CHECK(std::abs(principal_angles(a.col(0), b.col(1) - std::cos(theta) * a.col(1))(0) - std::numbers::pi / 2) < kAngleTol);
  CHECK(principal_angles(a.col(0), b).n_elem == 1);
  CHECK(std::abs(principal_angles(a.col(0), b)(0)) < kZeroAngleTol);
}

TEST_CASE("principal_angles rejects bad input") {
  const arma::mat a = gaussian(5, 2, 1);
  CHECK_THROWS_AS(principal_angles(a, gaussian(4, 2, 2)), std::invalid_argument);
  arma::mat dependent = a;
  dependent.insert_cols(2, 2.0 * a.col(0));
  CHECK_THROWS_AS(principal_angles(dependent, a), std::invalid_argument);
}

TEST_CASE("top_eigenvectors returns the leading eigenvectors in order") {
  arma::mat q, r;
  REQUIRE(arma::qr(q, r, gaussian(5, 5, 3)));
  const arma::vec spectrum = {5.0, 3.0, 1.0, 0.5, 0.1};
  const arma::mat sym = q * arma::diagmat(spectrum) * q.t();
  const arma::mat top = top_eigenvectors(sym, 2);
  REQUIRE(top.n_cols == 2);
  // Eigengaps ≥ 2 on a unit-scale matrix: eigenvectors exact to rounding, up to sign.
  CHECK(std::abs(arma::dot(top.col(0), q.col(0))) == doctest::Approx(1.0).epsilon(1e-12));
  CHECK(std::abs(arma::dot(top.col(1), q.col(1))) == doctest::Approx(1.0).epsilon(1e-12));
  CHECK(principal_angles(top, q.cols(0, 1)).max() < kZeroAngleTol);
  CHECK_THROWS_AS(top_eigenvectors(sym, 6), std::invalid_argument);
  CHECK_THROWS_AS(top_eigenvectors(arma::mat(3, 2), 1), std::invalid_argument);
}

TEST_CASE("marchenko_pastur_upper_edge matches a 400 x 200 Gaussian matrix") {
  const std::size_t n = 400, m = 200;
  CHECK(marchenko_pastur_upper_edge(n, m, 1.0) == doctest::Approx(std::pow(20.0 + std::sqrt(200.0), 2)));
  double mean_top = 0.0;
  for (std::uint64_t draw = 0; draw < kDraws; ++draw) {
    mean_top += eigenvalues_of_gram(gaussian(n, m, 2026 + draw)).max() / static_cast<double>(kDraws);
  }
  CHECK(mean_top == doctest::Approx(marchenko_pastur_upper_edge(n, m, 1.0)).epsilon(kEdgeRelTol));
  // Variance scales the edge: entries of variance 4 scale every eigenvalue of XᵀX by 4.
  CHECK(4.0 * mean_top == doctest::Approx(marchenko_pastur_upper_edge(n, m, 4.0)).epsilon(kEdgeRelTol));
  CHECK(marchenko_pastur_upper_edge(n, m, 4.0) == doctest::Approx(4.0 * marchenko_pastur_upper_edge(n, m, 1.0)));
}

TEST_CASE("count_outliers finds a rank-1 spike above the BBP threshold only") {
  // X = G + θ√n u vᵀ, G (n, m) iid N(0, 1), unit u, v; aspect c = m/n = 1/2. For X/√n the spike
  // separates from the bulk iff θ > c^{1/4} ≈ 0.84, the outlier sitting at (1 + θ²)(c + θ²)/θ².
  const std::size_t n = 400, m = 200;
  const double c = static_cast<double>(m) / static_cast<double>(n);
  const arma::mat g = gaussian(n, m, 7);
  const arma::vec u = arma::normalise(gaussian(n, 1, 8).col(0));
  const arma::vec v = arma::normalise(gaussian(m, 1, 9).col(0));
  const double edge = kOutlierMargin * marchenko_pastur_upper_edge(n, m, 1.0);
  const double sqrt_n = std::sqrt(static_cast<double>(n));

  CHECK(count_outliers(eigenvalues_of_gram(g), edge) == 0);

  const double strong = 3.0;
  const arma::vec spiked = eigenvalues_of_gram(g + strong * sqrt_n * u * v.t());
  CHECK(count_outliers(spiked, edge) == 1);
  // Outlier location: O(1/√n) finite-size fluctuations, 10% is several of them.
  const double predicted = static_cast<double>(n) * (1.0 + strong * strong) * (c + strong * strong) / (strong * strong);
  CHECK(spiked.max() == doctest::Approx(predicted).epsilon(0.10));

  const double weak = 0.5;  // below c^{1/4}: absorbed into the bulk
  CHECK(count_outliers(eigenvalues_of_gram(g + weak * sqrt_n * u * v.t()), edge) == 0);

  CHECK(count_outliers(arma::vec{1.0, 2.0, 3.0}, 2.0) == 1);  // strictly greater
}
