// A mini-batch of a dataset as the network reads it: inputs (d_0, B) and targets (C, B), samples as columns.
#pragma once
#include <armadillo>
#include <cstddef>

#include "data/dataset.hpp"

namespace vclab {

template <class T> arma::Mat<T> batch_inputs(const Dataset& data, const arma::uvec& indices);
// Targets (C, B) of the given samples: one-hot labels, or data.targets when present.
template <class T> arma::Mat<T> batch_targets(const Dataset& data, const arma::uvec& indices, std::size_t n_outputs);

}  // namespace vclab
