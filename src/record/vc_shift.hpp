// Cumulative virtual covariance shift V_l(t) = Σ_τ v_l(τ), v_l = Σ_i (h⁺h⁺ᵀ − hhᵀ) = −γ Σ_i (g hᵀ + h gᵀ) + γ² Σ_i g gᵀ
// with h⁺ = h − γ g (paper Definition 1, docs/recorded_quantities.md). Accumulated in double at every step.
#pragma once
#include <armadillo>
#include <vector>

#include "record/record_mode.hpp"

namespace vclab {

// One step's shift for one layer, added into v (diag: (d,1); full: (d,d), upper triangle only until symmetrised).
// h, g: (d, B) layer inputs and ∂ℒ/∂h (g carries the batch mean's 1/B).
template <class T> void add_vc_shift(const arma::Mat<T>& h, const arma::Mat<T>& g, double lr, RecordMode mode, arma::mat& v);

// Full mode keeps only the upper triangle (BLAS syr2k/syrk); this returns the symmetric matrix.
arma::mat symmetrised_upper(const arma::mat& upper);

class VcShiftAccumulator {
 public:
  VcShiftAccumulator() = default;
  VcShiftAccumulator(const std::vector<std::size_t>& widths, RecordMode mode);  // widths d_l of the recorded layers
  template <class T> void add(std::size_t layer, const arma::Mat<T>& h, const arma::Mat<T>& g, double lr) {
    add_vc_shift(h, g, lr, mode_, v_[layer]);
  }
  arma::mat value(std::size_t layer) const;  // diag (d,1) or symmetric (d,d)
  RecordMode mode() const { return mode_; }
  // The accumulated matrices as stored (full mode: upper triangle only), for training checkpoints.
  const std::vector<arma::mat>& raw() const { return v_; }
  void set_raw(std::vector<arma::mat> v) { v_ = std::move(v); }
  std::size_t n_layers() const { return v_.size(); }

 private:
  RecordMode mode_ = RecordMode::diag;
  std::vector<arma::mat> v_;
};

}  // namespace vclab
