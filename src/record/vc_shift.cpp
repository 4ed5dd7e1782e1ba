// Virtual covariance shift kernels: O(dB) per step in diag mode; BLAS rank-2k updates in full mode.
#include "record/vc_shift.hpp"

#include <cblas.h>

namespace vclab {

template <class T> void add_vc_shift(const arma::Mat<T>& h, const arma::Mat<T>& g, double lr, RecordMode mode, arma::mat& v) {
  if (mode == RecordMode::diag) {
    // diag v = Σ_i (−2γ h∘g + γ² g∘g)
    const arma::Mat<T> hg = h % g, gg = g % g;
    v += arma::conv_to<arma::vec>::from(arma::Col<T>(arma::sum(hg, 1))) * (-2.0 * lr) +
         arma::conv_to<arma::vec>::from(arma::Col<T>(arma::sum(gg, 1))) * (lr * lr);
    return;
  }
  const arma::mat hd = arma::conv_to<arma::mat>::from(h), gd = arma::conv_to<arma::mat>::from(g);  // (d, B)
  const int d = int(hd.n_rows), b = int(hd.n_cols);
  // V ← V − γ (G Hᵀ + H Gᵀ) + γ² G Gᵀ = V + G Pᵀ + P Gᵀ with P = −γ H + (γ²/2) G: one rank-2k update
  // (upper triangle) instead of syr2k + syrk, a third fewer flops.
  const arma::mat p = (-lr) * hd + (0.5 * lr * lr) * gd;  // (d, B)
  cblas_dsyr2k(CblasColMajor, CblasUpper, CblasNoTrans, d, b, 1.0, gd.memptr(), d, p.memptr(), d, 1.0, v.memptr(), d);
}

arma::mat symmetrised_upper(const arma::mat& upper) { return arma::symmatu(upper); }

VcShiftAccumulator::VcShiftAccumulator(const std::vector<std::size_t>& widths, RecordMode mode) : mode_(mode) {
  for (auto d : widths) v_.push_back(mode == RecordMode::diag ? arma::mat(d, 1, arma::fill::zeros) : arma::mat(d, d, arma::fill::zeros));
}

arma::mat VcShiftAccumulator::value(std::size_t layer) const {
  return mode_ == RecordMode::diag ? v_[layer] : symmetrised_upper(v_[layer]);
}

template void add_vc_shift<float>(const arma::fmat&, const arma::fmat&, double, RecordMode, arma::mat&);
template void add_vc_shift<double>(const arma::mat&, const arma::mat&, double, RecordMode, arma::mat&);

}  // namespace vclab
