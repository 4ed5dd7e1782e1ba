// Forward and backward passes of the MLP on a batch (samples are columns), paper Eq. (1) quantities included.
#pragma once
#include <armadillo>
#include <vector>

#include "model/loss.hpp"
#include "model/mlp.hpp"

namespace vclab {

template <class T> struct ForwardPass {
  // Set by a caller that will backpropagate (loss_and_backward): forward then also keeps slope[l] = σ'(z[l]), computed
  // with h[l] in one pass (GELU's erf once), and backward reads it. Otherwise slope is empty and backward computes σ'.
  bool with_slopes = false;
  std::vector<arma::Mat<T>> h;      // h[l]: (d_l, B), l = 0..L; h[0] = x, h[l] is the input of W_l
  std::vector<arma::Mat<T>> z;      // z[l]: (d_l, B) pre-activation of h[l], l = 1..L (z[0] empty)
  std::vector<arma::Mat<T>> slope;  // slope[l] = σ'(z[l]): (d_l, B), l = 1..L, when with_slopes; else empty
  arma::Mat<T> logits;              // f: (C, B)
};

template <class T> struct BackwardPass {
  // Set by a caller whose update can take ∇W_l = dz h_lᵀ as its two factors (plain SGD: one GEMM W −= γ dz h_lᵀ):
  // backward then leaves every grad_w[l] empty, and grad_z[l] with the pass's h[l] stand for it.
  bool factored_weight_grads = false;
  std::vector<arma::Mat<T>> grad_w;  // ∇_{W_l} ℒ: (d_{l+1}, d_l); empty when factored_weight_grads
  std::vector<arma::Col<T>> grad_b;  // ∇_{b_l} ℒ: (d_{l+1}); empty without bias
  std::vector<arma::Mat<T>> grad_h;  // g_l = ∂ℒ/∂h_l: (d_l, B); grad_h[0] empty unless requested
  std::vector<arma::Mat<T>> grad_z;  // ∂ℒ/∂z_{l+1}: (d_{l+1}, B), l = 0..L (grad_z[L] = ∂ℒ/∂f)
};

// x (d_0, B) becomes pass.h[0]: moved in when the caller passes a temporary (a training batch), else copied.
template <class T> void forward(const Mlp<T>& model, arma::Mat<T> x, ForwardPass<T>& pass);
// forward on `count` columns of x from column `first`, for passes that never need h_0 again (evaluation, the AGOP):
// a float net reads them in place, without copying the batch, and leaves pass.h[0] empty; a double net converts a
// copy, which it keeps as h_0. The logits, z and h_1.. have the bits of forward on a copy.
template <class T>
void forward_columns(const Mlp<T>& model, const arma::fmat& x, arma::uword first, arma::uword count, ForwardPass<T>& pass);

// Backpropagates grad_logits = ∂ℒ/∂f (C, B). g_0 = ∂ℒ/∂x costs one more (d_0 × d_1 × B) product,
// so it is computed only when need_input_grad (the virtual covariance of layer 0 and VCL need it).
template <class T>
void backward(const Mlp<T>& model, const ForwardPass<T>& pass, const arma::Mat<T>& grad_logits,
              BackwardPass<T>& grads, bool need_input_grad);

// Batch loss and full backward pass in one call; returns ℒ.
template <class T>
double loss_and_backward(const Mlp<T>& model, arma::Mat<T> x, const arma::Mat<T>& targets, Loss loss,
                         ForwardPass<T>& pass, BackwardPass<T>& grads, bool need_input_grad);

// Propagates a seed ∂(·)/∂z_{L+1} (C, B) down to ∂(·)/∂z_{l+1} for every l (used for output Jacobians in the AGOP).
template <class T>
void backpropagate_to_preactivations(const Mlp<T>& model, const ForwardPass<T>& pass, const arma::Mat<T>& seed,
                                     std::vector<arma::Mat<T>>& grad_z);

// Number of correct argmax predictions.
template <class T> std::size_t count_correct(const arma::Mat<T>& logits, const arma::uvec& labels);

}  // namespace vclab
