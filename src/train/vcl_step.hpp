// One VCL layer step (Cha & Lee 2025, Appendix B Algorithm 1, Proposition 4): from the target Gram
// M = W_lᵀW_l + V_l take W̃ = Λ_k^α Q_kᵀ (k largest eigenpairs, negatives clipped), then the
// Procrustes rotation W⁺ = P Rᵀ W̃ with P Σ Rᵀ = SVD(W W̃ᵀ), the W⁺ closest to W with that Gram.
#pragma once

#include <armadillo>
#include <cstddef>

#include "train/top_eigen.hpp"

namespace vclab {

struct VclStepOptions {
  // Exponent on the kept eigenvalues: α = 1/2 makes W̃ᵀW̃ the best rank-k PSD approximation of M;
  // the paper trains with α = 0.1 (α = 0.5 is "numerically unstable" there).
  double alpha = 0.1;
  // M = WᵀW + V can be indefinite. true: negative kept eigenvalues become 0 before Λ^α (counted);
  // false: a negative kept eigenvalue throws std::runtime_error.
  bool clip_negative = true;
};

template <class T>
struct VclLayerResult {
  arma::Mat<T> weights;            // (k, d) W⁺
  std::size_t n_clipped = 0;       // kept eigenvalues that were negative and clipped to 0
  double min_kept_eigenvalue = 0;  // λ_k before clipping
  TrackerStats solver;             // eigen-solver stats (full EVD: used_full = true)
};

// Orthogonal Procrustes (Proposition 4): U W̃ with U = P Rᵀ minimising ‖U W̃ − W‖_F over orthogonal
// U, where P Σ Rᵀ = SVD(W W̃ᵀ). w, w_tilde: (k, d). Leaves the Gram W̃ᵀW̃ unchanged.
template <class T>
arma::Mat<T> procrustes_align(const arma::Mat<T>& w, const arma::Mat<T>& w_tilde);

// W̃ = Λ_k^α Q_kᵀ (k, d) from the top-k eigenpairs; negative eigenvalues are clipped to 0 and
// counted in *n_clipped (may be nullptr).
template <class T>
arma::Mat<T> vcl_target_weights(const TopEigen<T>& top, double alpha, std::size_t* n_clipped);

// One VCL step for a layer: w (k, d) current weights, target_gram (d, d) symmetric M = WᵀW + V. When k > d (a conv
// layer with c_out ≥ c_in k²) all d eigenpairs are kept and W̃ gets k − d zero rows, so W⁺ᵀW⁺ = Q Λ^{2α} Qᵀ.
// tracker == nullptr takes the full EVD; otherwise the tracker (constructed with the same k) is
// used and warm-started from its previous call. NaN/Inf in w, target_gram or the result throws
// std::runtime_error naming the quantity.
template <class T>
VclLayerResult<T> vcl_layer_update(const arma::Mat<T>& w, const arma::Mat<T>& target_gram,
                                   const VclStepOptions& options, TopEigenTracker<T>* tracker);

// The same step without forming the target Gram: M = W_gᵀW_g + V in structured form, where W_g (k', d)
// is w ("current") or W(0) ("initial") and V (d, d) is the running shift, which changed by v = a bᵀ + b aᵀ
// (a, b: (d, r)) since the tracker's previous call (TopEigenTracker::update_shifted_gram carries V·Q across
// calls, so every call of one tracker must see every shift update).
template <class T>
VclLayerResult<T> vcl_layer_update_shifted(const arma::Mat<T>& w, const arma::Mat<T>& gram_weights,
                                           const arma::Mat<T>& shift, const arma::Mat<T>& a, const arma::Mat<T>& b,
                                           const VclStepOptions& options, TopEigenTracker<T>& tracker);

}  // namespace vclab
