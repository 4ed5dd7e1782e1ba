// Principal angles acos σ(Q_aᵀQ_b), top eigenvectors, the Marchenko–Pastur edge
// σ²(√n_rows + √n_cols)² and outlier counts beyond it.
#include "analyses/spectra.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace vclab {
namespace {

// Relative size of a QR pivot below which a column is taken as a combination of the others:
// ~1e4 ulps, far above rounding for well-posed inputs, far below any genuinely independent column.
constexpr double kRankTol = 1e-12;

arma::mat orthonormal_basis(const arma::mat& m, const char* which) {
  if (m.n_cols == 0 || m.n_rows == 0) throw std::invalid_argument(std::string("principal_angles: ") + which + " is empty");
  arma::mat q, r;
  if (!arma::qr_econ(q, r, m)) throw std::runtime_error(std::string("principal_angles: QR of ") + which + " failed");
  const arma::vec pivots = arma::abs(r.diag());
  if (pivots.n_elem < m.n_cols || pivots.min() <= kRankTol * pivots.max())
    throw std::invalid_argument(std::string("principal_angles: columns of ") + which + " are linearly dependent");
  return q;
}

}  // namespace

arma::vec principal_angles(const arma::mat& a, const arma::mat& b) {
  if (a.n_rows != b.n_rows)
    throw std::invalid_argument("principal_angles: a has " + std::to_string(a.n_rows) + " rows but b has " +
                                std::to_string(b.n_rows));
  const arma::mat qa = orthonormal_basis(a, "a");
  const arma::mat qb = orthonormal_basis(b, "b");
  arma::vec s;
  if (!arma::svd(s, qa.t() * qb)) throw std::runtime_error("principal_angles: SVD failed");
  // Singular values come back descending, so the angles ascend.
  arma::vec angles(s.n_elem);
  for (std::size_t i = 0; i < s.n_elem; ++i) angles(i) = std::acos(std::clamp(s(i), 0.0, 1.0));
  return angles;
}

arma::mat top_eigenvectors(const arma::mat& sym, std::size_t k) {
  if (!sym.is_square()) throw std::invalid_argument("top_eigenvectors: matrix is not square");
  if (k > sym.n_rows)
    throw std::invalid_argument("top_eigenvectors: k = " + std::to_string(k) + " exceeds n = " +
                                std::to_string(sym.n_rows));
  arma::vec values;
  arma::mat vectors;
  if (!arma::eig_sym(values, vectors, arma::mat(0.5 * (sym + sym.t())))) throw std::runtime_error("top_eigenvectors: eig_sym failed");
  // eig_sym orders eigenvalues ascending: take the last k columns, largest first.
  return arma::fliplr(vectors.tail_cols(k));
}

double marchenko_pastur_upper_edge(std::size_t n_rows, std::size_t n_cols, double variance) {
  if (n_rows == 0 || n_cols == 0) throw std::invalid_argument("marchenko_pastur_upper_edge: sizes must be > 0");
  if (!(variance >= 0.0)) throw std::invalid_argument("marchenko_pastur_upper_edge: variance must be >= 0");
  const double root_sum = std::sqrt(static_cast<double>(n_rows)) + std::sqrt(static_cast<double>(n_cols));
  return variance * root_sum * root_sum;
}

std::size_t count_outliers(const arma::vec& eigenvalues, double edge) {
  return static_cast<std::size_t>(arma::accu(eigenvalues > edge));
}

}  // namespace vclab
