// Activation functions σ, their derivatives σ' and Lipschitz constants (Theorem 3, docs/theorems.md).
#pragma once
#include <armadillo>
#include <string>
#include <vector>

namespace vclab {

enum class Activation { gelu, relu, leaky_relu, tanh, sigmoid, softplus, identity };

constexpr double kLeakyReluSlope = 0.01;  // PyTorch's default negative slope
// max GELU'(x) = Φ(√2) + √2 φ(√2), attained at x = ±√2 (GELU'' = φ(x)(2 − x²) = 0).
constexpr double kGeluLipschitz = 1.1289041452;

Activation parse_activation(const std::string& name);  // throws std::invalid_argument listing valid names
std::string to_string(Activation activation);
std::vector<std::string> activation_names();

double lipschitz_constant(Activation activation);  // sup |σ'|
bool is_increasing(Activation activation);         // σ monotone non-decreasing (GELU is not)

// h = σ(z), elementwise.
template <class T> void activate(Activation activation, const arma::Mat<T>& z, arma::Mat<T>& h);
// s = σ'(z), elementwise.
template <class T> void activate_derivative(Activation activation, const arma::Mat<T>& z, arma::Mat<T>& s);

template <class T> arma::Mat<T> activate(Activation activation, const arma::Mat<T>& z) {
  arma::Mat<T> h;
  activate(activation, z, h);
  return h;
}
template <class T> arma::Mat<T> activate_derivative(Activation activation, const arma::Mat<T>& z) {
  arma::Mat<T> s;
  activate_derivative(activation, z, s);
  return s;
}

}  // namespace vclab
