// GELU over float arrays, 8 values at a time with AVX2 + FMA, giving the bits of the scalar path in activation.cpp.
// The scalar path calls glibc's erff and expf; this file evaluates the same float and double operations in the same
// order (docs/numerics.md, "The vectorized GELU"). activation.cpp uses it only after a self-check against the scalar
// path on this machine agreed, and tests/model/test_gelu_avx2.cpp compares the two over 16.8 million inputs.
#pragma once
#include <cstddef>

namespace vclab {

// Whether this CPU has AVX2 and FMA (the features glibc's expf ifunc also asks for).
bool gelu_avx2_supported();

// h[i] = x Φ(x) and, when s is not null, s[i] = Φ(x) + x φ(x), for x = z[i], i < n, with Φ(x) = (1 + erf(x/√2))/2.
// inv_sqrt2 and inv_sqrt2pi are the float constants of the scalar path. Call only where gelu_avx2_supported().
void gelu_avx2(const float* z, float* h, float* s, std::size_t n, float inv_sqrt2, float inv_sqrt2pi);

}  // namespace vclab
