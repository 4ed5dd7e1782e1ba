// AGOP A_l = (1/N) Σ_i Σ_c ∇_{h_l} f_c ∇_{h_l} f_cᵀ and loss EGOP E_l = (1/N) Σ_i ∇_{h_l} ℓ_i ∇_{h_l} ℓ_iᵀ,
// in the cheap form A_l = W_lᵀ K_l W_l with K_l = (1/N) Σ_i J_iᵀ J_i, J_i = ∂f/∂z_{l+1} (docs/recorded_quantities.md).
#pragma once
#include <armadillo>
#include <vector>

#include "data/dataset.hpp"
#include "model/loss.hpp"
#include "model/mlp.hpp"
#include "model/network.hpp"
#include "record/record_mode.hpp"

namespace vclab {

// Conv layers are recorded in full whatever --record-mode says: their patch space (c_in k²) is small.
template <class T> RecordMode layer_mode(const Network<T>& model, std::size_t layer, RecordMode dense_mode) {
  return model.is_conv(layer) ? RecordMode::full : dense_mode;
}

struct AgopOptions {
  RecordMode mode = RecordMode::diag;
  std::size_t n_samples = 0;  // first n samples of the data; 0 = all
  bool centered = false;      // subtract the mean Jacobian: K − J̄ᵀJ̄
  std::size_t batch = 500;
};

// Per layer l = 0..L: diag (d_l, 1) or full (d_l, d_l), accumulated in double.
template <class T> std::vector<arma::mat> compute_agop(const Mlp<T>& model, const Dataset& data, const AgopOptions& options);
template <class T>
std::vector<arma::mat> compute_egop(const Mlp<T>& model, const Dataset& data, Loss loss, const AgopOptions& options);

// A Network without conv layers: the MLP code above on its head. With conv layers, every weight layer by one backward
// pass per output c (the AGOP) or one with the per-sample loss gradients (the EGOP): K_i sums J Jᵀ over samples and
// positions, J = ∂(·)/∂z_i in the layer's output channels, and A_i = W_iᵀ K_i W_i / (N · positions_i) — for a conv
// layer the patch-AGOP, the mean over samples and positions of ∇_p f ∇_p fᵀ (docs/conv_layers.md). Conv layers are
// full whatever options.mode says (record/recorders.hpp layer_mode); centred subtracts the mean J over both.
template <class T> std::vector<arma::mat> compute_agop(const Network<T>& model, const Dataset& data, const AgopOptions& options);
template <class T>
std::vector<arma::mat> compute_egop(const Network<T>& model, const Dataset& data, Loss loss, const AgopOptions& options);

// Reference: per-sample, per-output input gradients by backprop and explicit d_l×d_l outer products.
// O(N C d_l²): for tests and the benchmark only.
template <class T> arma::mat brute_force_agop(const Mlp<T>& model, const arma::Mat<T>& x, std::size_t layer, bool centered);
// The same for weight layer `layer` of a Network: per sample and output, the gradient of every patch copy (a column
// of g_p from a one-sample backward pass) and its explicit (c_in k²)² outer product, averaged over samples and positions.
template <class T> arma::mat brute_force_agop(const Network<T>& model, const arma::Mat<T>& x, std::size_t layer, bool centered);

}  // namespace vclab
