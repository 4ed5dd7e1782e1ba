// Activation functions: exact-erf GELU, ReLU family, tanh, sigmoid, softplus, identity.
#include "model/activation.hpp"

#include <cmath>
#include <numbers>
#include <stdexcept>

namespace vclab {
namespace {

constexpr double kInvSqrt2 = 0.70710678118654752440;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;

// GELU and its slope from e = erf(x/√2), so that a pass wanting both evaluates erf once (the same expressions,
// so the same bits, as evaluating each alone).
template <class T> T erf_of(T x) { return std::erf(x * T(kInvSqrt2)); }
template <class T> T gelu_given_erf(T x, T e) { return T(0.5) * x * (T(1) + e); }  // x Φ(x)
template <class T> T gelu_prime_given_erf(T x, T e) {                            // Φ(x) + x φ(x)
  return T(0.5) * (T(1) + e) + x * T(kInvSqrt2Pi) * std::exp(T(-0.5) * x * x);
}
template <class T> T gelu(T x) { return gelu_given_erf(x, erf_of(x)); }
template <class T> T gelu_prime(T x) { return gelu_prime_given_erf(x, erf_of(x)); }
template <class T> T sigmoid(T x) {
  return x >= 0 ? T(1) / (T(1) + std::exp(-x)) : std::exp(x) / (T(1) + std::exp(x));
}
template <class T> T softplus(T x) {  // log(1 + e^x), stable for large |x|
  return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
}

template <class T, class F> void map(const arma::Mat<T>& in, arma::Mat<T>& out, F f) {
  out.set_size(in.n_rows, in.n_cols);
  const T* src = in.memptr();
  T* dst = out.memptr();
  for (arma::uword i = 0; i < in.n_elem; ++i) dst[i] = f(src[i]);
}

}  // namespace

double lipschitz_constant(Activation activation) {
  switch (activation) {
    case Activation::gelu: return kGeluLipschitz;
    case Activation::sigmoid: return 0.25;
    default: return 1.0;
  }
}


template <class T> void activate(Activation activation, const arma::Mat<T>& z, arma::Mat<T>& h) {
  switch (activation) {
    case Activation::gelu: map(z, h, gelu<T>); return;
    case Activation::relu: map(z, h, [](T x) { return x > 0 ? x : T(0); }); return;
    case Activation::leaky_relu: map(z, h, [](T x) { return x > 0 ? x : T(kLeakyReluSlope) * x; }); return;
    case Activation::tanh: map(z, h, [](T x) { return std::tanh(x); }); return;
    case Activation::sigmoid: map(z, h, sigmoid<T>); return;
    case Activation::softplus: map(z, h, softplus<T>); return;
    case Activation::identity: h = z; return;
  }
}

template <class T> void activate_derivative(Activation activation, const arma::Mat<T>& z, arma::Mat<T>& s) {
  switch (activation) {
    case Activation::gelu: map(z, s, gelu_prime<T>); return;
    case Activation::relu: map(z, s, [](T x) { return x > 0 ? T(1) : T(0); }); return;
    case Activation::leaky_relu: map(z, s, [](T x) { return x > 0 ? T(1) : T(kLeakyReluSlope); }); return;
    case Activation::tanh: map(z, s, [](T x) { const T t = std::tanh(x); return T(1) - t * t; }); return;
    case Activation::sigmoid: map(z, s, [](T x) { const T p = sigmoid(x); return p * (T(1) - p); }); return;
    case Activation::softplus: map(z, s, sigmoid<T>); return;
    case Activation::identity: s.ones(z.n_rows, z.n_cols); return;
  }
}

template <class T>
void activate_with_derivative(Activation activation, const arma::Mat<T>& z, arma::Mat<T>& h, arma::Mat<T>& s) {
  if (activation != Activation::gelu) {
    activate(activation, z, h);
    activate_derivative(activation, z, s);
    return;
  }
  h.set_size(z.n_rows, z.n_cols);
  s.set_size(z.n_rows, z.n_cols);
  const T* x = z.memptr();
  for (arma::uword i = 0; i < z.n_elem; ++i) {
    const T e = erf_of(x[i]);
    h[i] = gelu_given_erf(x[i], e);
    s[i] = gelu_prime_given_erf(x[i], e);
  }
}

template void activate<float>(Activation, const arma::fmat&, arma::fmat&);
template void activate<double>(Activation, const arma::mat&, arma::mat&);
template void activate_derivative<float>(Activation, const arma::fmat&, arma::fmat&);
template void activate_derivative<double>(Activation, const arma::mat&, arma::mat&);
template void activate_with_derivative<float>(Activation, const arma::fmat&, arma::fmat&, arma::fmat&);
template void activate_with_derivative<double>(Activation, const arma::mat&, arma::mat&, arma::mat&);

}  // namespace vclab
