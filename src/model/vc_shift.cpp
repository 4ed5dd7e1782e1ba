// Virtual covariance shift kernels: O(dB) per step for the diagonal; BLAS rank-2k updates for matrices.
#include "model/vc_shift.hpp"

#include <cblas.h>

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

template <class T> void add_vc_shift(const arma::Mat<T>& h, const arma::Mat<T>& g, double lr, VcStorage storage, arma::mat& v) {
  if (storage == VcStorage::diag) {
    // diag v = Σ_i (−2γ h∘g + γ² g∘g)
    const arma::Mat<T> hg = h % g, gg = g % g;
    v += arma::conv_to<arma::vec>::from(arma::Col<T>(arma::sum(hg, 1))) * (-2.0 * lr) +
         arma::conv_to<arma::vec>::from(arma::Col<T>(arma::sum(gg, 1))) * (lr * lr);
    return;
  }
  const arma::mat hd = arma::conv_to<arma::mat>::from(h), gd = arma::conv_to<arma::mat>::from(g);  // (d, B)
  add_vc_shift_factored(vc_shift_factor(hd, gd, lr), gd, storage, v);
}

template arma::fmat vc_shift_factor<float>(const arma::fmat&, const arma::fmat&, double);
template arma::mat vc_shift_factor<double>(const arma::mat&, const arma::mat&, double);
template void add_vc_shift<float>(const arma::fmat&, const arma::fmat&, double, VcStorage, arma::mat&);
template void add_vc_shift<double>(const arma::mat&, const arma::mat&, double, VcStorage, arma::mat&);

}  // namespace vclab
