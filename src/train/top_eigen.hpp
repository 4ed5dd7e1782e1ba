// The k algebraically largest eigenpairs of a symmetric matrix M = WᵀW + V: VCL Algorithm 1 step
// "QΛQᵀ ← EVD of W_lᵀW_l + V_l" (Cha & Lee 2025, Appendix B; see DESIGN.md "VCL Algorithm 1").
// A full-EVD reference and a warm-started tracker (block Davidson + Rayleigh–Ritz) for per-step use,
// with a structured update for M = WᵀW + V that carries V·Q across steps (DESIGN.md "VCL Algorithm 1").
#pragma once

#include <armadillo>
#include <cstddef>
#include <functional>
#include <string>

namespace vclab {

class Hdf5File;

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
  // Guard vectors kept beyond k. The wanted pairs converge at a rate set by the gap between
  // λ_k and λ_{k+oversample+1} rather than λ_{k+1}, and they absorb drift between steps.
  std::size_t oversample = 32;
  // Ritz vectors of the algebraically SMALLEST eigenvalues kept in the basis as well. M = WᵀW + V
  // has a few large negative eigenvalues (V's ±(G1)(1ᵀ) part); locking them out of the residuals
  // speeds up the wanted pairs, whose unwanted spectrum then ends near 0 instead of at λ_min.
  std::size_t low_guard = 8;
  // Expansion iterations per update after the first Rayleigh–Ritz on the warm start.
  std::size_t max_iters = 8;
  // Stop when max_i ‖M q_i − λ_i q_i‖ / max|λ| < tol over the k wanted pairs. 0 picks a
  // default per precision: 1e-4 for float (the residual floor of float products at d ≈ 3000
  // is ≈ 1e-6), 1e-8 for double. max|λ| is estimated by the largest |Ritz value| seen, which
  // is a lower bound of ‖M‖₂, so the test is never looser than stated.
  double tol = 0.0;
  // The first update (and every update after reset()) takes the full EVD when true; otherwise
  // it starts from a random block (seeded by `seed`) and iterates like any other update.
  bool cold_start_full = true;
  // When the iteration has not converged after max_iters, take the full EVD (counted in stats).
  bool fallback_full = true;
  unsigned seed = 20250101u;
  // Structured updates (update_shifted_gram) carry P = V·Q by low-rank corrections and rotations;
  // every refresh_every of them recompute P = V·Q exactly (one product with p columns), which
  // bounds the drift of rounding (0: never).
  std::size_t refresh_every = 64;
};

struct TrackerStats {
  std::size_t updates = 0;          // calls to update() since construction/reset
  std::size_t iterations = 0;       // expansion iterations of the last update
  std::size_t block_columns = 0;    // columns multiplied by M (structured: by the dense V) in the last update
  double residual = 0.0;            // final max relative Ritz residual of the last update
  double spectral_scale = 0.0;      // the max|λ| estimate the residual is divided by
  bool converged = false;           // last update met tol (true after a full EVD)
  bool used_full = false;           // last update used the full EVD (cold start or fallback)
  std::size_t full_evd_count = 0;   // full EVDs since construction/reset
  bool carried = false;             // structured update used the carried V·Q (no full product)
};

// Tracks the top-k eigenpairs of a slowly changing symmetric d x d matrix across calls.
// Each update: one block product M·Q on the previous Ritz basis Q (d, p = k + oversample +
// low_guard), Rayleigh–Ritz, then while residuals exceed tol: append the residual block Z of the
// wanted pairs (orthogonalised against Q and compressed to its singular directions above
// tol/10), multiply M·Z, Rayleigh–Ritz on [Q, Z], keep the top k + oversample and the bottom
// low_guard Ritz pairs (block Davidson with thick restart, no preconditioner). Rayleigh–Ritz
// selects algebraically largest Ritz values, so a dominant negative eigenvalue needs no shift.
// Cost per update: (p + Σ|Z|) columns of M-products (2d² flops each) plus O(d·n²) dense work,
// against O(d³) for the full EVD. update_shifted_gram replaces the p columns by the carried V·Q.
template <class T>
class TopEigenTracker {
 public:
  // Applies M to a (d, b) block and returns the (d, b) product.
  using BlockApply = std::function<arma::Mat<T>(const arma::Mat<T>&)>;

