// Theorem 2 (Cha & Lee 2025, §2.2 and Appendix A.1): an SGD step changes the Gram G_l = W_lᵀW_l by the
// virtual covariance shift v_l plus γ²·residual; exact form G⁺ − G − v = γ²(∇Wᵀ∇W − Σ_i g_i g_iᵀ), derived in
// docs/theorems.md. Per-step measurements and the one-step γ sweep (pure functions); the observers that
// measure along a run are record/theorem2_observers.hpp.
#pragma once
#include <armadillo>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "model/loss.hpp"
#include "model/network.hpp"
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

// C ← C + γ²(∇Wᵀ∇W − Σ_i g_i g_iᵀ) on the upper triangle of C (d, d): the paper's γ²·residual of one step,
// accumulated (Theorem2CumulativeObserver sums it over a run). grad_w (k, d), g (d, B).
void add_theorem2_residual(const arma::mat& grad_w, const arma::mat& g, double lr, arma::mat& upper);

// One step from the same state for each γ in lrs. The update is a copy of `rule` (so momentum's
// velocity and weight decay act as in training); the state is not changed. Returns [γ index][layer].
template <class T>
std::vector<std::vector<Theorem2Step>> theorem2_lr_sweep(const Network<T>& model, const arma::Mat<T>& x,
                                                         const arma::Mat<T>& targets, Loss loss,
                                                         const std::vector<double>& lrs, const Sgd<T>& rule);

// log-spaced values from lo to hi inclusive (n ≥ 2).
std::vector<double> log_spaced(double lo, double hi, std::size_t n);

// Median of a vector (NaN for an empty one).
double median_of(std::vector<double> values);

}  // namespace vclab
