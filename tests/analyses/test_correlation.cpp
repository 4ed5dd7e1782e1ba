// Tests for analyses/correlation: Pearson, Spearman (ties), cosine, matrix parts and psd_power
// against values computed by hand.
#include "analyses/correlation.hpp"

#include <cmath>
#include <stdexcept>

#include "test_util.hpp"

namespace {
constexpr double kHandTol = 1e-12;  // closed forms evaluated in double: only rounding error
}

TEST_CASE("pearson matches a hand computation") {
  // a = [1,2,3,4], b = [2,4,5,9]; means 2.5 and 5.
  // deviations: a -1.5 -0.5 0.5 1.5; b -3 -1 0 4
  // Σ da·db = 4.5 + 0.5 + 0 + 6 = 11; Σ da² = 5; Σ db² = 9 + 1 + 0 + 16 = 26
  // r = 11 / sqrt(5·26) = 11 / sqrt(130) = 0.9647638212377322
  const arma::vec a = {1, 2, 3, 4};
  const arma::vec b = {2, 4, 5, 9};
  CHECK(std::abs(vclab::pearson(a, b) - 11.0 / std::sqrt(130.0)) < kHandTol);
  CHECK(std::abs(vclab::pearson(a, b) - 0.9647638212377322) < kHandTol);
  CHECK(std::abs(vclab::pearson(b, a) - vclab::pearson(a, b)) < kHandTol);  // symmetric
}

TEST_CASE("pearson and spearman are exactly +-1 for perfect relations") {
  const arma::vec a = {0.5, -1.0, 3.0, 2.0, 7.5};
  CHECK(vclab::pearson(a, 3.0 * a + 1.0) == doctest::Approx(1.0).epsilon(kHandTol));
  CHECK(vclab::pearson(a, -2.0 * a) == doctest::Approx(-1.0).epsilon(kHandTol));
  CHECK(vclab::spearman(a, 3.0 * a + 1.0) == doctest::Approx(1.0).epsilon(kHandTol));
  CHECK(vclab::spearman(a, -2.0 * a) == doctest::Approx(-1.0).epsilon(kHandTol));
  // exp is monotone but not linear: Spearman stays 1, Pearson drops below 1.
  CHECK(vclab::spearman(a, arma::exp(a)) == doctest::Approx(1.0).epsilon(kHandTol));
  CHECK(vclab::pearson(a, arma::exp(a)) < 0.95);
  CHECK(vclab::cosine_similarity(a, 4.0 * a) == doctest::Approx(1.0).epsilon(kHandTol));
  CHECK(vclab::cosine_similarity(a, -0.5 * a) == doctest::Approx(-1.0).epsilon(kHandTol));
}

TEST_CASE("spearman gives tied values their average rank") {
  // a = [10, 20, 20, 30, 40] -> ranks 1, 2.5, 2.5, 4, 5 (the two 20s share ranks 2 and 3)
  // b = [1, 3, 2, 5, 4]      -> ranks 1, 3, 2, 5, 4; both rank vectors have mean 3
  // deviations: ra -2 -0.5 -0.5 1 2; rb -2 0 -1 2 1
  // Σ = 4 + 0 + 0.5 + 2 + 2 = 8.5; Σ ra² = 9.5; Σ rb² = 10
  // ρ = 8.5 / sqrt(95) = 0.872081599272381
  const arma::vec a = {10, 20, 20, 30, 40};
  const arma::vec b = {1, 3, 2, 5, 4};
  CHECK(std::abs(vclab::spearman(a, b) - 8.5 / std::sqrt(95.0)) < kHandTol);
  // Without tie handling (ranks 1,2,3,4,5 by position) the value would be 0.8 instead.
  CHECK(std::abs(vclab::spearman(a, b) - 0.8) > 0.05);
  // Order of the input must not matter: permute both vectors the same way.
  const arma::uvec perm = {3, 0, 4, 2, 1};
  const arma::vec ap = a.elem(perm);
  const arma::vec bp = b.elem(perm);
  CHECK(std::abs(vclab::spearman(ap, bp) - 8.5 / std::sqrt(95.0)) < kHandTol);
}

TEST_CASE("cosine similarity is uncentered") {
  // a = [1,2,2], b = [2,0,1]: aᵀb = 2 + 0 + 2 = 4, ‖a‖ = 3, ‖b‖ = sqrt(5)
  // cos = 4 / (3 sqrt 5) = 0.5962847939999439
  const arma::vec a = {1, 2, 2};
  const arma::vec b = {2, 0, 1};
  CHECK(std::abs(vclab::cosine_similarity(a, b) - 4.0 / (3.0 * std::sqrt(5.0))) < kHandTol);
  // Adding a constant changes the cosine (uncentered) but not Pearson (centered).
  CHECK(std::abs(vclab::pearson(a + 10.0, b) - vclab::pearson(a, b)) < kHandTol);
  CHECK(std::abs(vclab::cosine_similarity(a + 10.0, b) - vclab::cosine_similarity(a, b)) > 0.1);
}

