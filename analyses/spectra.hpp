// Spectral tools: principal angles θ_i = acos σ_i(Q_aᵀ Q_b) between column spans, top eigenvectors of
// a symmetric matrix, the Marchenko–Pastur upper edge σ²(√n_rows + √n_cols)² of squared singular
// values of an iid matrix, and the count of eigenvalues beyond that edge (BBP outliers).
#pragma once
#include <armadillo>
#include <cstddef>

namespace vclab {

// Principal angles (radians, ascending) between span(a) and span(b), a (d, k_a) and b (d, k_b) with
// COLUMNS spanning the subspaces; min(k_a, k_b) angles. Each input is orthonormalised by economy QR,
// then θ_i = acos(σ_i(Q_aᵀ Q_b)) with σ_i clamped to [0, 1]. acos is ill-conditioned near 0: angles
// below ~1e-8 come back with absolute error ~√ε ≈ 1.5e-8. Returned as a column (an arma::vec is an
// arma::mat with one column). Throws std::invalid_argument when the row counts differ, a matrix is
// empty, or has linearly dependent columns (|R_ii| ≤ 1e-12 · max |R_jj|); std::runtime_error if QR
// or SVD fails.
arma::vec principal_angles(const arma::mat& a, const arma::mat& b);

// The k eigenvectors (columns, unit norm) of the largest eigenvalues of a symmetric matrix, in
// descending eigenvalue order; signs are arbitrary. The input is symmetrised, (sym + symᵀ)/2.
// Throws std::invalid_argument for a non-square matrix or k > n; std::runtime_error if eig_sym fails.
arma::mat top_eigenvectors(const arma::mat& sym, std::size_t k);

// Asymptotic upper edge of the squared singular values (the eigenvalues of XᵀX, or of XXᵀ) of an
// (n_rows × n_cols) matrix X with iid zero-mean entries of the given variance:
// variance · (√n_rows + √n_cols)². Finite-size fluctuations of the largest value are Tracy–Widom,
// of relative size ~(n_rows·n_cols)^{-1/6}·... (a few percent at n ~ 100s): compare with a margin.
// Throws std::invalid_argument when a size is 0 or variance < 0.
double marchenko_pastur_upper_edge(std::size_t n_rows, std::size_t n_cols, double variance);

// Number of eigenvalues strictly greater than edge.
std::size_t count_outliers(const arma::vec& eigenvalues, double edge);

}  // namespace vclab