  explicit TopEigenTracker(std::size_t k, TrackerOptions options = {});

  // Top-k eigenpairs of the symmetric matrix m (d, d). The result stays valid until the next call.
  const TopEigen<T>& update(const arma::Mat<T>& m);
  // Same, with M given as a block product. A full-EVD cold start or fallback forms M = apply(I).
  const TopEigen<T>& update(std::size_t d, const BlockApply& apply);
  // Structured form of VCL's target Gram, M = WᵀW + V, where V (d, d, symmetric) changed by
  // v = a bᵀ + b aᵀ since the previous structured call (a, b: (d, r); VCL: a = −γ(h − γg/2), b = g).
  // The product P = V·Q of the warm basis Q is carried: V_new·Q = P + a(bᵀQ) + b(aᵀQ), rotated with
  // Q by Rayleigh–Ritz, so only the expansion blocks are multiplied by the dense V (2d² flops a
  // column) and WᵀW·X = Wᵀ(W·X) costs 4kd a column. w: (k', d) with any k'. A cold start or
  // fallback forms M; after one (or a plain update) the next call recomputes P = V·Q.
  const TopEigen<T>& update_shifted_gram(const arma::Mat<T>& w, const arma::Mat<T>& shift, const arma::Mat<T>& a,
                                         const arma::Mat<T>& b);

  // The result of the last update (empty before the first).
  const TopEigen<T>& current() const { return top_; }
  TrackerStats stats() const { return stats_; }
  std::size_t k() const { return k_; }
  // The warm basis Q (d, p) and, after a structured update, the carried P ≈ V·Q (empty otherwise).
  const arma::Mat<T>& basis() const { return basis_; }
  const arma::Mat<T>& carried_shift_product() const { return shift_basis_; }
  const TrackerOptions& options() const { return options_; }
  // Forgets the warm start; the next update is a cold start.
  void reset();
  // Training checkpoints (vclab train --resume): the warm basis, its products, the refresh counter, the last
  // result and the cumulative counters, under `prefix` (exact in float64 for float too). A tracker loaded
  // with the same k and options continues bit for bit as the saved one would have. load_state throws IoError
  // when the saved k differs.
  void save_state(Hdf5File& file, const std::string& prefix) const;
  void load_state(const Hdf5File& file, const std::string& prefix);

 private:
  const TopEigen<T>& update_impl(std::size_t d, const BlockApply& apply, const arma::Mat<T>* m);
  void full_update(const arma::Mat<T>& m);
  void begin_update();                           // per-update stats reset
  std::size_t basis_size(std::size_t d) const;   // p = k + oversample + low_guard, capped by d
  bool warm_start(std::size_t d) const;          // basis_ usable for a d x d matrix
  // Re-orthonormalises basis_ when |QᵀQ − I| drifted past a few ε (carrying V·Q along); refills a
  // lost rank with random directions (their V·Q then has to be recomputed).
  void clean_basis();
  // One update on the warm basis_, given M·basis_; returns whether the wanted residuals met tol.
  bool iterate(const BlockApply& apply, arma::Mat<T> basis_product);

  std::size_t k_;
  TrackerOptions options_;
  arma::Mat<T> basis_;          // (d, p) Ritz vectors of the last update, descending Ritz values
  arma::Mat<T> basis_product_;  // (d, p) M·basis_ from the last iteration
  arma::Mat<T> shift_basis_;    // (d, p) P = V·basis_ for structured updates; empty when not valid
  std::size_t since_refresh_ = 0;  // structured updates since P was last computed exactly
  TopEigen<T> top_;
  TrackerStats stats_;
};

}  // namespace vclab
