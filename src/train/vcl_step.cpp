// One VCL layer step (Cha & Lee 2025, Appendix B Algorithm 1, Proposition 4): W̃ = Λ_k^α Q_kᵀ from
// the top-k eigenpairs of M = WᵀW + V, then the Procrustes rotation W⁺ = P Rᵀ W̃.
#include "train/vcl_step.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace vclab {

namespace {

template <class T>
void require_finite(const arma::Mat<T>& x, const std::string& what) {
  if (!x.is_finite()) throw std::runtime_error("vcl_layer_update: " + what + " contains NaN or Inf");
}

// Clipping check, W̃ = Λ_k^α Q_kᵀ and the Procrustes rotation, shared by both entry points.
template <class T>
void finish_layer_update(const arma::Mat<T>& w, const TopEigen<T>& top, const VclStepOptions& options,
                         VclLayerResult<T>& result);

}  // namespace

template <class T>
arma::Mat<T> procrustes_align(const arma::Mat<T>& w, const arma::Mat<T>& w_tilde) {
  if (w.n_rows != w_tilde.n_rows || w.n_cols != w_tilde.n_cols)
    throw std::invalid_argument("procrustes_align: W and W~ must have the same shape (k, d)");
  const arma::Mat<T> cross = w * w_tilde.t();  // (k, k) W W̃ᵀ = P Σ Rᵀ
  arma::Mat<T> p;                               // (k, k)
  arma::Col<T> sigma;                           // (k)
  arma::Mat<T> r;                               // (k, k)
  if (!arma::svd(p, sigma, r, cross, "dc") && !arma::svd(p, sigma, r, cross, "std"))
    throw std::runtime_error("procrustes_align: SVD of W W~^T failed (NaN/Inf in the weights?)");
  return (p * r.t()) * w_tilde;  // (k, d)
}

template <class T>
arma::Mat<T> vcl_target_weights(const TopEigen<T>& top, double alpha, std::size_t* n_clipped) {
  if (top.vectors.n_cols != top.values.n_elem)
    throw std::invalid_argument("vcl_target_weights: eigenvalue and eigenvector counts differ");
  std::size_t clipped = 0;
  arma::Col<T> scale(top.values.n_elem);  // (k) max(λ, 0)^α
  for (arma::uword i = 0; i < top.values.n_elem; ++i) {
    const double lambda = top.values(i);
    if (lambda < 0.0) ++clipped;
    scale(i) = static_cast<T>(lambda > 0.0 ? std::pow(lambda, alpha) : 0.0);
  }
  if (n_clipped != nullptr) *n_clipped = clipped;
  arma::Mat<T> w_tilde = top.vectors.t();  // (k, d) Q_kᵀ
  w_tilde.each_col() %= scale;
  return w_tilde;
}

template <class T>
VclLayerResult<T> vcl_layer_update(const arma::Mat<T>& w, const arma::Mat<T>& target_gram,
                                   const VclStepOptions& options, TopEigenTracker<T>* tracker) {
  const arma::uword k = w.n_rows;
  const arma::uword d = w.n_cols;
  if (target_gram.n_rows != d || target_gram.n_cols != d)
    throw std::invalid_argument("vcl_layer_update: target Gram must be (d, d) with d = W.n_cols");
  if (k == 0) throw std::invalid_argument("vcl_layer_update: W has no rows");
  if (tracker != nullptr && (tracker->k() != k || k > d))
    throw std::invalid_argument("vcl_layer_update: the tracker needs its k equal to W.n_rows and at most d = W.n_cols");
  require_finite(w, "weights W");
  require_finite(target_gram, "target Gram W^T W + V");

  VclLayerResult<T> result;
  TopEigen<T> full;
  const TopEigen<T>* top = nullptr;
  if (tracker != nullptr) {
    top = &tracker->update(target_gram);
    result.solver = tracker->stats();
  } else {
    full = top_eigenpairs_full(target_gram, std::min(k, d));  // k ≥ d (a wide conv layer): every eigenpair
    top = &full;
    result.solver.updates = 1;
    result.solver.converged = true;
    result.solver.used_full = true;
    result.solver.full_evd_count = 1;
  }
  finish_layer_update(w, *top, options, result);
  return result;
}

