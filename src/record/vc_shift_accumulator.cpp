// The per-layer accumulator of the virtual covariance shift (the kernel is model/vc_shift.cpp).
#include "record/vc_shift_accumulator.hpp"

namespace vclab {

arma::mat symmetrised_upper(const arma::mat& upper) { return arma::symmatu(upper); }

VcShiftAccumulator::VcShiftAccumulator(const std::vector<std::size_t>& widths, RecordMode mode)
    : VcShiftAccumulator(widths, std::vector<RecordMode>(widths.size(), mode)) {}

VcShiftAccumulator::VcShiftAccumulator(const std::vector<std::size_t>& widths, std::vector<RecordMode> modes)
    : modes_(std::move(modes)) {
  for (std::size_t l = 0; l < widths.size(); ++l)
    v_.emplace_back(widths[l], modes_[l] == RecordMode::diag ? 1 : widths[l], arma::fill::zeros);
}

arma::mat VcShiftAccumulator::value(std::size_t layer) const {
  return modes_[layer] == RecordMode::diag ? v_[layer] : symmetrised_upper(v_[layer]);
}

}  // namespace vclab
