// The network every trainer, rule and recorder works on (issue 18): conv layers (z_l = W_l P_l, σ, optional 2 × 2
// pooling), then the flattened features into an Mlp head. An MLP is a Network without conv layers. Forward and backward keep each layer's patches P_l and per-patch gradients g_p, so the
// patch-space Feature Learning Equation W_lᵀ∇W_l = Σ g_p pᵀ can be recorded per layer (docs/conv_layers.md).
#pragma once
#include <armadillo>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <vector>

#include "model/activation.hpp"
#include "model/backprop.hpp"
#include "model/conv.hpp"
#include "model/init.hpp"
#include "model/loss.hpp"
#include "model/mlp.hpp"
#include "model/pool.hpp"

namespace vclab {

// One conv layer: conv (c_out, k, stride, padding) → σ → optional 2 × 2 pooling.
struct ConvLayerSpec {
  std::size_t c_out = 0;            // output channels
  std::size_t kernel = 3;           // k
  std::size_t stride = 1;           // 1 or 2
  Padding padding = Padding::same;
  Pooling pooling = Pooling::none;  // applied after the activation
};

struct NetworkSpec {
  std::size_t channels = 0;          // input image: c_0
  std::size_t height = 0;            // H_0
  std::size_t width = 0;             // W_0
  std::vector<ConvLayerSpec> conv;   // conv layers 0 .. K−1
  std::vector<std::size_t> hidden;   // the head's hidden widths (as MlpSpec::hidden)
  std::size_t output_dim = 0;        // C
  Activation activation = Activation::gelu;  // every conv layer and every hidden dense layer
  bool bias = false;                 // biases on conv and dense layers
  Init init = Init::pytorch;         // conv kernels with fan_in = c_in k²

