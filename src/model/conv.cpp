// Convolution kernels: im2col and its adjoint share one index walk, so the two cannot disagree on the layout.
// Shapes: x (c_in H W, B), P (c_in k², B·n) with n = H_out W_out, W (c_out, c_in k²), z (c_out n, B).
#include "model/conv.hpp"

#include <cstddef>
#include <stdexcept>

namespace vclab {

void ConvGeometry::check() const {
  const auto fail = [](const std::string& why) { throw std::invalid_argument("conv geometry: " + why); };
  if (c_in == 0 || c_out == 0) fail("c_in and c_out must be positive");
  if (height == 0 || width == 0) fail("height and width must be positive");
  if (kernel == 0) fail("kernel must be positive");
  if (stride != 1 && stride != 2) fail("stride must be 1 or 2, got " + std::to_string(stride));
  if (padding == Padding::same && kernel % 2 == 0)
    fail("'same' padding needs an odd kernel, got " + std::to_string(kernel));
  if (padding == Padding::valid && (height < kernel || width < kernel))
    fail("'valid' padding needs height and width ≥ kernel " + std::to_string(kernel) + ", got " +
         std::to_string(height) + " × " + std::to_string(width));
}

namespace {

// Calls visit(p, i) for every patch entry that copies a pixel: p is its linear index in P (column-major, so
// col·(c_in k²) + row), i the pixel's linear index in x (b·c_in H W + (c·H + y)·W + x), and pad_entry(p) for every
// padding entry. The walk fills P column by column, so im2col writes contiguously and reads runs of k pixels.
template <class Visit, class Pad>
void visit_patch_entries(const ConvGeometry& g, std::size_t batch, Visit&& visit, Pad&& pad_entry) {
  const std::ptrdiff_t pad = static_cast<std::ptrdiff_t>(g.pad());
  const std::ptrdiff_t height = static_cast<std::ptrdiff_t>(g.height), width = static_cast<std::ptrdiff_t>(g.width);
  const std::size_t k = g.kernel, h_out = g.out_height(), w_out = g.out_width();
  std::size_t p = 0;
  for (std::size_t b = 0; b < batch; ++b) {
    const std::size_t sample = b * g.input_dim();
    for (std::size_t y_out = 0; y_out < h_out; ++y_out) {
      for (std::size_t x_out = 0; x_out < w_out; ++x_out) {
        const std::ptrdiff_t y0 = static_cast<std::ptrdiff_t>(y_out * g.stride) - pad;  // window's top-left pixel
        const std::ptrdiff_t x0 = static_cast<std::ptrdiff_t>(x_out * g.stride) - pad;
        for (std::size_t c = 0; c < g.c_in; ++c) {
          for (std::ptrdiff_t y = y0; y < y0 + static_cast<std::ptrdiff_t>(k); ++y) {
            for (std::ptrdiff_t x = x0; x < x0 + static_cast<std::ptrdiff_t>(k); ++x, ++p) {
              if (y < 0 || y >= height || x < 0 || x >= width) pad_entry(p);
              else visit(p, sample + (c * g.height + static_cast<std::size_t>(y)) * g.width + static_cast<std::size_t>(x));
            }
          }
        }
      }
    }
  }
}

void require_rows(std::size_t got, std::size_t want, const char* what) {
  if (got != want)
    throw std::invalid_argument(std::string(what) + " has " + std::to_string(got) + " rows, the conv geometry needs " +
                                std::to_string(want));
}

}  // namespace

template <class T> arma::Mat<T> im2col(const ConvGeometry& geometry, const arma::Mat<T>& x) {
  geometry.check();
  require_rows(x.n_rows, geometry.input_dim(), "im2col input");
  arma::Mat<T> patches(geometry.patch_dim(), x.n_cols * geometry.positions(), arma::fill::none);  // all written below
  T* out = patches.memptr();
  const T* in = x.memptr();
  visit_patch_entries(
      geometry, x.n_cols, [&](std::size_t p, std::size_t i) { out[p] = in[i]; },  // P_p = x_i
      [&](std::size_t p) { out[p] = T(0); });                                      // zero padding
  return patches;
}

template <class T> arma::Mat<T> col2im(const ConvGeometry& geometry, const arma::Mat<T>& patch_grads) {
  geometry.check();
  require_rows(patch_grads.n_rows, geometry.patch_dim(), "col2im input");
  if (patch_grads.n_cols % geometry.positions() != 0)
    throw std::invalid_argument("col2im input has " + std::to_string(patch_grads.n_cols) +
                                " columns, not a multiple of the " + std::to_string(geometry.positions()) + " positions");
  const std::size_t batch = patch_grads.n_cols / geometry.positions();
  arma::Mat<T> images(geometry.input_dim(), batch, arma::fill::zeros);
  T* out = images.memptr();
  const T* in = patch_grads.memptr();
  // P_p = x_i  ⇒  ∂ℒ/∂x_i = Σ over the copies p of pixel i of ∂ℒ/∂P_p
  visit_patch_entries(
      geometry, batch, [&](std::size_t p, std::size_t i) { out[i] += in[p]; }, [](std::size_t) {});
  return images;
}

template <class T> arma::Mat<T> to_channel_rows(const arma::Mat<T>& images, std::size_t channels) {
  if (channels == 0 || images.n_rows == 0 || images.n_rows % channels != 0)
    throw std::invalid_argument("to_channel_rows: " + std::to_string(images.n_rows) + " rows do not split into " +
                                std::to_string(channels) + " channels");
  const std::size_t n = images.n_rows / channels, batch = images.n_cols;
  arma::Mat<T> rows(channels, batch * n, arma::fill::none);  // (c, B·n), every column set below
  for (std::size_t b = 0; b < batch; ++b)  // sample b's column, read as (n, c) column-major, transposed
    rows.cols(b * n, (b + 1) * n - 1) = arma::reshape(images.col(b), n, channels).t();
  return rows;
}

template <class T> arma::Mat<T> to_channel_major(const arma::Mat<T>& rows, std::size_t batch) {
  if (batch == 0 || rows.n_cols == 0 || rows.n_cols % batch != 0)
    throw std::invalid_argument("to_channel_major: " + std::to_string(rows.n_cols) + " columns do not split into " +
                                std::to_string(batch) + " samples");
  const std::size_t n = rows.n_cols / batch, channels = rows.n_rows;
  arma::Mat<T> images(channels * n, batch, arma::fill::none);  // (c·n, B), every column set below
  for (std::size_t b = 0; b < batch; ++b) {
    const arma::Mat<T> block = rows.cols(b * n, (b + 1) * n - 1).t();  // (n, c): entry (q, c) at c·n + q
    images.col(b) = arma::vectorise(block);
  }
  return images;
}

template <class T>
void conv_forward(const ConvGeometry& geometry, const arma::Mat<T>& w, const arma::Mat<T>& x, ConvForward<T>& pass,
                  const arma::Col<T>* bias) {
  if (w.n_rows != geometry.c_out || w.n_cols != geometry.patch_dim())
    throw std::invalid_argument("conv kernel is " + std::to_string(w.n_rows) + " × " + std::to_string(w.n_cols) +
                                ", the geometry needs c_out × c_in k² = " + std::to_string(geometry.c_out) + " × " +
                                std::to_string(geometry.patch_dim()));
  if (bias != nullptr) require_rows(bias->n_elem, geometry.c_out, "conv bias");
  pass.patches = im2col(geometry, x);    // P: (c_in k², B·n)
  arma::Mat<T> z_rows = w * pass.patches;  // z = W P   (c_out, B·n), one GEMM
  if (bias != nullptr) z_rows.each_col() += *bias;  // z = W P + b 1ᵀ
  pass.z = to_channel_major(z_rows, x.n_cols);  // (c_out·n, B)
}

template <class T>
void conv_backward(const ConvGeometry& geometry, const arma::Mat<T>& w, const ConvForward<T>& pass,
                   const arma::Mat<T>& grad_z, ConvBackward<T>& grads, bool with_bias, bool need_input_grad) {
  require_rows(grad_z.n_rows, geometry.output_dim(), "conv grad_z");
  if (grad_z.n_cols * geometry.positions() != pass.patches.n_cols)
    throw std::invalid_argument("conv grad_z has " + std::to_string(grad_z.n_cols) + " samples, the forward pass had " +
                                std::to_string(pass.patches.n_cols / geometry.positions()));
  const arma::Mat<T> delta = to_channel_rows(grad_z, geometry.c_out);  // δ_P = ∂ℒ/∂(W P): (c_out, B·n)
  grads.grad_w = delta * pass.patches.t();                              // z = W P  ⇒  ∇W = δ_P Pᵀ
  if (with_bias) grads.grad_b = arma::sum(delta, 1);                    // z = W P + b 1ᵀ  ⇒  ∇b = δ_P 1
  else grads.grad_b.reset();
  grads.grad_patches = w.t() * delta;  // z = W P  ⇒  g_p = Wᵀ δ_P   (c_in k², B·n)
  if (need_input_grad) grads.grad_x = col2im(geometry, grads.grad_patches);  // P = im2col(x)  ⇒  ∂ℒ/∂x = col2im(g_p)
  else grads.grad_x.reset();
}

#define VCLAB_INSTANTIATE(T)                                                                                   \
  template arma::Mat<T> im2col<T>(const ConvGeometry&, const arma::Mat<T>&);                                 \
  template arma::Mat<T> col2im<T>(const ConvGeometry&, const arma::Mat<T>&);                                 \
  template arma::Mat<T> to_channel_rows<T>(const arma::Mat<T>&, std::size_t);                                \
  template arma::Mat<T> to_channel_major<T>(const arma::Mat<T>&, std::size_t);                               \
  template void conv_forward<T>(const ConvGeometry&, const arma::Mat<T>&, const arma::Mat<T>&, ConvForward<T>&, \
                                const arma::Col<T>*);                                                        \
  template void conv_backward<T>(const ConvGeometry&, const arma::Mat<T>&, const ConvForward<T>&,            \
                                 const arma::Mat<T>&, ConvBackward<T>&, bool, bool);
VCLAB_INSTANTIATE(float)
VCLAB_INSTANTIATE(double)
#undef VCLAB_INSTANTIATE

}  // namespace vclab
