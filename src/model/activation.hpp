// Activation functions σ, their derivatives σ' and Lipschitz constants (Theorem 3, docs/theorems.md).
#pragma once
#include <armadillo>
#include <string>
#include <vector>

#include "util/enum_names.hpp"

namespace vclab {

enum class Activation { gelu, relu, leaky_relu, tanh, sigmoid, softplus, identity };
inline constexpr EnumName<Activation> kActivationNames[] = {
    {"gelu", Activation::gelu},       {"relu", Activation::relu},         {"leaky-relu", Activation::leaky_relu},
    {"tanh", Activation::tanh},       {"sigmoid", Activation::sigmoid},   {"softplus", Activation::softplus},
    {"identity", Activation::identity}};
constexpr std::span<const EnumName<Activation>> enum_names(Activation) { return kActivationNames; }

constexpr double kLeakyReluSlope = 0.01;  // PyTorch's default negative slope
// max GELU'(x) = Φ(√2) + √2 φ(√2), attained at x = ±√2 (GELU'' = φ(x)(2 − x²) = 0).
constexpr double kGeluLipschitz = 1.1289041452;


double lipschitz_constant(Activation activation);  // sup |σ'|

// GELU on float matrices runs 8 values at a time with AVX2 (model/gelu_avx2.hpp) when the CPU has it and a start-up
// check found its bits equal to the scalar path's; gelu_uses_avx2() says whether it does. The scalar GELU and GELU'
// of one float, through the C library's erff and expf, are what it reproduces (tests compare the two).
bool gelu_uses_avx2();
float gelu_scalar(float x);
float gelu_prime_scalar(float x);

// The inputs among x[0..n) where the AVX2 GELU or GELU' differs from the scalar path's bits (a NaN matches any NaN):
// how many, and the index of the first (n when none). Needs gelu_avx2_supported(); ignores VCLAB_SCALAR_GELU. The
// start-up check and bench_gelu --exhaustive use it; tests/model/test_gelu_avx2.cpp compares on its own.
struct GeluMismatches {
  std::size_t count = 0;
  std::size_t first = 0;
};
GeluMismatches gelu_avx2_mismatches(const float* x, std::size_t n);

// h = σ(z), elementwise.
template <class T> void activate(Activation activation, const arma::Mat<T>& z, arma::Mat<T>& h);
// s = σ'(z), elementwise.
template <class T> void activate_derivative(Activation activation, const arma::Mat<T>& z, arma::Mat<T>& s);
// Both in one pass, bit for bit as the two calls above (GELU evaluates its erf once for h and s).
template <class T>
void activate_with_derivative(Activation activation, const arma::Mat<T>& z, arma::Mat<T>& h, arma::Mat<T>& s);

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
