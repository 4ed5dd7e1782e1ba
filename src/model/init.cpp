// Weight initialisations drawn from a caller-owned std::mt19937_64 so that runs are reproducible.
#include "model/init.hpp"

#include <cmath>
#include <stdexcept>

namespace vclab {

template <class T>
void initialize_layer(Init init, arma::Mat<T>& w, arma::Col<T>* b, std::mt19937_64& rng,
                      std::size_t receptive_field) {
  const double fan_out = static_cast<double>(w.n_rows * receptive_field), fan_in = w.n_cols;
  auto fill_uniform = [&](T* data, arma::uword n, double bound) {
    std::uniform_real_distribution<double> u(-bound, bound);
    for (arma::uword i = 0; i < n; ++i) data[i] = T(u(rng));
  };
  switch (init) {
    case Init::normal: {
      std::normal_distribution<double> n(0.0, 1.0 / std::sqrt(fan_in));
      for (arma::uword i = 0; i < w.n_elem; ++i) w(i) = T(n(rng));
      if (b) b->zeros(w.n_rows);
      break;
    }
    case Init::pytorch:
      fill_uniform(w.memptr(), w.n_elem, 1.0 / std::sqrt(fan_in));
      if (b) {
        b->set_size(w.n_rows);
        fill_uniform(b->memptr(), b->n_elem, 1.0 / std::sqrt(fan_in));
      }
      break;
    case Init::xavier:
      fill_uniform(w.memptr(), w.n_elem, std::sqrt(6.0 / (fan_in + fan_out)));
      if (b) b->zeros(w.n_rows);
      break;
  }
}

template void initialize_layer<float>(Init, arma::fmat&, arma::fvec*, std::mt19937_64&, std::size_t);
template void initialize_layer<double>(Init, arma::mat&, arma::vec*, std::mt19937_64&, std::size_t);

}  // namespace vclab