TEST_CASE("constant or zero input gives NaN, size mismatch throws") {
  const arma::vec constant(4, arma::fill::value(2.5));
  const arma::vec zero(4, arma::fill::zeros);
  const arma::vec v = {1, 2, 3, 4};
  CHECK(std::isnan(vclab::pearson(constant, v)));
  CHECK(std::isnan(vclab::pearson(v, constant)));
  CHECK(std::isnan(vclab::spearman(constant, v)));
  CHECK(std::isnan(vclab::cosine_similarity(zero, v)));
  // A constant non-zero vector has a cosine: (2.5·10) / (5 · sqrt(30)).
  CHECK(std::abs(vclab::cosine_similarity(constant, v) - 25.0 / (5.0 * std::sqrt(30.0))) < kHandTol);
  CHECK(std::isnan(vclab::pearson(arma::vec{1.0}, arma::vec{2.0})));  // one sample
  const arma::vec with_nan = {1, arma::datum::nan, 3, 4};
  CHECK(std::isnan(vclab::pearson(with_nan, v)));
  CHECK(std::isnan(vclab::spearman(with_nan, v)));
  const vclab::Correlations c = vclab::correlate(constant, v);
  CHECK(std::isnan(c.pearson));
  CHECK(std::isnan(c.spearman));
  const arma::vec shorter = {1, 2, 3};
  CHECK_THROWS_AS(vclab::pearson(v, shorter), std::invalid_argument);
  CHECK_THROWS_AS(vclab::spearman(v, shorter), std::invalid_argument);
  CHECK_THROWS_AS(vclab::cosine_similarity(v, shorter), std::invalid_argument);
}

TEST_CASE("upper_triangle lists entries row by row") {
  const arma::mat m = {{1, 2, 3}, {4, 5, 6}, {7, 8, 9}};
  vclab::test::require_close(vclab::upper_triangle(m, true), arma::vec{1, 2, 3, 5, 6, 9}, 0.0,
                             "with diagonal");
  vclab::test::require_close(vclab::upper_triangle(m, false), arma::vec{2, 3, 6}, 0.0,
                             "without diagonal");
  CHECK(vclab::upper_triangle(arma::mat(1, 1, arma::fill::value(4.0)), false).n_elem == 0);
  CHECK_THROWS_AS(vclab::upper_triangle(arma::mat(2, 3), true), std::invalid_argument);
}

TEST_CASE("psd_power on a matrix with a known eigendecomposition") {
  // A = Q diag(4, 1, -2) Qᵀ with Q a rotation by 45° in the (x, y) plane.
  // The PSD part raised to 1/2 is Q diag(2, 1, 0) Qᵀ; to the power 1 it is Q diag(4, 1, 0) Qᵀ.
  const double s = 1.0 / std::sqrt(2.0);
  const arma::mat q = {{s, s, 0}, {-s, s, 0}, {0, 0, 1}};
  const arma::mat a = q * arma::diagmat(arma::vec{4, 1, -2}) * q.t();
  constexpr double kEigTol = 1e-12;  // LAPACK eigendecomposition of a 3x3: rounding only
  vclab::test::require_close(vclab::psd_power(a, 0.5), q * arma::diagmat(arma::vec{2, 1, 0}) * q.t(),
                             kEigTol, "alpha 1/2");
  vclab::test::require_close(vclab::psd_power(a, 1.0), q * arma::diagmat(arma::vec{4, 1, 0}) * q.t(),
                             kEigTol, "alpha 1 clips the negative eigenvalue");
  // By hand: diag(9, 4)^(1/2) = diag(3, 2).
  vclab::test::require_close(vclab::psd_power(arma::mat{{9, 0}, {0, 4}}, 0.5),
                             arma::mat{{3, 0}, {0, 2}}, kEigTol, "diagonal");
  // Only the symmetric part counts: adding a skew-symmetric matrix changes nothing.
  const arma::mat skew = {{0, 1, -2}, {-1, 0, 0.5}, {2, -0.5, 0}};
  vclab::test::require_close(vclab::psd_power(a + skew, 0.5), vclab::psd_power(a, 0.5), kEigTol,
                             "symmetrised");
  CHECK_THROWS_AS(vclab::psd_power(a, 0.0), std::invalid_argument);
  CHECK_THROWS_AS(vclab::psd_power(arma::mat(2, 3, arma::fill::ones), 0.5), std::invalid_argument);
}

TEST_CASE("correlate_matrices picks the requested part") {
  // Diagonals [1,2,3,4] and [2,4,5,9]: Pearson 11/sqrt(130) as in the first test case; the
  // off-diagonal entries are chosen to disagree so that only MatrixPart::diagonal sees 0.96.
  arma::mat a = {{1, 5, -3, 0}, {5, 2, 8, 1}, {-3, 8, 3, -6}, {0, 1, -6, 4}};
  arma::mat b = {{2, -4, 7, 1}, {-4, 4, -2, 3}, {7, -2, 5, 0}, {1, 3, 0, 9}};
  const vclab::Correlations diag = vclab::correlate_matrices(a, b, vclab::MatrixPart::diagonal);
  CHECK(std::abs(diag.pearson - 11.0 / std::sqrt(130.0)) < kHandTol);
  CHECK(std::abs(diag.spearman - 1.0) < kHandTol);  // both diagonals increase
  const vclab::Correlations upper = vclab::correlate_matrices(a, b, vclab::MatrixPart::upper_triangle);
  const vclab::Correlations expected_upper =
      vclab::correlate(vclab::upper_triangle(a, true), vclab::upper_triangle(b, true));
  CHECK(upper.pearson == expected_upper.pearson);
  CHECK(upper.pearson < 0.5);
  const vclab::Correlations full = vclab::correlate_matrices(a, b, vclab::MatrixPart::full);
  CHECK(std::abs(full.cosine - arma::dot(arma::vectorise(a), arma::vectorise(b)) /
                                   (arma::norm(arma::vectorise(a)) * arma::norm(arma::vectorise(b)))) <
        kHandTol);
  CHECK_THROWS_AS(vclab::correlate_matrices(a, arma::mat(3, 3), vclab::MatrixPart::full),
                  std::invalid_argument);
}
