// The k algebraically largest eigenpairs of a symmetric matrix M = WᵀW + V: VCL Algorithm 1 step
// "QΛQᵀ ← EVD of W_lᵀW_l + V_l" (Cha & Lee 2025, Appendix B). A full-EVD reference and a warm-started
// one-product tracker for per-step use (filtered subspace iteration with a Rayleigh–Ritz certificate;
// the method, its certificate and its fallbacks are derived in docs/vcl_eigen_step.md).
#pragma once

#include <armadillo>
#include <cstddef>
#include <functional>
#include <string>

namespace vclab {

class StateArchive;

// Top-k eigenpairs, "largest" meaning algebraically largest (M may be indefinite).
template <class T>
struct TopEigen {
  arma::Col<T> values;   // (k) descending
  arma::Mat<T> vectors;  // (d, k) orthonormal columns, vectors.col(i) pairs with values(i)
};

// Reference: LAPACK divide-and-conquer EVD of the whole matrix (O(d³)), then the k largest.
// Throws std::invalid_argument on a non-square m or k > d, std::runtime_error if LAPACK fails.
template <class T>
TopEigen<T> top_eigenpairs_full(const arma::Mat<T>& m, std::size_t k);

struct TrackerOptions {
  // p: guard vectors kept above the k wanted ones. The per-step contraction of the error is set by the gap
  // between θ_k and θ_{k+p}; the first guard's Ritz pair also estimates λ_{k+1} for the certificate.
  std::size_t oversample = 8;
  // Ritz vectors of the algebraically SMALLEST eigenvalues kept in the basis as well: M = WᵀW + V has
  // a few large negative eigenvalues, which would otherwise re-enter the basis at every product.
  std::size_t low_guard = 8;
  // Accept a step's Ritz pairs when the Davis–Kahan certificate c = ‖R_k‖_F / (θ_k − θ_{k+1} − ‖r_{k+1}‖) (an estimate of
  // ‖sin Θ‖_F between the returned and the true top-k subspace, docs/vcl_eigen_step.md) is ≤ tol, ...
  double tol = 0.01;
  // ... or, after at least one product, ≤ tol_relative · c₀, where c₀ is the same certificate of the warm basis
  // (the previous step's Ritz vectors) under this step's M: how far the subspace moved since the previous step.
  // The error left is then a quarter of what one mini-batch moved the subspace, and a product that cannot
  // achieve that (no gap at k) leads to the fallback. docs/vcl_eigen_step.md has the measurements behind 0.25.
  double tol_relative = 0.25;
  // ... or when the wanted pairs are exact to working precision: max‖r_j‖ / max|θ| ≤ residual_floor
  // (where the spectrum has no gap at k the subspace is not defined, and only residuals can judge).
  // 0 picks a default per precision: 1e-5 for float, 1e-11 for double.
  double residual_floor = 0.0;
  // Filtered products spent on a step whose first Rayleigh–Ritz (on the warm basis) is above tol, before the
  // full-EVD fallback. Structured updates get that first Rayleigh–Ritz without a product (V·Q carried).
  std::size_t max_extra = 2;
  // Structured updates: after this many carried V·Q updates in a row, V·Q is recomputed by a product
  // (bounds the drift of rounding in the carried product).
  std::size_t carry_limit = 32;
  // The first update (and every update after reset()) takes the full EVD when true; otherwise it
  // starts from a random block (seeded by `seed`) and iterates like any other update.
  bool cold_start_full = true;
  // When the certificate is still above tol after max_extra extra products, take the full EVD (counted).
  bool fallback_full = true;
  // Every refresh_every updates since the last full EVD, take one from scratch (0: never). The
  // certificate judges the Ritz pairs the basis holds; an eigenvalue rising from far below can only
  // enter through the products, and a scheduled refresh bounds how long that may take.
  std::size_t refresh_every = 500;
  unsigned seed = 20250101u;
};

struct TrackerStats {
  std::size_t updates = 0;          // calls to update() since construction/reset
  std::size_t products = 0;         // block products with M in the last update: the filtered ones, plus the warm
                                    // basis' on the generic path (structured: V·Q carried, 0 if the warm check passed)
  std::size_t iterations = 0;       // filtered products of the last update (0 after a full EVD or a passed warm check)
  double certificate = 0.0;         // ‖R_k‖_F / gap of the last update (0 after a full EVD)
  double first_certificate = 0.0;   // the certificate of its first Rayleigh–Ritz, on the warm basis
  double gap = 0.0;                 // θ_k − θ_{k+1} − ‖r_{k+1}‖ of the last Rayleigh–Ritz (estimates θ_k − λ_{k+1})
  double residual = 0.0;            // max_j ‖M x_j − θ_j x_j‖ / max|θ| over the k wanted pairs
  double spectral_scale = 0.0;      // the max|θ| the residual is divided by
  bool converged = false;           // last update met tol or the residual floor (true after a full EVD)
  bool used_full = false;           // last update used the full EVD (cold start, refresh or fallback)
  bool fell_back = false;           // last update's full EVD was a fallback (certificate above tol)
  std::size_t full_evd_count = 0;   // full EVDs since construction/reset
  std::size_t fallback_count = 0;   // of which fallbacks
  std::size_t extra_count = 0;      // filtered products since construction/reset
};

// Tracks the top-k eigenpairs of a slowly changing symmetric d x d matrix across calls. One update:
//   Y = M·Q for the warm basis Q (d, b), b = k + oversample + low_guard (structured: V·Q carried, no product);
//   Rayleigh–Ritz H = QᵀY = SΘSᵀ, X = QS, MX = YS, residuals R = MX − XΘ, certificate ‖R_k‖_F/(θ_k − θ_{k+1} − ‖r_{k+1}‖);
//   while the certificate is above tol: Q ← CholQR2 of the filtered block (M − σI)X (degree-1 Chebyshev
//   filter centred on the unwanted interval, built from X and R), Y = M·Q (the O(d²) work), Rayleigh–Ritz;
//   after max_extra such products, the full EVD (a logged fallback).
// Cost: one or two products of b columns plus O(d·b²) dense work per step, against O(d³) for the EVD.
template <class T>
class TopEigenTracker {
 public:
  // Applies M to a (d, b) block and returns the (d, b) product.
  using BlockApply = std::function<arma::Mat<T>(const arma::Mat<T>&)>;