template <class T>
VclLayerResult<T> vcl_layer_update_shifted(const arma::Mat<T>& w, const arma::Mat<T>& gram_weights,
                                           const arma::Mat<T>& shift, const arma::Mat<T>& a, const arma::Mat<T>& b,
                                           const VclStepOptions& options, TopEigenTracker<T>& tracker) {
  const arma::uword k = w.n_rows;
  const arma::uword d = w.n_cols;
  if (gram_weights.n_cols != d || shift.n_rows != d || shift.n_cols != d)
    throw std::invalid_argument("vcl_layer_update_shifted: W_g must be (k', d) and V (d, d) with d = W.n_cols");
  if (k == 0 || k > d) throw std::invalid_argument("vcl_layer_update_shifted: need 0 < k = W.n_rows <= d");
  if (tracker.k() != k) throw std::invalid_argument("vcl_layer_update_shifted: tracker k differs from W.n_rows");
  require_finite(w, "weights W");
  VclLayerResult<T> result;
  try {
    tracker.update_shifted_gram(gram_weights, shift, a, b);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string("vcl_layer_update_shifted: target Gram W^T W + V: ") + e.what());
  }
  result.solver = tracker.stats();
  finish_layer_update(w, tracker.current(), options, result);
  return result;
}

namespace {

template <class T>
void finish_layer_update(const arma::Mat<T>& w, const TopEigen<T>& top, const VclStepOptions& options,
                         VclLayerResult<T>& result) {
  const arma::uword kept = top.values.n_elem;  // k, or d when k > d
  result.min_kept_eigenvalue = top.values(kept - 1);
  if (!options.clip_negative && result.min_kept_eigenvalue < 0.0)
    throw std::runtime_error("vcl_layer_update: target Gram has a negative kept eigenvalue (" +
                             std::to_string(result.min_kept_eigenvalue) + ") and clip_negative is off");
  arma::Mat<T> w_tilde = vcl_target_weights(top, options.alpha, &result.n_clipped);  // (kept, d)
  // k > d: W̃ = [Λ^α Qᵀ; 0], zero rows below all d eigenpairs; W̃ᵀW̃ and hence the new Gram are unchanged by them.
  w_tilde.resize(w.n_rows, w.n_cols);
  result.weights = procrustes_align(w, w_tilde);
  require_finite(result.weights, "updated weights W+");
}

}  // namespace

template arma::Mat<float> procrustes_align<float>(const arma::Mat<float>&, const arma::Mat<float>&);
template arma::Mat<double> procrustes_align<double>(const arma::Mat<double>&, const arma::Mat<double>&);
template arma::Mat<float> vcl_target_weights<float>(const TopEigen<float>&, double, std::size_t*);
template arma::Mat<double> vcl_target_weights<double>(const TopEigen<double>&, double, std::size_t*);
template VclLayerResult<float> vcl_layer_update<float>(const arma::Mat<float>&, const arma::Mat<float>&,
                                                       const VclStepOptions&, TopEigenTracker<float>*);
template VclLayerResult<double> vcl_layer_update<double>(const arma::Mat<double>&, const arma::Mat<double>&,
                                                         const VclStepOptions&, TopEigenTracker<double>*);
template VclLayerResult<float> vcl_layer_update_shifted<float>(const arma::Mat<float>&, const arma::Mat<float>&,
                                                               const arma::Mat<float>&, const arma::Mat<float>&,
                                                               const arma::Mat<float>&, const VclStepOptions&,
                                                               TopEigenTracker<float>&);
template VclLayerResult<double> vcl_layer_update_shifted<double>(const arma::Mat<double>&, const arma::Mat<double>&,
                                                                 const arma::Mat<double>&, const arma::Mat<double>&,
                                                                 const arma::Mat<double>&, const VclStepOptions&,
                                                                 TopEigenTracker<double>&);

}  // namespace vclab
