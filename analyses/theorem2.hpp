// Theorem 2 (Cha & Lee 2025, §2.2 and Appendix A.1): an SGD step changes the Gram G_l = W_lᵀW_l by the
// virtual covariance shift v_l plus γ²·residual; exact form G⁺ − G − v = γ²(∇Wᵀ∇W − Σ_i g_i g_iᵀ), derived in
// docs/theorems.md. Per-step and cumulative measurements, the one-step γ sweep, and a configuration driver.
#pragma once
#include <armadillo>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "model/loss.hpp"
#include "model/mlp.hpp"
#include "train/observer.hpp"
#include "train/sgd.hpp"

namespace vclab {

// One layer, one step. Every product is taken in double; a float run enters through its stored
// W, W⁺ (rounded to float by the update), h, g and ∇W.
struct Theorem2Step {
  double gram_norm = 0;           // ‖G‖_F before the step
  double gram_change = 0;         // ‖ΔG‖_F, ΔG = G⁺ − G of the actual weights
  double vc_shift = 0;            // ‖v‖_F, v = Σ_i (h⁺h⁺ᵀ − hhᵀ), h⁺ = h − γg
  double residual = 0;            // ‖ΔG − v‖_F
  double relative_residual = 0;   // ‖ΔG − v‖_F / ‖ΔG‖_F
  double predicted_residual = 0;  // ‖γ²(∇Wᵀ∇W − Σ_i g_i g_iᵀ)‖_F
  double identity_error = 0;      // ‖(ΔG − v) − γ²(∇Wᵀ∇W − Σ g gᵀ)‖_F / ‖ΔG‖_F
  double identity_error_gram = 0; // the same numerator / ‖G‖_F: ≈ machine epsilon when the identity holds
};

// G⁺ − G for weights w → w_plus (k, d), as WᵀΔ + ΔᵀW + ΔᵀΔ with Δ = W⁺ − W: algebraically equal
// to W⁺ᵀW⁺ − WᵀW but without its cancellation when Δ ≪ W. (d, d), symmetric.
arma::mat gram_change(const arma::mat& w, const arma::mat& w_plus);
// v = Σ_i (h⁺h⁺ᵀ − hhᵀ) = −γ Σ_i (g hᵀ + h gᵀ) + γ² Σ_i g gᵀ; h, g (d, B). (d, d), symmetric.
arma::mat vc_shift_matrix(const arma::mat& h, const arma::mat& g, double lr);
// γ²(∇Wᵀ∇W − Σ_i g_i g_iᵀ): the paper's γ²·residual; grad_w (k, d), g (d, B). (d, d), symmetric.
arma::mat theorem2_residual(const arma::mat& grad_w, const arma::mat& g, double lr);

// w, w_plus: weights before and after the actual update (k, d); grad_w: ∇_{W}ℒ of the step;
// h, g: (d, B) layer inputs and ∂ℒ/∂h (carrying 1/B); lr: γ.
Theorem2Step measure_theorem2_step(const arma::mat& w, const arma::mat& w_plus, const arma::mat& grad_w,
                                   const arma::mat& h, const arma::mat& g, double lr);

// Per-step measurement of every layer. on_backward copies W, h, g, ∇W; on_step reads W⁺.
// Layer 0 needs g_0: run the trainer with need_input_grad = true (otherwise layer 0 is skipped).
template <class T> class Theorem2StepObserver : public Observer<T> {
 public:
  bool needs_input_grad() const override { return true; }  // layer 0 is measured from g_0
  explicit Theorem2StepObserver(std::size_t max_steps = std::numeric_limits<std::size_t>::max())
      : max_steps_(max_steps) {}
  void on_backward(const Mlp<T>& model, const StepState<T>& state) override;
  void on_step(const Mlp<T>& model, const StepState<T>& state) override;
  // steps()[s][l]: step s, layer l (layer 0 holds NaNs when g_0 was not computed).
  const std::vector<std::vector<Theorem2Step>>& steps() const { return steps_; }

 private:
  std::size_t max_steps_;
  bool pending_ = false;
  double lr_ = 0;
  std::vector<arma::mat> w_, grad_w_, h_, g_;
  std::vector<std::vector<Theorem2Step>> steps_;
};

// Cumulative form along a run: ΔG_l(t) = G_l(t) − G_l(0) against V_l(t) = Σ_τ v_l(τ), and (optionally)
// against V_l(t) + R_l(t), R_l(t) = Σ_τ γ²(∇Wᵀ∇W − Σ g gᵀ)_τ, which equals ΔG_l(t) exactly for plain SGD.
// Keeps full d_l × d_l matrices in double (layer 0 of CIFAR: 3072² · 8 B = 75 MB each).
struct Theorem2CumulativePoint {
  std::size_t step = 0;            // optimiser steps completed
  std::size_t layer = 0;
  double gram_change = 0;          // ‖ΔG(t)‖_F
  double vc_shift = 0;             // ‖V(t)‖_F
  double relative_residual = 0;    // ‖ΔG(t) − V(t)‖_F / ‖ΔG(t)‖_F
  double residual_sum = 0;         // ‖R(t)‖_F (NaN when not tracked)
  double identity_error = 0;       // ‖ΔG(t) − V(t) − R(t)‖_F / ‖ΔG(t)‖_F (NaN when not tracked)
};

template <class T> class Theorem2CumulativeObserver : public Observer<T> {
 public:
  bool needs_input_grad() const override { return true; }  // layer 0 is measured from g_0
  // stride: measure after every `stride` steps and at the end; track_residual_sum: accumulate R(t)
  // (one more d×d rank-k update per step).
  Theorem2CumulativeObserver(std::size_t stride, bool track_residual_sum)
      : stride_(stride == 0 ? 1 : stride), track_residual_(track_residual_sum) {}
  void on_begin(const Mlp<T>& model) override;
  void on_backward(const Mlp<T>& model, const StepState<T>& state) override;
  void on_step(const Mlp<T>& model, const StepState<T>& state) override;
  void on_end(const Mlp<T>& model) override;

  const std::vector<Theorem2CumulativePoint>& points() const { return points_; }
  arma::mat gram_change_matrix(const Mlp<T>& model, std::size_t layer) const;  // G(t) − G(0)
  arma::mat vc_shift_total(std::size_t layer) const;                           // V(t)
  arma::mat residual_total(std::size_t layer) const;                           // R(t)

 private:
  void measure(const Mlp<T>& model, std::size_t steps_done);

  std::size_t stride_;
  bool track_residual_;
  std::size_t steps_done_ = 0, last_measured_ = 0;
  std::vector<arma::mat> w0_;        // W_l(0) in double
  std::vector<arma::mat> v_upper_;   // V_l(t), upper triangle
  std::vector<arma::mat> r_upper_;   // R_l(t), upper triangle
  std::vector<Theorem2CumulativePoint> points_;
};

// One step from the same state for each γ in lrs. The update is a copy of `rule` (so momentum's
// velocity and weight decay act as in training); the state is not changed. Returns [γ index][layer].
template <class T>
std::vector<std::vector<Theorem2Step>> theorem2_lr_sweep(const Mlp<T>& model, const arma::Mat<T>& x,
                                                         const arma::Mat<T>& targets, Loss loss,
                                                         const std::vector<double>& lrs, const Sgd<T>& rule);

// log-spaced values from lo to hi inclusive (n ≥ 2).
std::vector<double> log_spaced(double lo, double hi, std::size_t n);

// A training configuration for the per-step table (all combinations the issue asks about).
struct Theorem2Config {
  std::string name;
  std::vector<std::size_t> hidden{64};
  Activation activation = Activation::gelu;
  std::size_t batch = 64;
  bool use_float = false;
  double momentum = 0;
  double weight_decay = 0;
  bool bias = false;
  double lr = 0.05;
  std::size_t steps = 8;  // measured SGD steps from initialisation
};

struct Theorem2LayerSummary {
  std::size_t layer = 0;
  std::size_t width = 0;                 // d_l
  double relative_residual_median = 0;   // over steps
  double relative_residual_max = 0;
  double identity_error_median = 0;
  double identity_error_max = 0;
  double identity_error_gram_max = 0;
};

struct Theorem2ConfigResult {
  Theorem2Config config;
  std::vector<Theorem2LayerSummary> layers;
  double final_loss = 0;
  double seconds = 0;
};

// Trains a fresh model (seeded) on the first steps·batch training samples for config.steps steps and
// summarises Theorem2StepObserver over the steps, per layer.
Theorem2ConfigResult run_theorem2_config(const Theorem2Config& config, const Dataset& train, std::uint64_t seed);

// Median of a vector (NaN for an empty one).
double median_of(std::vector<double> values);

}  // namespace vclab
