// Convolution layer kernels (issue 18's foundation): im2col / col2im, z = W P by one GEMM, and its backward with the
// per-patch gradients g_p = Wᵀ δ_p of the patch-space Feature Learning Equation Wᵀ∇_Wℒ = Σ g_p pᵀ (docs/conv_layers.md).
// Images are columns of length c·H·W in channel-major order, index (c·H + y)·W + x (CIFAR-10's rows); a batch is (c·H·W, B).
#pragma once
#include <armadillo>
#include <cstddef>
#include <string>

#include "util/enum_names.hpp"

namespace vclab {

// same: (k − 1)/2 zeros on every side (PyTorch's padding = k // 2; k must be odd), output ⌈H / stride⌉.
//   For stride 2 on an even size this is not TensorFlow's 'SAME', which pads only the bottom/right.
// valid: no padding, output ⌊(H − k) / stride⌋ + 1 (needs H, W ≥ k).
enum class Padding { same, valid };

inline constexpr EnumName<Padding> kPaddingNames[] = {{"same", Padding::same}, {"valid", Padding::valid}};
constexpr std::span<const EnumName<Padding>> enum_names(Padding) { return kPaddingNames; }

struct ConvGeometry {
  std::size_t c_in = 0;    // input channels
  std::size_t height = 0;  // H: input rows
  std::size_t width = 0;   // W: input columns
  std::size_t c_out = 0;   // output channels (rows of the reshaped kernel)
  std::size_t kernel = 3;  // k: the window is k × k
  std::size_t stride = 1;  // 1 or 2
  Padding padding = Padding::same;

  std::size_t pad() const { return padding == Padding::same ? (kernel - 1) / 2 : 0; }  // zeros on each side
  std::size_t out_height() const { return (height + 2 * pad() - kernel) / stride + 1; }  // H_out
  std::size_t out_width() const { return (width + 2 * pad() - kernel) / stride + 1; }    // W_out
  std::size_t positions() const { return out_height() * out_width(); }                  // H_out·W_out
  std::size_t patch_dim() const { return c_in * kernel * kernel; }                       // c_in k²
  std::size_t input_dim() const { return c_in * height * width; }                        // rows of x
  std::size_t output_dim() const { return c_out * positions(); }                         // rows of z
  // Throws std::invalid_argument saying which field is wrong (zero sizes, stride ∉ {1, 2}, even k with 'same',
  // a 'valid' window larger than the image).
  void check() const;
};

// P = im2col(x): (c_in H W, B) → (c_in k², B·H_out·W_out). Column b·positions + (y_out·W_out + x_out) is the patch
// of sample b at that output position; row (c·k + dy)·k + dx holds x[c, y_out·s + dy − pad, x_out·s + dx − pad],
// zero where that falls in the padding. The row order is PyTorch's Conv2d weight (c_out, c_in, k, k) flattened.
template <class T> arma::Mat<T> im2col(const ConvGeometry& geometry, const arma::Mat<T>& x);

// The adjoint of im2col: (c_in k², B·positions) → (c_in H W, B), every patch entry added back onto the pixel it was
// copied from (padding entries dropped). ⟨im2col(x), Y⟩ = ⟨x, col2im(Y)⟩.
template <class T> arma::Mat<T> col2im(const ConvGeometry& geometry, const arma::Mat<T>& patch_grads);

// Channel-major images (c·n, B) ↔ one row per channel (c, B·n), n = positions per channel; column b·n + q of the
// rows form is position q of sample b. W P is in the rows form; layers exchange the channel-major form.
template <class T> arma::Mat<T> to_channel_rows(const arma::Mat<T>& images, std::size_t channels);
template <class T> arma::Mat<T> to_channel_major(const arma::Mat<T>& rows, std::size_t batch);

template <class T> struct ConvForward {
  arma::Mat<T> patches;  // P = im2col(x): (c_in k², B·positions), kept for the backward pass
  arma::Mat<T> z;        // (c_out·H_out·W_out, B), channel-major like the input
};

template <class T> struct ConvBackward {
  arma::Mat<T> grad_w;        // ∇_W ℒ = δ_P Pᵀ: (c_out, c_in k²)
  arma::Col<T> grad_b;        // ∇_b ℒ: (c_out); empty without bias
  arma::Mat<T> grad_patches;  // g_p = Wᵀ δ_P: (c_in k², B·positions), ∂ℒ/∂ of each patch copy taken as its own input
  arma::Mat<T> grad_x;        // ∂ℒ/∂x = col2im(g_p): (c_in H W, B); empty unless requested
};

// z = W P (+ b on every position), W: (c_out, c_in k²), bias: (c_out) or nullptr (no bias, the default).
template <class T>
void conv_forward(const ConvGeometry& geometry, const arma::Mat<T>& w, const arma::Mat<T>& x, ConvForward<T>& pass,
                  const arma::Col<T>* bias = nullptr);

// Backpropagates grad_z = ∂ℒ/∂z (c_out·positions, B). grad_b only when with_bias; grad_x (one col2im) only when
// need_input_grad (a first layer does not need it).
template <class T>
void conv_backward(const ConvGeometry& geometry, const arma::Mat<T>& w, const ConvForward<T>& pass,
                   const arma::Mat<T>& grad_z, ConvBackward<T>& grads, bool with_bias = false,
                   bool need_input_grad = true);

}  // namespace vclab
