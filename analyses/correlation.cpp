// Pearson, Spearman (average ranks for ties) and cosine similarity of vectors and matrix parts,
// and the PSD matrix power A^α of the Neural Feature Ansatz (G ∝ A^α), see docs/recorded_quantities.md.
#include "analyses/correlation.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace vclab {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void check_sizes(const arma::vec& a, const arma::vec& b, const char* what) {
  if (a.n_elem != b.n_elem)
    throw std::invalid_argument(std::string(what) + ": vectors differ in length (" +
                                std::to_string(a.n_elem) + " vs " + std::to_string(b.n_elem) + ")");
}

// Ranks 1..n; a run of tied values shares the average of the ranks it spans.
arma::vec average_ranks(const arma::vec& v) {
  const arma::uvec order = arma::stable_sort_index(v);
  arma::vec ranks(v.n_elem);
  std::size_t i = 0;
  while (i < order.n_elem) {
    std::size_t j = i + 1;
    while (j < order.n_elem && v(order(j)) == v(order(i))) ++j;
    const double rank = 0.5 * static_cast<double>(i + 1 + j);  // mean of ranks i+1 .. j
    for (std::size_t k = i; k < j; ++k) ranks(order(k)) = rank;
    i = j;
  }
  return ranks;
}

void check_square(const arma::mat& m, const char* what) {
  if (!m.is_square())
    throw std::invalid_argument(std::string(what) + ": matrix is " + std::to_string(m.n_rows) +
                                " x " + std::to_string(m.n_cols) + ", not square");
}

}  // namespace

double pearson(const arma::vec& a, const arma::vec& b) {
  check_sizes(a, b, "pearson");
  if (a.n_elem < 2 || a.has_nan() || b.has_nan()) return kNaN;
  // Two passes (centre, then sum) keep large common offsets from cancelling digits.
  const arma::vec da = a - arma::mean(a);
  const arma::vec db = b - arma::mean(b);
  const double ss_a = arma::dot(da, da);
  const double ss_b = arma::dot(db, db);
  if (ss_a == 0.0 || ss_b == 0.0) return kNaN;
  // Rounding can push |r| a hair above 1 for perfectly linear data.
  return std::clamp(arma::dot(da, db) / std::sqrt(ss_a * ss_b), -1.0, 1.0);
}

double spearman(const arma::vec& a, const arma::vec& b) {
  check_sizes(a, b, "spearman");
  if (a.n_elem < 2 || a.has_nan() || b.has_nan()) return kNaN;  // NaN has no rank
  return pearson(average_ranks(a), average_ranks(b));
}

double cosine_similarity(const arma::vec& a, const arma::vec& b) {
  check_sizes(a, b, "cosine_similarity");
  if (a.is_empty() || a.has_nan() || b.has_nan()) return kNaN;
  const double norm_a = arma::norm(a);
  const double norm_b = arma::norm(b);
  if (norm_a == 0.0 || norm_b == 0.0) return kNaN;
  return std::clamp(arma::dot(a, b) / (norm_a * norm_b), -1.0, 1.0);
}

arma::vec upper_triangle(const arma::mat& m, bool include_diagonal) {
  check_square(m, "upper_triangle");
  const arma::uword n = m.n_rows;
  const arma::uword count = include_diagonal ? n * (n + 1) / 2 : (n == 0 ? 0 : n * (n - 1) / 2);
  arma::vec out(count);
  arma::uword k = 0;
  for (arma::uword r = 0; r < n; ++r)
    for (arma::uword c = include_diagonal ? r : r + 1; c < n; ++c) out(k++) = m(r, c);
  return out;
}

arma::mat psd_power(const arma::mat& a, double alpha) {
  check_square(a, "psd_power");
  if (!(alpha > 0.0)) throw std::invalid_argument("psd_power: alpha must be > 0");
  const arma::mat symmetric = 0.5 * (a + a.t());
  arma::vec eigenvalues;
  arma::mat eigenvectors;  // columns: orthonormal eigenvectors
  if (!arma::eig_sym(eigenvalues, eigenvectors, symmetric)) throw std::runtime_error("psd_power: eigendecomposition failed");
  const arma::vec powered = arma::pow(arma::clamp(eigenvalues, 0.0, arma::datum::inf), alpha);
  return eigenvectors * arma::diagmat(powered) * eigenvectors.t();
}

Correlations correlate(const arma::vec& a, const arma::vec& b) {
  return {pearson(a, b), spearman(a, b), cosine_similarity(a, b)};
}

Correlations correlate_matrices(const arma::mat& a, const arma::mat& b, MatrixPart part) {
  if (a.n_rows != b.n_rows || a.n_cols != b.n_cols)
    throw std::invalid_argument("correlate_matrices: shapes differ (" + std::to_string(a.n_rows) +
                                " x " + std::to_string(a.n_cols) + " vs " +
                                std::to_string(b.n_rows) + " x " + std::to_string(b.n_cols) + ")");
  switch (part) {
    case MatrixPart::diagonal:
      check_square(a, "correlate_matrices");
      return correlate(a.diag(), b.diag());
    case MatrixPart::upper_triangle:
      return correlate(upper_triangle(a, true), upper_triangle(b, true));
    case MatrixPart::full:
      break;
  }
  return correlate(arma::vectorise(a), arma::vectorise(b));
}

}  // namespace vclab