  explicit TopEigenTracker(std::size_t k, TrackerOptions options = {});

  // Top-k eigenpairs of the symmetric matrix m (d, d). The result stays valid until the next call.
  const TopEigen<T>& update(const arma::Mat<T>& m);
  // Same, with M given as a block product. A full-EVD cold start, refresh or fallback forms M = apply(I).
  const TopEigen<T>& update(std::size_t d, const BlockApply& apply);
  // Structured form of VCL's target Gram, M = WᵀW + V, never formed on the tracking path:
  // M·X = Wᵀ(W·X) + V·X. w: (k', d) with any k'; shift: (d, d) symmetric V.
  // V changed by v = a bᵀ + b aᵀ (a, b: (d, r); VCL: a = −γ(h − γg/2), b = g) since the previous structured call,
  // so the basis' V·Q is carried (V_new·Q = V_old·Q + a(bᵀQ) + b(aᵀQ)) and the first Rayleigh–Ritz of a step costs
  // no product with V; the one product then multiplies the filtered block. Every call must see every shift update.
  const TopEigen<T>& update_shifted_gram(const arma::Mat<T>& w, const arma::Mat<T>& shift, const arma::Mat<T>& a,
                                         const arma::Mat<T>& b);

  // The result of the last update (empty before the first).
  const TopEigen<T>& current() const { return top_; }
  TrackerStats stats() const { return stats_; }
  std::size_t k() const { return k_; }
  // The warm basis Q (d, b) of the next update and, after a structured update, its carried V·Q (else empty).
  const arma::Mat<T>& basis() const { return basis_; }
  const arma::Mat<T>& carried_shift_product() const { return shift_basis_; }
  const TrackerOptions& options() const { return options_; }
  // Forgets the warm start; the next update is a cold start.
  void reset();
  // Training checkpoints (vclab train --resume): the warm basis, the refresh counter, the last result and the
  // cumulative counters, under `prefix` (exact in float64 for float too). A tracker loaded with the same k and
  // options continues bit for bit as the saved one would have. load_state throws IoError when the saved k differs.
  void save_state(StateArchive& file, const std::string& prefix) const;
  void load_state(const StateArchive& file, const std::string& prefix);

 private:
  // One Rayleigh–Ritz: Ritz values θ (b: p_top descending, then the low guards ascending), rotation S,
  // vectors X = QS, their product MX = YS, residuals R = MX − XΘ and their norms.
  struct Ritz {
    arma::Col<T> theta;
    arma::Mat<T> rotation, x, mx, r;
    arma::Row<T> rnorm;
    arma::uword p_top = 0;
  };
  using FormMatrix = std::function<arma::Mat<T>()>;
  using FirstProduct = std::function<arma::Mat<T>()>;   // M·Q of the warm basis, by whatever means
  using KeepBasis = std::function<void(const Ritz&)>;   // sets the next basis from the accepted Ritz pairs
  const TopEigen<T>& update_impl(std::size_t d, const BlockApply& apply, const FormMatrix& form,
                                 const FirstProduct& first = {}, const KeepBasis& keep = {});
  void full_update(const arma::Mat<T>& m);
  void begin_update();
  std::size_t basis_size(std::size_t d) const;  // b = k + oversample + low_guard, capped by d
  bool warm_start(std::size_t d) const;         // basis_ usable for a d x d matrix
  // Rayleigh–Ritz of M on basis_ given y = M·basis_: sets top_ and the stats (converged: certificate or
  // residual floor met).
  Ritz rayleigh_ritz(const arma::Mat<T>& y);
  // The warm basis as it stands, given y = M·basis_: θ ≈ diag(QᵀMQ), R = (I − QQᵀ)MQ (no rotation, no EVD).
  Ritz warm_check(arma::Mat<T> y) const;
  // Certificate, residual and converged of rr into stats_.
  void certify(const Ritz& rr);
  // Orthonormal basis (CholQR2) of the filtered block (M − σI)X, from X and MX without another product.
  arma::Mat<T> filtered_basis(const Ritz& rr) const;

  std::size_t k_;
  TrackerOptions options_;
  arma::Mat<T> basis_;            // (d, b) orthonormal warm basis of the next update
  arma::Mat<T> shift_basis_;      // (d, b) V·basis_ for structured updates; empty when not valid
  std::size_t since_full_ = 0;    // updates since the last full EVD (refresh schedule)
  std::size_t carried_steps_ = 0; // structured updates since V·Q was last computed by a product
  TopEigen<T> top_;
  TrackerStats stats_;
};

}  // namespace vclab
