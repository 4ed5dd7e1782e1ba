// The AVX2 GELU (src/model/gelu_avx2.cpp) against the scalar path it must reproduce bit for bit.
#include <doctest/doctest.h>

#include <gnu/libc-version.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "model/activation.hpp"
#include "model/gelu_avx2.hpp"

using namespace vclab;

namespace {

constexpr float kInvSqrt2 = float(0.70710678118654752440), kInvSqrt2Pi = float(0.39894228040143267794);
bool same_float(float a, float b) { return std::bit_cast<std::uint32_t>(a) == std::bit_cast<std::uint32_t>(b) || (a != a && b != b); }

struct Differences {
  std::size_t count = 0, checked = 0;
  // Over every 16th block (about a million inputs, to keep the test's time): inputs where σ or σ' differ, counted
  // here and by gelu_avx2_mismatches, which the start-up check relies on.
  std::size_t h_or_s = 0, h_or_s_by_library = 0;
  float first_x = 0;
};

// Every stride-th float bit pattern (NaNs, infinities and subnormals included), in blocks of a length that is not a
// multiple of 8, so that the padded tail is exercised too.
Differences compare_strided(std::uint64_t stride) {
  Differences d;
  std::vector<float> x(1001), h(1001), s(1001), h_only(1001);
  for (std::uint64_t u = 0, block = 0; u < (std::uint64_t(1) << 32); ++block) {
    std::size_t k = 0;
    for (; k < x.size() && u < (std::uint64_t(1) << 32); ++k, u += stride) x[k] = std::bit_cast<float>(std::uint32_t(u));
    gelu_avx2(x.data(), h.data(), s.data(), k, kInvSqrt2, kInvSqrt2Pi);
    gelu_avx2(x.data(), h_only.data(), nullptr, k, kInvSqrt2, kInvSqrt2Pi);
    const bool sampled = block % 16 == 0;
    for (std::size_t i = 0; i < k; ++i, ++d.checked) {
      const bool h_or_s = !same_float(h[i], gelu_scalar(x[i])) || !same_float(s[i], gelu_prime_scalar(x[i]));
      if (sampled) d.h_or_s += h_or_s;
      if (h_or_s || !same_float(h_only[i], h[i]))
        if (d.count++ == 0) d.first_x = x[i];
    }
    if (sampled) d.h_or_s_by_library += gelu_avx2_mismatches(x.data(), k).count;
  }
  return d;
}

}  // namespace

TEST_CASE("the AVX2 GELU gives the scalar GELU's and GELU''s bits over 16.8 million float inputs") {
  if (!gelu_avx2_supported()) {
    MESSAGE("skipped: this CPU has no AVX2 + FMA, so GELU runs the scalar path only");
    return;
  }
  // The kernel reproduces glibc 2.36's erff and expf (Debian 12). Elsewhere the start-up check may turn it off, which
  // keeps runs exact (scalar) but slower: a failure on 2.36, a warning on another C library.
  const bool reproduces_this_libc = std::string(gnu_get_libc_version()) == "2.36";
  if (reproduces_this_libc)
    CHECK_MESSAGE(gelu_uses_avx2(), "the start-up check turned the AVX2 GELU off on glibc 2.36 (see stderr)");
  else if (!gelu_uses_avx2())
    WARN_MESSAGE(false, "the start-up check turned the AVX2 GELU off: glibc " << gnu_get_libc_version() << "'s erff/expf differ from 2.36's");
  // 256 + 1: every exponent, every sign and varied low mantissa bits.
  const Differences d = compare_strided(257);
  CAPTURE(d.first_x);
  CHECK(d.checked > 16'000'000);
  if (reproduces_this_libc || gelu_uses_avx2()) CHECK_MESSAGE(d.count == 0, d.count << " of " << d.checked << " inputs differ; first at x = " << d.first_x);
  CHECK(d.h_or_s_by_library == d.h_or_s);
}

TEST_CASE("activate and activate_with_derivative on float matrices take the AVX2 GELU and keep the scalar bits") {
  // 7 × 3 = 21 values: two blocks of 8 and a tail of 5; the values cover every range of erf and exp.
  const arma::fmat z = {{-20.0f, -6.5f, -3.0f}, {-1.1f, -0.5f, -1e-9f}, {0.0f, -0.0f, 1e-9f},
                        {0.3f, 0.9f, 1.2f},     {1.5f, 2.9f, 5.9f},    {6.0f, 13.5f, 88.0f},
                        {INFINITY, -INFINITY, NAN}};
  arma::fmat h, s;
  activate_with_derivative(Activation::gelu, z, h, s);
  const arma::fmat h_alone = activate(Activation::gelu, z);
  std::size_t differing = 0;
  for (arma::uword i = 0; i < z.n_elem; ++i)
    differing += !same_float(h[i], gelu_scalar(z[i])) || !same_float(s[i], gelu_prime_scalar(z[i])) ||
                 !same_float(h_alone[i], h[i]);
  CHECK_MESSAGE(differing == 0, differing << " of " << z.n_elem << " values differ from the scalar GELU");
}
