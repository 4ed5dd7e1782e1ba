// 2 × 2 / stride-2 pooling kernels. Shapes: x (c H W, B), y (c ⌊H/2⌋ ⌊W/2⌋, B), both channel-major.
#include "model/pool.hpp"

#include <stdexcept>

namespace vclab {

void PoolGeometry::check() const {
  if (channels == 0) throw std::invalid_argument("pool geometry: channels must be positive");
  if (height < 2 || width < 2)
    throw std::invalid_argument("pool geometry: 2 × 2 pooling needs height and width ≥ 2, got " +
                                std::to_string(height) + " × " + std::to_string(width));
}

namespace {

// Calls visit(o, i) for every output element o (linear index in y) with i the linear index in x of its window's
// top-left pixel; the window is i, i + 1, i + W, i + W + 1 (row-major order).
template <class Visit> void visit_windows(const PoolGeometry& g, std::size_t batch, Visit&& visit) {
  const std::size_t h_out = g.out_height(), w_out = g.out_width();
  std::size_t o = 0;
  for (std::size_t b = 0; b < batch; ++b)
    for (std::size_t c = 0; c < g.channels; ++c)
      for (std::size_t y = 0; y < h_out; ++y)
        for (std::size_t x = 0; x < w_out; ++x, ++o)
          visit(o, b * g.input_dim() + (c * g.height + 2 * y) * g.width + 2 * x);
}

void check_input(Pooling pooling, const PoolGeometry& g, std::size_t rows, const char* what, std::size_t want) {
  if (pooling == Pooling::none) throw std::invalid_argument("pooling 'none' has no kernel; skip the pooling step");
  g.check();
  if (rows != want)
    throw std::invalid_argument(std::string(what) + " has " + std::to_string(rows) + " rows, the pool geometry needs " +
                                std::to_string(want));
}

}  // namespace

template <class T>
void pool_forward(Pooling pooling, const PoolGeometry& geometry, const arma::Mat<T>& x, PoolForward<T>& pass) {
  check_input(pooling, geometry, x.n_rows, "pool input", geometry.input_dim());
  const std::size_t w = geometry.width;
  pass.y.set_size(geometry.output_dim(), x.n_cols);
  T* out = pass.y.memptr();
  const T* in = x.memptr();
  if (pooling == Pooling::avg) {
    pass.argmax.reset();
    visit_windows(geometry, x.n_cols, [&](std::size_t o, std::size_t i) {
      out[o] = (in[i] + in[i + 1] + in[i + w] + in[i + w + 1]) / T(4);  // y = mean of the window
    });
    return;
  }
  pass.argmax.set_size(pass.y.n_elem);
  visit_windows(geometry, x.n_cols, [&](std::size_t o, std::size_t i) {
    std::size_t best = i;
    for (std::size_t j : {i + 1, i + w, i + w + 1})  // strict >: the first maximum in row-major order wins ties
      if (in[j] > in[best]) best = j;
    pass.argmax(o) = best;
    out[o] = in[best];  // y = x[argmax]
  });
}

template <class T>
arma::Mat<T> pool_backward(Pooling pooling, const PoolGeometry& geometry, const PoolForward<T>& pass,
                           const arma::Mat<T>& grad_y) {
  check_input(pooling, geometry, grad_y.n_rows, "pool grad_y", geometry.output_dim());
  if (pooling == Pooling::max && pass.argmax.n_elem != grad_y.n_elem)
    throw std::invalid_argument("pool grad_y does not match the max-pooling forward pass it differentiates");
  arma::Mat<T> grad_x(geometry.input_dim(), grad_y.n_cols, arma::fill::zeros);  // dropped rows/cols stay 0
  T* out = grad_x.memptr();
  const T* in = grad_y.memptr();
  const std::size_t w = geometry.width;
  if (pooling == Pooling::max) {
    for (arma::uword o = 0; o < grad_y.n_elem; ++o) out[pass.argmax(o)] += in[o];  // y = x[argmax] ⇒ route dy there
    return grad_x;
  }
  visit_windows(geometry, grad_y.n_cols, [&](std::size_t o, std::size_t i) {
    const T share = in[o] / T(4);  // y = mean of the window  ⇒  each pixel gets dy / 4
    out[i] += share;
    out[i + 1] += share;
    out[i + w] += share;
    out[i + w + 1] += share;
  });
  return grad_x;
}

#define VCLAB_INSTANTIATE(T)                                                                                  \
  template void pool_forward<T>(Pooling, const PoolGeometry&, const arma::Mat<T>&, PoolForward<T>&);         \
  template arma::Mat<T> pool_backward<T>(Pooling, const PoolGeometry&, const PoolForward<T>&, const arma::Mat<T>&);
VCLAB_INSTANTIATE(float)
VCLAB_INSTANTIATE(double)
#undef VCLAB_INSTANTIATE

}  // namespace vclab
