// Convolutional network (issue 18): conv layers (z_l = W_l P_l, σ, optional 2 × 2 pooling), then the flattened
// features into an Mlp head. Forward and backward keep each layer's patches P_l and per-patch gradients g_p, so the
// patch-space Feature Learning Equation W_lᵀ∇W_l = Σ g_p pᵀ can be recorded per layer (docs/conv_layers.md).
#pragma once
#include <armadillo>
#include <cstdint>
#include <random>
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

struct ConvNetSpec {
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

template <class T> struct ConvNet {
  ConvNetSpec spec;
  std::vector<arma::Mat<T>> kernels;  // W_l: (c_out, c_in k²) = PyTorch's Conv2d weight (c_out, c_in, k, k) reshaped
  std::vector<arma::Col<T>> biases;   // b_l: (c_out); empty when spec.bias is false
  Mlp<T> head;                        // input_dim = spec.flat_dim()

  ConvNet() = default;
  // Random init from one std::mt19937_64 seeded with `seed`: conv layers first, in order, then the head's layers.
  ConvNet(const ConvNetSpec& spec, std::uint64_t seed);

  std::size_t n_conv_layers() const { return kernels.size(); }
  bool has_bias() const { return !biases.empty(); }
};

template <class To, class From> ConvNet<To> convert_convnet(const ConvNet<From>& net) {
  ConvNet<To> out;
  out.spec = net.spec;
  for (const auto& w : net.kernels) out.kernels.push_back(arma::conv_to<arma::Mat<To>>::from(w));
  for (const auto& b : net.biases) out.biases.push_back(arma::conv_to<arma::Col<To>>::from(b));
  out.head = convert_mlp<To>(net.head);
  return out;
}

// Layer l maps x_l (c_l H_l W_l, B) → patches P_l → z_l → h_l = σ(z_l) → pooled y_l = x_{l+1}; all channel-major.
template <class T> struct ConvForwardPass {
  arma::Mat<T> images;               // x_0: (c_0 H_0 W_0, B)
  std::vector<ConvForward<T>> conv;  // conv[l].patches P_l (c_l k², B·n_l); conv[l].z z_l (c_{l+1} n_l, B)
  std::vector<arma::Mat<T>> h;       // h[l] = σ(z_l): (c_{l+1} n_l, B)
  std::vector<PoolForward<T>> pool;  // pool[l].y (c_{l+1} n_l / 4, B) and max's argmax; empty with Pooling::none
  ForwardPass<T> head;               // head.h[0] = the last layer's output as is (the flatten is the identity)

  // x_l, the input of conv layer l (l = n_conv_layers: the head's input).
  const arma::Mat<T>& input(std::size_t l) const { return l == 0 ? images : output(l - 1); }
  // Layer l's output: pool[l].y, or h[l] without pooling.
  const arma::Mat<T>& output(std::size_t l) const { return pool[l].y.is_empty() ? h[l] : pool[l].y; }
  const arma::Mat<T>& logits() const { return head.logits; }
};

template <class T> struct ConvBackwardPass {
  // conv[l].grad_w ∇W_l (c_out, c_in k²); grad_b ∇b_l (empty without bias); grad_patches g_p (c_in k², B·n_l);
  // grad_x ∂ℒ/∂x_l (c_l H_l W_l, B), empty for l = 0 unless the input gradient was requested.
  std::vector<ConvBackward<T>> conv;
  std::vector<arma::Mat<T>> grad_z;  // ∂ℒ/∂z_l: (c_{l+1} n_l, B)
  BackwardPass<T> head;              // head.grad_h[0] = ∂ℒ/∂(flattened features) (flat_dim, B)
};

// x: (c_0 H_0 W_0, B) channel-major images.
template <class T> void forward(const ConvNet<T>& net, const arma::Mat<T>& x, ConvForwardPass<T>& pass);

// Backpropagates grad_logits = ∂ℒ/∂f (C, B) through the head and every conv layer. ∂ℒ/∂x_0 (one more col2im) only
// when need_input_grad.
template <class T>
void backward(const ConvNet<T>& net, const ConvForwardPass<T>& pass, const arma::Mat<T>& grad_logits,
              ConvBackwardPass<T>& grads, bool need_input_grad = false);

// Batch loss and full backward pass in one call (as loss_and_backward for an Mlp); returns ℒ.
template <class T>
double conv_loss_and_backward(const ConvNet<T>& net, const arma::Mat<T>& x, const arma::Mat<T>& targets, Loss loss,
                              ConvForwardPass<T>& pass, ConvBackwardPass<T>& grads, bool need_input_grad = false);

}  // namespace vclab
