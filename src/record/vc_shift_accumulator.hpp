// Cumulative virtual covariance shift V_l(t) = Σ_τ v_l(τ) of every recorded layer (paper Definition 1;
// docs/virtual_covariance.md, docs/recorded_quantities.md), accumulated in double at every step with the kernel of
// model/vc_shift.hpp.
#pragma once
#include <armadillo>
#include <vector>

#include "model/vc_shift.hpp"
#include "record/record_mode.hpp"

namespace vclab {

// Full mode keeps only the upper triangle (BLAS syr2k); this returns the symmetric matrix.
arma::mat symmetrised_upper(const arma::mat& upper);

// Full recordings keep the upper triangle of V; diag recordings its diagonal.
inline VcStorage vc_storage(RecordMode mode) { return mode == RecordMode::diag ? VcStorage::diag : VcStorage::upper; }

class VcShiftAccumulator {
 public:
  VcShiftAccumulator() = default;
  VcShiftAccumulator(const std::vector<std::size_t>& widths, RecordMode mode);  // widths d_l of the recorded layers
  VcShiftAccumulator(const std::vector<std::size_t>& widths, std::vector<RecordMode> modes);  // one mode per layer
  template <class T> void add(std::size_t layer, const arma::Mat<T>& h, const arma::Mat<T>& g, double lr) {
    add_vc_shift(h, g, lr, vc_storage(modes_[layer]), v_[layer]);
  }
  arma::mat value(std::size_t layer) const;  // diag (d,1) or symmetric (d,d)
  RecordMode mode(std::size_t layer) const { return modes_[layer]; }
  // The accumulated matrices as stored (full mode: upper triangle only), for training checkpoints.
  const std::vector<arma::mat>& raw() const { return v_; }
  void set_raw(std::vector<arma::mat> v) { v_ = std::move(v); }
  std::size_t n_layers() const { return v_.size(); }

 private:
  std::vector<RecordMode> modes_;
  std::vector<arma::mat> v_;
};

}  // namespace vclab
