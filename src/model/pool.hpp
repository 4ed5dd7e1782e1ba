// 2 × 2 pooling with stride 2, average and max, on channel-major images (c·H·W, B) as in model/conv.hpp (issue 18).
// Odd sizes are floored: output ⌊H/2⌋ × ⌊W/2⌋, the last row (column) of an odd H (W) is dropped and gets zero gradient.
#pragma once
#include <armadillo>
#include <cstddef>
#include <string>

#include "util/enum_names.hpp"

namespace vclab {

// none: a conv layer without pooling (NetworkSpec); the pool kernels below reject it, their caller skips the step.
enum class Pooling { none, avg, max };
inline constexpr EnumName<Pooling> kPoolingNames[] = {{"none", Pooling::none}, {"avg", Pooling::avg}, {"max", Pooling::max}};
constexpr std::span<const EnumName<Pooling>> enum_names(Pooling) { return kPoolingNames; }

struct PoolGeometry {
  std::size_t channels = 0;  // c: pooling acts on each channel separately
  std::size_t height = 0;    // H ≥ 2
  std::size_t width = 0;     // W ≥ 2

  std::size_t out_height() const { return height / 2; }  // ⌊H/2⌋
  std::size_t out_width() const { return width / 2; }    // ⌊W/2⌋
  std::size_t input_dim() const { return channels * height * width; }
  std::size_t output_dim() const { return channels * out_height() * out_width(); }
  void check() const;  // throws std::invalid_argument on zero channels or a side under 2
};

template <class T> struct PoolForward {
  arma::Mat<T> y;  // (c·⌊H/2⌋·⌊W/2⌋, B), channel-major
  // max only: for each element of y (column-major, same order), the linear index in x of the pixel it copied; the
  // first maximum in row-major order of the window (top-left, top-right, bottom-left, bottom-right) wins ties.
  arma::uvec argmax;
};

// Throws std::invalid_argument for Pooling::none.
template <class T>
void pool_forward(Pooling pooling, const PoolGeometry& geometry, const arma::Mat<T>& x, PoolForward<T>& pass);

// ∂ℒ/∂x (c·H·W, B) from grad_y = ∂ℒ/∂y: average spreads grad_y / 4 over the window, max routes it to the argmax.
template <class T>
arma::Mat<T> pool_backward(Pooling pooling, const PoolGeometry& geometry, const PoolForward<T>& pass,
                           const arma::Mat<T>& grad_y);

}  // namespace vclab
