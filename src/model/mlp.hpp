// Multi-layer perceptron: h_0 = x, z_{l+1} = W_l h_l (+ b_l), h_{l+1} = σ(z_{l+1}), logits f = W_L h_L (docs/recorded_quantities.md).
#pragma once
#include <armadillo>
#include <cstdint>
#include <random>
#include <vector>

#include "model/activation.hpp"
#include "model/init.hpp"

namespace vclab {

struct MlpSpec {
  std::size_t input_dim = 0;          // d_0
  std::vector<std::size_t> hidden;    // d_1 .. d_L
  std::size_t output_dim = 0;         // C
  Activation activation = Activation::gelu;
  bool bias = false;
  Init init = Init::pytorch;

  std::size_t n_weight_layers() const { return hidden.size() + 1; }  // W_0 .. W_L
  std::size_t width(std::size_t l) const;                             // d_l for l = 0..L+1 (d_{L+1} = C)
};

template <class T> struct Mlp {
  MlpSpec spec;
  std::vector<arma::Mat<T>> weights;  // W_l: (d_{l+1}, d_l), l = 0..L
  std::vector<arma::Col<T>> biases;   // b_l: (d_{l+1}); empty when spec.bias is false

  Mlp() = default;
  Mlp(const MlpSpec& spec, std::uint64_t seed);  // random init, layer by layer from one seeded stream
  Mlp(const MlpSpec& spec, std::mt19937_64& rng);  // the same, drawing from a caller's stream (a Network's head)

  std::size_t n_layers() const { return weights.size(); }
  bool has_bias() const { return !biases.empty(); }
};

// Convert precision (e.g. a float model to double for a reference computation).
template <class To, class From> Mlp<To> convert_mlp(const Mlp<From>& model) {
  Mlp<To> out;
  out.spec = model.spec;
  for (const auto& w : model.weights) out.weights.push_back(arma::conv_to<arma::Mat<To>>::from(w));
  for (const auto& b : model.biases) out.biases.push_back(arma::conv_to<arma::Col<To>>::from(b));
  return out;
}

}  // namespace vclab
