// Theorem 2 along a run (docs/theorems.md): the per-step observer measures every SGD step of every layer, the
// cumulative one compares ΔG_l(t) = G_l(t) − G_l(0) with V_l(t) = Σ_τ v_l(τ) (and with V + the summed residual).
// The measurements themselves are the pure functions of analyses/theorem2.hpp.
#pragma once
#include <armadillo>
#include <cstddef>
#include <limits>
#include <vector>

#include "analyses/theorem2.hpp"
#include "train/observer.hpp"

namespace vclab {

// Per-step measurement of every layer. on_backward copies W, h, g, ∇W; on_step reads W⁺.
// Layer 0 needs g_0: run the trainer with need_input_grad = true (otherwise layer 0 is skipped).
template <class T> class Theorem2StepObserver : public Observer<T> {
 public:
  bool needs_input_grad() const override { return true; }  // layer 0 is measured from g_0
  bool needs_weight_grads() const override { return true; }
  explicit Theorem2StepObserver(std::size_t max_steps = std::numeric_limits<std::size_t>::max())
      : max_steps_(max_steps) {}
  void on_backward(const Network<T>& model, const StepState<T>& state) override;
  void on_step(const Network<T>& model, const StepState<T>& state) override;
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
  bool needs_weight_grads() const override { return track_residual_; }  // R(t) is built from ∇W
  // stride: measure after every `stride` steps and at the end; track_residual_sum: accumulate R(t)
  // (one more d×d rank-k update per step).
  Theorem2CumulativeObserver(std::size_t stride, bool track_residual_sum)
      : stride_(stride == 0 ? 1 : stride), track_residual_(track_residual_sum) {}
  void on_begin(const Network<T>& model) override;
  void on_backward(const Network<T>& model, const StepState<T>& state) override;
  void on_step(const Network<T>& model, const StepState<T>& state) override;
  void on_end(const Network<T>& model) override;

  const std::vector<Theorem2CumulativePoint>& points() const { return points_; }
  arma::mat gram_change_matrix(const Network<T>& model, std::size_t layer) const;  // G(t) − G(0)
  arma::mat vc_shift_total(std::size_t layer) const;                           // V(t)
  arma::mat residual_total(std::size_t layer) const;                           // R(t)

 private:
  void measure(const Network<T>& model, std::size_t steps_done);

  std::size_t stride_;
  bool track_residual_;
  std::size_t steps_done_ = 0, last_measured_ = 0;
  std::vector<arma::mat> w0_;        // W_l(0) in double
  std::vector<arma::mat> v_upper_;   // V_l(t), upper triangle
  std::vector<arma::mat> r_upper_;   // R_l(t), upper triangle
  std::vector<Theorem2CumulativePoint> points_;
};

}  // namespace vclab
