// Mlp construction, initialisation and shape checks.
#include "model/mlp.hpp"

#include <random>
#include <stdexcept>
#include <string>

namespace vclab {

std::size_t MlpSpec::width(std::size_t l) const {
  if (l == 0) return input_dim;
  if (l <= hidden.size()) return hidden[l - 1];
  return output_dim;
}

template <class T> Mlp<T>::Mlp(const MlpSpec& s, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  *this = Mlp(s, rng);
}

template <class T> Mlp<T>::Mlp(const MlpSpec& s, std::mt19937_64& rng) : spec(s) {
  if (spec.input_dim == 0 || spec.output_dim == 0) throw std::invalid_argument("MLP input and output widths must be positive");
  for (auto h : spec.hidden)
    if (h == 0) throw std::invalid_argument("hidden widths must be positive");
  for (std::size_t l = 0; l < spec.n_weight_layers(); ++l) {
    arma::Mat<T> w(spec.width(l + 1), spec.width(l));
    arma::Col<T> b;
    initialize_layer<T>(spec.init, w, spec.bias ? &b : nullptr, rng);
    weights.push_back(std::move(w));
    if (spec.bias) biases.push_back(std::move(b));
  }
}

template struct Mlp<float>;
template struct Mlp<double>;

}  // namespace vclab
