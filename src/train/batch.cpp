// Mini-batch extraction (batch.hpp).
#include "train/batch.hpp"

#include <type_traits>

#include "model/loss.hpp"

namespace vclab {

template <class T> arma::Mat<T> batch_inputs(const Dataset& data, const arma::uvec& indices) {
  if constexpr (std::is_same_v<T, float>) return data.x.cols(indices);
  else return arma::conv_to<arma::Mat<T>>::from(arma::fmat(data.x.cols(indices)));
}

template <class T> arma::Mat<T> batch_targets(const Dataset& data, const arma::uvec& indices, std::size_t n_outputs) {
  if (!data.targets.is_empty()) return arma::conv_to<arma::Mat<T>>::from(arma::fmat(data.targets.cols(indices)));
  return one_hot<T>(data.y(indices), n_outputs);
}

template arma::fmat batch_inputs<float>(const Dataset&, const arma::uvec&);
template arma::mat batch_inputs<double>(const Dataset&, const arma::uvec&);
template arma::fmat batch_targets<float>(const Dataset&, const arma::uvec&, std::size_t);
template arma::mat batch_targets<double>(const Dataset&, const arma::uvec&, std::size_t);

}  // namespace vclab