  std::size_t n_conv_layers() const { return conv.size(); }
  std::size_t input_dim() const { return channels * height * width; }  // rows of x: c_0 H_0 W_0
  // Geometry of every conv layer: layer l reads the previous layer's (pooled) output. Throws std::invalid_argument
  // naming the layer when a size does not fit (a 'valid' window larger than its input, pooling on a side < 2, ...).
  std::vector<ConvGeometry> conv_geometries() const;
  std::size_t flat_dim() const;  // the head's input width: c·H·W of the last conv layer's output
  MlpSpec head_spec() const;     // the dense head: flat_dim → hidden → C, same activation, bias and init
};

// The pooling window grid over conv layer `conv`'s output (c_out channels of H_out × W_out).
inline PoolGeometry pool_geometry(const ConvGeometry& conv) {
  return PoolGeometry{.channels = conv.c_out, .height = conv.out_height(), .width = conv.out_width()};
}

// Output width of one conv layer after its pooling: (c_out·H·W) of what the next layer (or the head) reads.
std::size_t layer_output_dim(const ConvGeometry& conv, Pooling pooling);

template <class T> struct Network {
  NetworkSpec spec;
  std::vector<arma::Mat<T>> kernels;  // W_l: (c_out, c_in k²) = PyTorch's Conv2d weight (c_out, c_in, k, k) reshaped
  std::vector<arma::Col<T>> biases;   // b_l: (c_out); empty when spec.bias is false
  Mlp<T> head;                        // input_dim = spec.flat_dim()

  Network() = default;
  // Random init from one std::mt19937_64 seeded with `seed`: conv layers first, in order, then the head's layers.
  Network(const NetworkSpec& spec, std::uint64_t seed);
  // An MLP as a Network without conv layers (input c·H·W = d_0 × 1 × 1); its layers keep their indices.
  explicit Network(Mlp<T> mlp);

  std::size_t n_conv_layers() const { return kernels.size(); }
  bool has_bias() const { return head.has_bias(); }

  // Weight layers i = 0 .. n_layers() − 1: the conv kernels W_0 .. W_{K−1}, then the head's W_0 .. W_L. Every
  // recorded quantity and update rule works per weight layer on (W_i, its input columns, their gradients): for a
  // conv layer the columns are patches (c_in k²), for a dense layer the features h (d_l).
  std::size_t n_layers() const { return kernels.size() + head.n_layers(); }
  bool is_conv(std::size_t i) const { return i < kernels.size(); }
  const arma::Mat<T>& weight(std::size_t i) const { return is_conv(i) ? kernels[i] : head.weights[i - kernels.size()]; }
  arma::Mat<T>& weight(std::size_t i) { return is_conv(i) ? kernels[i] : head.weights[i - kernels.size()]; }
  const arma::Col<T>& bias(std::size_t i) const { return is_conv(i) ? biases[i] : head.biases[i - kernels.size()]; }
  arma::Col<T>& bias(std::size_t i) { return is_conv(i) ? biases[i] : head.biases[i - kernels.size()]; }
  std::size_t input_width(std::size_t i) const { return weight(i).n_cols; }  // c_in k² or d_l
};

template <class To, class From> Network<To> convert_network(const Network<From>& net) {
  Network<To> out;
  out.spec = net.spec;
  for (const auto& w : net.kernels) out.kernels.push_back(arma::conv_to<arma::Mat<To>>::from(w));
  for (const auto& b : net.biases) out.biases.push_back(arma::conv_to<arma::Col<To>>::from(b));
  out.head = convert_mlp<To>(net.head);
  return out;
}

// Layer l maps x_l (c_l H_l W_l, B) → patches P_l → z_l → h_l = σ(z_l) → pooled y_l = x_{l+1}; all channel-major.
template <class T> struct NetworkForward {
  bool with_slopes = false;          // as ForwardPass::with_slopes, for every layer (the head's pass included)
  std::vector<ConvForward<T>> conv;  // conv[l].patches P_l (c_l k², B·n_l); conv[l].z z_l (c_{l+1} n_l, B)
  std::vector<arma::Mat<T>> h;       // h[l] = σ(z_l): (c_{l+1} n_l, B)
  std::vector<arma::Mat<T>> slope;   // slope[l] = σ'(z_l): (c_{l+1} n_l, B) when with_slopes; else empty
  std::vector<PoolForward<T>> pool;  // pool[l].y (c_{l+1} n_l / 4, B) and max's argmax; empty with Pooling::none
  ForwardPass<T> head;               // head.h[0] = the last layer's output as is (the flatten is the identity)

  // Layer l's output: pool[l].y, or h[l] without pooling.
  const arma::Mat<T>& output(std::size_t l) const { return pool[l].y.is_empty() ? h[l] : pool[l].y; }
  const arma::Mat<T>& logits() const { return head.logits; }
  // The input columns of weight layer i (Network::weight): patches P_i of a conv layer, h of a dense one.
  const arma::Mat<T>& layer_input(std::size_t i) const { return i < conv.size() ? conv[i].patches : head.h[i - conv.size()]; }
  // Weight layer i's pre-activation z and its activation h = σ(z) (a conv layer's before pooling), (rows, B); h only
  // for hidden layers (the head's last layer has logits, no h).
  const arma::Mat<T>& layer_z(std::size_t i) const { return i < conv.size() ? conv[i].z : head.z[i - conv.size() + 1]; }
  const arma::Mat<T>& layer_h(std::size_t i) const { return i < conv.size() ? h[i] : head.h[i - conv.size() + 1]; }
};

template <class T> struct NetworkBackward {
  // conv[l].grad_w ∇W_l (c_out, c_in k²); grad_b ∇b_l (empty without bias); grad_patches g_p (c_in k², B·n_l);
  // grad_x ∂ℒ/∂x_l (c_l H_l W_l, B), empty for l = 0 unless the input gradient was requested.
  std::vector<ConvBackward<T>> conv;
  std::vector<arma::Mat<T>> grad_h;  // g_l = ∂ℒ/∂h_l before pooling: (c_{l+1} n_l, B)
  std::vector<arma::Mat<T>> grad_z;  // ∂ℒ/∂z_l: (c_{l+1} n_l, B)
  BackwardPass<T> head;              // head.grad_h[0] = ∂ℒ/∂(flattened features) (flat_dim, B)

  // Of weight layer i: ∇W_i, ∇b_i, and the gradient of its input columns (g_p of a conv layer, g_l of a dense one;
  // empty for a dense layer 0 unless the input gradient was requested).
  const arma::Mat<T>& weight_grad(std::size_t i) const {
    if (weight_grad_factored(i))
      throw std::logic_error("∇W" + std::to_string(i) + " was not formed (factored weight gradients): an observer that "
                             "reads it must say so in needs_weight_grads()");
    return i < conv.size() ? conv[i].grad_w : head.grad_w[i - conv.size()];
  }
  // A dense layer's ∇W_i held as its factors ∂ℒ/∂z (preactivation_grad) and the input columns (the forward pass's
  // layer_input): ∇W_i = preactivation_grad(i) · layer_input(i)ᵀ. See BackwardPass::factored_weight_grads; the trainer
  // forms a factored ∇W_i when it cannot rule out overflow.
  bool weight_grad_factored(std::size_t i) const {
    return i >= conv.size() && head.factored_weight_grads && head.grad_w[i - conv.size()].is_empty();
  }
  const arma::Mat<T>& preactivation_grad(std::size_t i) const { return head.grad_z[i - conv.size()]; }  // dense i only
  const arma::Col<T>& bias_grad(std::size_t i) const { return i < conv.size() ? conv[i].grad_b : head.grad_b[i - conv.size()]; }
  const arma::Mat<T>& input_grad(std::size_t i) const {
    return i < conv.size() ? conv[i].grad_patches : head.grad_h[i - conv.size()];
  }
  // g = ∂ℒ/∂h of weight layer i's activation (layer_h's layout; hidden layers only).
  const arma::Mat<T>& output_grad(std::size_t i) const {
    return i < conv.size() ? grad_h[i] : head.grad_h[i - conv.size() + 1];
  }
};

// x: (c_0 H_0 W_0, B) channel-major images. A net without conv layers keeps x as its head's h_0: moved in from a
// temporary (a training or evaluation batch), copied from an lvalue.
template <class T> void forward(const Network<T>& net, const arma::Mat<T>& x, NetworkForward<T>& pass);
template <class T> void forward(const Network<T>& net, arma::Mat<T>&& x, NetworkForward<T>& pass);

// Backpropagates grad_logits = ∂ℒ/∂f (C, B) through the head and every conv layer. ∂ℒ/∂x_0 (one more col2im) only
// when need_input_grad.
template <class T>
void backward(const Network<T>& net, const NetworkForward<T>& pass, const arma::Mat<T>& grad_logits,
              NetworkBackward<T>& grads, bool need_input_grad = false);

// Batch loss and full backward pass in one call (as loss_and_backward for an Mlp); returns ℒ.
template <class T>
double loss_and_backward(const Network<T>& net, arma::Mat<T> x, const arma::Mat<T>& targets, Loss loss,
                              NetworkForward<T>& pass, NetworkBackward<T>& grads, bool need_input_grad = false);

// Samples per batch for a pass over many samples (evaluation, AGOP, EGOP): a conv layer's patches, activations and
// gradients take (patch width × positions) values per sample, and blocks above a few MiB come as fresh pages from the
// kernel on every batch (page faults and zeroing were over half the time at batch 1,000). Capped so that the widest
// per-sample block of the batch stays within `bytes`; a net without conv layers keeps `requested`.
template <class T> std::size_t memory_capped_batch(const Network<T>& net, std::size_t requested, std::size_t bytes);

// Propagates a seed ∂(·)/∂f (C, B) to ∂(·)/∂z_i of every weight layer, one column per input column of that layer:
// jacobians[i] is (c_out, B·positions) for a conv layer (the rows form of to_channel_rows), (d_{i+1}, B) for a dense
// one. No weight gradients, and nothing below the first conv layer's z. `pass` must come from a forward with
// with_slopes (the AGOP and EGOP: σ' computed once per batch, reused for every seed).
template <class T>
void output_jacobians(const Network<T>& net, const NetworkForward<T>& pass, const arma::Mat<T>& seed,
                      std::vector<arma::Mat<T>>& jacobians);

}  // namespace vclab
