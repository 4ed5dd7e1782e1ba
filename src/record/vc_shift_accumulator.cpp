// The per-layer accumulator of the virtual covariance shift (the kernel is model/vc_shift.cpp).
#include "record/vc_shift_accumulator.hpp"

namespace vclab {

arma::mat symmetrised_upper(const arma::mat& upper) { return arma::symmatu(upper); }

VcShiftAccumulator::VcShiftAccumulator(const std::vector<std::size_t>& widths, RecordMode mode) : mode_(mode) {
  for (auto d : widths) v_.push_back(mode == RecordMode::diag ? arma::mat(d, 1, arma::fill::zeros) : arma::mat(d, d, arma::fill::zeros));
}

arma::mat VcShiftAccumulator::value(std::size_t layer) const {
  return mode_ == RecordMode::diag ? v_[layer] : symmetrised_upper(v_[layer]);
}

}  // namespace vclab
