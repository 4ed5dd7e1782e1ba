// Virtual Covariance Learning (Cha & Lee 2025, Appendix B Algorithm 1; §2.3, Proposition 4): per step and
// hidden layer, v_l = Σ_i (h⁺h⁺ᵀ − hhᵀ) with h⁺ = h − γ g, V_l += v_l, W_l ← P Rᵀ Λ_k^α Q_kᵀ of the target
// Gram (vcl_step.hpp). The predictor W_L trains by SGD: alone during the warm-up, alongside VCL after it.
#pragma once
#include <armadillo>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "train/paper_defaults.hpp"
#include "train/sgd.hpp"
#include "train/top_eigen.hpp"
#include "train/update_rule.hpp"
#include "train/vcl_step.hpp"
#include "util/enum_names.hpp"

namespace vclab {

// Which Gram enters the EVD (docs/vcl_algorithm.md):
//   current:  M = W_lᵀW_l + V_l      (Algorithm 1 as printed; V_l = Σ_τ v_l(τ) since the warm-up)
//   initial:  M = W_l(0)ᵀW_l(0) + V_l (Theorem 2's cumulative form; W_l(0) = W_l when VCL starts)
//   per-step: M = W_lᵀW_l + v_l      (Proposition 4 applied to each step's own shift)
// With `current`, W_lᵀW_l already contains the earlier V's when α = 1/2, so each v(τ) is counted once per
// later step; with α < 1/2 the kept spectrum is compressed (λ → λ^{2α}) and that is what keeps it bounded.
enum class VclGram { current, initial, per_step };
inline constexpr EnumName<VclGram> kVclGramNames[] = {
    {"current", VclGram::current}, {"initial", VclGram::initial}, {"per-step", VclGram::per_step}};
constexpr std::span<const EnumName<VclGram>> enum_names(VclGram) { return kVclGramNames; }

// `--vcl-solver auto` takes the tracker where d_l > 1024: there it was 22x faster than the full EVD per eigen-step at
// d = 3072 (reports/performance/README.md §4); at d = 784 (MNIST) a VCL step took about as long with either.
constexpr std::size_t kAutoFastSolverMinDim = 1024;

struct VclOptions {
  double alpha = 0.1;               // exponent of the kept eigenvalues (paper: 0.1)
  VclGram gram = VclGram::current;
  // TopEigenTracker instead of the full EVD (where k + guards < d). With the current/initial Gram the
  // tracker gets M = W_gᵀW_g + V in structured form (M is never formed).
  bool fast_solver = false;
  bool clip_negative = true;        // negative kept eigenvalues → 0 (counted) instead of an error
  std::size_t warmup_epochs = 1;    // epochs in which only the predictor W_L trains
  bool train_last = true;           // after the warm-up, W_L keeps training by SGD
  double last_lr = kPaperLearningRate;           // SGD learning rate of W_L
  // fast_solver only on layers whose input width d_l exceeds this (`--vcl-solver auto`: kAutoFastSolverMinDim).
  std::size_t fast_solver_min_dim = 0;
};

// One hidden layer's VCL statistics over one epoch.
struct VclLayerStats {
  std::size_t layer = 0;
  std::size_t vcl_steps = 0;            // eigen-steps taken (0 during the warm-up)
  std::size_t clipped_total = 0;        // Σ over steps of the clipped kept eigenvalues
  std::size_t clipped_max = 0;          // most clipped in one step
  double min_kept_eigenvalue = 0;       // smallest λ_k seen (before clipping)
  std::size_t full_evd = 0;             // full EVDs (always with --vcl-solver full; cold start, refresh, fallback with fast)
  std::size_t solver_fallbacks = 0;     // of which fallbacks: the tracker's certificate stayed above its tolerance
  std::size_t solver_iterations = 0;    // Σ filtered products of the tracker (≈ 1 a step; 0 where the warm basis passed)
  double max_certificate = 0;           // largest Davis–Kahan certificate of an accepted tracker step
  double solver_seconds = 0;            // wall time of target Gram + eigen-step + Procrustes
};

template <class T> class Vcl : public UpdateRule<T> {
 public:
  explicit Vcl(VclOptions options);
  std::string name() const override { return "vcl"; }
  bool needs_input_grad() const override { return true; }  // g_0 = ∂ℒ/∂x for W_0
  void on_epoch_begin(std::size_t epoch) override;
  // Warm-up: W_L ← W_L − γ_last ∇W_L only. Afterwards: the eigen-step on every W_l, l < L (all from this
  // step's h, g, before any weight changes), then W_L by SGD when train_last. γ = state.lr drives h⁺.
  // A NaN/Inf in the target Gram or W⁺ (or a negative kept eigenvalue without clipping) throws
  // DivergenceError naming the step and layer.
  void update(Network<T>& model, const StepState<T>& state) override;
  // Checkpoints: V_l, W_l(0), the last target Gram and W_g, each layer's eigen-tracker and the predictor's SGD
  // buffers, so that `vclab train --resume` continues bit for bit (the per-epoch statistics restart each epoch).
  bool resumable() const override { return true; }
  void save_state(StateArchive& file, const std::string& prefix) const override;
  void load_state(const StateArchive& file, const std::string& prefix) override;

  const VclOptions& options() const { return options_; }
  bool in_warmup() const { return epoch_ < options_.warmup_epochs; }
  std::size_t epoch() const { return epoch_; }
  // Statistics of the current epoch so far, one entry per hidden layer (empty before the first VCL step).
  const std::vector<VclLayerStats>& epoch_stats() const { return stats_; }
  // The target Gram M of layer l at the last eigen-step (empty before the first); formed on demand
  // where the structured fast solver never formed it.
  arma::Mat<T> last_target(std::size_t layer) const;
  // V_l accumulated since the warm-up (double; zero for per-step).
  const arma::mat& cumulative_shift(std::size_t layer) const { return shift_.at(layer); }

 private:
  void start(const Network<T>& model);
  bool structured(std::size_t layer) const;  // fast solver on the current/initial Gram
  // One layer's eigen-step: the target Gram formed and handed to the full EVD or the tracker, or (structured)
  // V updated from its factors and the tracker given M = W_gᵀW_g + V without forming it.
  VclLayerResult<T> matrix_step(std::size_t l, const arma::Mat<T>& w, const arma::Mat<T>& h, const arma::Mat<T>& g,
                                double lr, const VclStepOptions& step_options);
  VclLayerResult<T> structured_step(std::size_t l, const arma::Mat<T>& w, const arma::Mat<T>& h, const arma::Mat<T>& g,
                                    double lr, const VclStepOptions& step_options);

  VclOptions options_;
  Sgd<T> last_layer_sgd_;
  std::size_t epoch_ = 0;
  bool started_ = false;
  // V_l in double: it sums thousands of per-step shifts, and float summation would lose the small late
  // increments against the large running total (relative error ~ ε_float · steps); one (d, d) conversion
  // per step is cheap next to the (d, d, B) product that forms v_l.
  std::vector<arma::mat> shift_;       // V_l: (d_l, d_l)
  std::vector<arma::Mat<T>> w_init_;   // W_l(0): (d_{l+1}, d_l), initial variant only
  std::vector<arma::Mat<T>> target_;   // M of the last step: (d_l, d_l); empty on the structured path
  // Structured fast path (current/initial Gram with a tracker): V_l in precision T for the products V·Z
  // (a copy of shift_ refreshed each step; unused for T = double) and the W_g of the last step.
  std::vector<arma::Mat<T>> shift_t_;          // (d_l, d_l)
  std::vector<arma::Mat<T>> last_gram_weights_;  // (d_{l+1}, d_l)
  std::vector<std::unique_ptr<TopEigenTracker<T>>> trackers_;  // nullptr: full EVD for that layer
  std::vector<VclLayerStats> stats_;
};

}  // namespace vclab
