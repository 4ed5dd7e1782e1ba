// Activation functions: exact-erf GELU, ReLU family, tanh, sigmoid, softplus, identity.
#include "model/activation.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <numbers>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "model/gelu_avx2.hpp"

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

// The same value, or both NaN (a NaN's payload may depend on operand order).
bool same_float(float a, float b) { return std::bit_cast<std::uint32_t>(a) == std::bit_cast<std::uint32_t>(b) || (a != a && b != b); }

// Inputs for the start-up check of the AVX2 GELU: ±0, the smallest floats, every range boundary of erff and expf,
// NaN, ±inf, and a grid over [−16, 16] in steps of 2⁻⁹.
std::vector<float> gelu_check_inputs() {
  std::vector<float> x = {0.0f, -0.0f, 1e-45f, -1e-45f, 1e-38f, 2e-9f, 3.7e-9f, 1.19f, 1.77f, 4.04f, 8.48f, 13.27f, 13.28f,
                          20.0f, -20.0f, 1e30f, -1e30f, INFINITY, -INFINITY, NAN};
  for (int i = -8192; i <= 8192; ++i) x.push_back(float(i) / 512.0f);
  return x;
}

// Whether GELU on float may take the AVX2 path: the CPU has it, VCLAB_SCALAR_GELU is not set (to time or debug the
// scalar path), and on this machine's C library it gave the scalar path's bits at every check input (checked once per
// process; a disagreement is said on stderr once).
bool gelu_avx2_agrees() {
  static const bool agrees = [] {
    if (!gelu_avx2_supported()) return false;
    if (const char* off = std::getenv("VCLAB_SCALAR_GELU"); off && *off && std::string(off) != "0") return false;
    const std::vector<float> x = gelu_check_inputs();
    const GeluMismatches m = gelu_avx2_mismatches(x.data(), x.size());
    if (m.count == 0) return true;
    std::cerr << "vclab: the AVX2 GELU differs from this C library's erff/expf at " << m.count << " of " << x.size()
              << " check inputs, the first x = " << x[m.first] << "; using the scalar GELU (same results, slower)\n";
    return false;
  }();
  return agrees;
}

// h = GELU(z) and, when s is not null, s = GELU'(z), on the AVX2 path; false when it is not available (or T is double).
template <class T> bool gelu_fast(const arma::Mat<T>& z, arma::Mat<T>& h, arma::Mat<T>* s) {
  if constexpr (!std::is_same_v<T, float>) {
    return false;
  } else {
    if (!gelu_avx2_agrees()) return false;
    h.set_size(z.n_rows, z.n_cols);
    if (s) s->set_size(z.n_rows, z.n_cols);
    gelu_avx2(z.memptr(), h.memptr(), s ? s->memptr() : nullptr, z.n_elem, float(kInvSqrt2), float(kInvSqrt2Pi));
    return true;
  }
}

template <class T, class F> void map(const arma::Mat<T>& in, arma::Mat<T>& out, F f) {
  out.set_size(in.n_rows, in.n_cols);
  const T* src = in.memptr();
  T* dst = out.memptr();
  for (arma::uword i = 0; i < in.n_elem; ++i) dst[i] = f(src[i]);
}

}  // namespace

float gelu_scalar(float x) { return gelu(x); }
float gelu_prime_scalar(float x) { return gelu_prime(x); }
bool gelu_uses_avx2() { return gelu_avx2_agrees(); }

GeluMismatches gelu_avx2_mismatches(const float* x, std::size_t n) {
  GeluMismatches m{0, n};
  constexpr std::size_t kBlock = 4096;  // values per AVX2 call, so the buffers stay in L1/L2
  std::vector<float> h(kBlock), s(kBlock);
  for (std::size_t begin = 0; begin < n; begin += kBlock) {
    const std::size_t k = std::min(kBlock, n - begin);
    gelu_avx2(x + begin, h.data(), s.data(), k, float(kInvSqrt2), float(kInvSqrt2Pi));
    for (std::size_t i = 0; i < k; ++i) {
      if (same_float(h[i], gelu(x[begin + i])) && same_float(s[i], gelu_prime(x[begin + i]))) continue;
      if (m.count++ == 0) m.first = begin + i;
    }
  }
  return m;
}

double lipschitz_constant(Activation activation) {
  switch (activation) {
    case Activation::gelu: return kGeluLipschitz;
    case Activation::sigmoid: return 0.25;
    default: return 1.0;
  }
}


template <class T> void activate(Activation activation, const arma::Mat<T>& z, arma::Mat<T>& h) {
  switch (activation) {
    case Activation::gelu:
      if (!gelu_fast<T>(z, h, nullptr)) map(z, h, gelu<T>);
      return;
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
  if (gelu_fast(z, h, &s)) return;
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
