// Similarity measures between feature matrices (Gram W^T W, AGOP, virtual covariance): Pearson,
// Spearman and uncentered cosine, on diagonals (the VCL paper's Figure 1), upper triangles or full
// matrices (the Neural Feature Ansatz code), plus the PSD matrix power used for G ∝ A^α.
#pragma once
#include <armadillo>

namespace vclab {

// Pearson correlation of two equally long vectors. NaN when either is constant (zero variance),
// has fewer than 2 elements, or holds a NaN. Throws std::invalid_argument on a size mismatch.
double pearson(const arma::vec& a, const arma::vec& b);

// Spearman rank correlation: Pearson of the ranks, tied values get the average of their ranks.
// NaN when either input is constant, has fewer than 2 elements or holds a NaN. Throws
// std::invalid_argument on a size mismatch.
double spearman(const arma::vec& a, const arma::vec& b);

// Uncentered cosine similarity aᵀb / (‖a‖‖b‖). NaN when either vector is zero (the uncentered
// analogue of a constant input; a constant non-zero vector has a well-defined cosine), empty, or
// holds a NaN. Throws std::invalid_argument on a size mismatch.
double cosine_similarity(const arma::vec& a, const arma::vec& b);

// Entries of a square matrix on and above (include_diagonal) or strictly above the diagonal, in
// row-major order: (0,0), (0,1), ..., (0,n-1), (1,1), ... as numpy.triu_indices lists them.
// Throws std::invalid_argument for a non-square matrix.
arma::vec upper_triangle(const arma::mat& m, bool include_diagonal);

// A^α of the positive semi-definite part of a: symmetrise (a + aᵀ)/2, eigendecompose, clip
// negative eigenvalues to 0, raise to alpha: V max(Λ, 0)^α Vᵀ. alpha must be > 0 (a clipped zero
// eigenvalue has no negative power). Throws std::invalid_argument for a non-square matrix or
// alpha <= 0, std::runtime_error if the eigendecomposition fails.
arma::mat psd_power(const arma::mat& a, double alpha);

struct Correlations {
  double pearson;
  double spearman;
  double cosine;
};

// All three measures of the same pair of vectors.
Correlations correlate(const arma::vec& a, const arma::vec& b);

enum class MatrixPart {
  diagonal,        // the diagonals (VCL paper, Figure 1)
  upper_triangle,  // entries on and above the diagonal: each entry of a symmetric matrix once
  full,            // every entry, flattened (Neural Feature Ansatz code)
};

// correlate() of the chosen part of two equally shaped matrices. Throws std::invalid_argument
// when the shapes differ or (diagonal, upper_triangle) a matrix is not square.
Correlations correlate_matrices(const arma::mat& a, const arma::mat& b, MatrixPart part);

}  // namespace vclab
