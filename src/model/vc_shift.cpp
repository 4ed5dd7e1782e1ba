// Virtual covariance shift kernels: O(dB) per step for the diagonal; BLAS rank-2k updates for matrices.
#include "model/vc_shift.hpp"

#include <cblas.h>

#include <algorithm>
#include <stdexcept>

namespace vclab {

template <class T> arma::Mat<T> vc_shift_factor(const arma::Mat<T>& h, const arma::Mat<T>& g, double lr) {
  if (h.n_rows != g.n_rows || h.n_cols != g.n_cols)
    throw std::invalid_argument("virtual covariance shift: h and g must have the same shape (d, B)");
  return T(-lr) * h + T(0.5 * lr * lr) * g;  // (d, B)
}

void add_vc_shift_factored(const arma::mat& p, const arma::mat& g, VcStorage storage, arma::mat& v) {
  const int d = int(g.n_rows), b = int(g.n_cols);
  if (storage == VcStorage::upper) {  // upper triangle of v ← v + G Pᵀ + P Gᵀ
    cblas_dsyr2k(CblasColMajor, CblasUpper, CblasNoTrans, d, b, 1.0, g.memptr(), d, p.memptr(), d, 1.0, v.memptr(), d);
  } else if (storage == VcStorage::symmetric) {
    v += p * g.t();  // (d, d) in-place GEMMs: no (d, d) temporary
    v += g * p.t();
  } else {
    throw std::invalid_argument("add_vc_shift_factored: the diagonal is accumulated by add_vc_shift");
  }
}

namespace {
// hg += h∘g, gg += g∘g over n rows; without FMA each term rounds as h % g does. In blocks of 16: GCC 12 vectorises a
// fixed-length inner loop at -O2 but left the plain loop scalar (mulss/addss; 5 % of the training thread at d = 3072).
template <class T>
void add_column_products(const T* __restrict h, const T* __restrict g, T* __restrict hg, T* __restrict gg, std::size_t n) {
  constexpr std::size_t kBlock = 16;
  std::size_t i = 0;
  for (; i + kBlock <= n; i += kBlock)
    for (std::size_t j = i; j < i + kBlock; ++j) {
      hg[j] += h[j] * g[j];
      gg[j] += g[j] * g[j];
    }
  for (; i < n; ++i) {
    hg[i] += h[i] * g[i];
    gg[i] += g[i] * g[i];
  }
}
}  // namespace

constexpr std::size_t kBlockBytes = std::size_t(4) << 20;  // per double (d, b) block
constexpr std::size_t kMinBlockColumns = 64;

template <class T> void add_vc_shift(const arma::Mat<T>& h, const arma::Mat<T>& g, double lr, VcStorage storage, arma::mat& v) {
  if (storage == VcStorage::diag) {
    // diag v = Σ_i (−2γ h∘g + γ² g∘g): both row sums in T, column after column, in one pass over h and g
    arma::Col<T> hg(h.n_rows, arma::fill::zeros), gg(h.n_rows, arma::fill::zeros);
    for (arma::uword c = 0; c < h.n_cols; ++c) add_column_products(h.colptr(c), g.colptr(c), hg.memptr(), gg.memptr(), h.n_rows);
    v += arma::conv_to<arma::vec>::from(hg) * (-2.0 * lr) + arma::conv_to<arma::vec>::from(gg) * (lr * lr);
    return;
  }
  // A conv layer has B·positions columns (16,384 for 288-wide patches at batch 64): their double copies would be
  // fresh pages every step, so the rank-2B update runs over blocks of columns of at most kBlockBytes each (one block,
  // the same arithmetic as before, for every dense layer up to d = 8,192 at batch 64).
  const std::size_t block = std::max<std::size_t>(kMinBlockColumns, kBlockBytes / (sizeof(double) * h.n_rows));
  for (std::size_t first = 0; first < h.n_cols; first += block) {
    const std::size_t last = std::min<std::size_t>(h.n_cols, first + block) - 1;
    const arma::mat hd = arma::conv_to<arma::mat>::from(h.cols(first, last));  // (d, b)
    const arma::mat gd = arma::conv_to<arma::mat>::from(g.cols(first, last));
    add_vc_shift_factored(vc_shift_factor(hd, gd, lr), gd, storage, v);
  }
}

template arma::fmat vc_shift_factor<float>(const arma::fmat&, const arma::fmat&, double);
template arma::mat vc_shift_factor<double>(const arma::mat&, const arma::mat&, double);
template void add_vc_shift<float>(const arma::fmat&, const arma::fmat&, double, VcStorage, arma::mat&);
template void add_vc_shift<double>(const arma::mat&, const arma::mat&, double, VcStorage, arma::mat&);

}  // namespace vclab
