// GELU with AVX2 + FMA, bit for bit the scalar path (see gelu_avx2.hpp). Compiled with -mavx2 -mfma
// -ffp-contract=off (CMakeLists.txt): every float operation below is the single IEEE operation it names, and the only
// fused multiply-adds are the explicit ones that glibc's FMA expf also uses. Nothing here is inline in a header, so
// no AVX2 code reaches the rest of the program. Lanes outside the common ranges (erf: |x| < 2⁻²⁸, inf, NaN; exp:
// |x| ≥ 88) are recomputed with the scalar erff / expf, so they are exact by construction.
#include "model/gelu_avx2.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#include <math.h>

#include <cstdint>

namespace vclab {
namespace {

// ---- expf: glibc's algorithm (exp(x) = 2^(k/32) · 2^(r/32), a cubic in r), evaluated in double, 4 lanes at once.
constexpr double kInvLn2N = 0x1.71547652b82fep+5;  // 32 / ln 2
constexpr double kShift = 0x1.8p+52;               // rounds to an integer in the low bits of the double
constexpr double kC0 = 0x1.c6af84b912394p-20, kC1 = 0x1.ebfce50fac4f3p-13, kC2 = 0x1.62e42ff0c52d6p-6;

// Entry i holds the bits of 2^(i/32) less i << 47, so that adding k << 47 puts k/32's integer part in the exponent.
struct Exp2Table {
  alignas(32) long long bits[32];
  Exp2Table() {
    for (int i = 0; i < 32; ++i) {
      const double v = double(exp2l((long double)i / 32.0L));  // 2^(i/32), rounded once from 64 bits
      std::uint64_t u;
      __builtin_memcpy(&u, &v, sizeof u);
      bits[i] = (long long)(u - (std::uint64_t(i) << 47));
    }
  }
};
const Exp2Table kExp2Table;

__m128 exp4(__m128 x) {
  const __m256d xd = _mm256_cvtps_pd(x), inv_ln2n = _mm256_set1_pd(kInvLn2N), shift = _mm256_set1_pd(kShift);
  const __m256d shifted = _mm256_fmadd_pd(inv_ln2n, xd, shift);          // k + 2^52·1.5, k = round(x·32/ln 2)
  const __m256i k = _mm256_castpd_si256(shifted);
  const __m256d r = _mm256_fmsub_pd(inv_ln2n, xd, _mm256_sub_pd(shifted, shift));  // x·32/ln 2 − k
  const __m256i entry = _mm256_i64gather_epi64(kExp2Table.bits, _mm256_and_si256(k, _mm256_set1_epi64x(31)), 8);
  const __m256d scale = _mm256_castsi256_pd(_mm256_add_epi64(entry, _mm256_slli_epi64(k, 47)));  // 2^(k/32)
  const __m256d p = _mm256_fmadd_pd(r, _mm256_set1_pd(kC0), _mm256_set1_pd(kC1));
  const __m256d q = _mm256_fmadd_pd(r, _mm256_set1_pd(kC2), _mm256_set1_pd(1.0));
  const __m256d y = _mm256_fmadd_pd(p, _mm256_mul_pd(r, r), q);
  return _mm256_cvtpd_ps(_mm256_mul_pd(y, scale));
}

// Lanes whose mask bit is set are recomputed with the scalar function f.
template <float (*f)(float)> __m256 patch_lanes(__m256 result, __m256 x, int mask) {
  alignas(32) float in[8], out[8];
  _mm256_store_ps(in, x);
  _mm256_store_ps(out, result);
  for (int lane = 0; lane < 8; ++lane)
    if (mask & (1 << lane)) out[lane] = f(in[lane]);
  return _mm256_load_ps(out);
}

__m256i bits_of(__m256 x) { return _mm256_castps_si256(x); }
__m256 lanes_where(__m256i condition) { return _mm256_castsi256_ps(condition); }
__m256i below(__m256i ix, std::int32_t bound) { return _mm256_cmpgt_epi32(_mm256_set1_epi32(bound), ix); }

float scalar_exp(float x) { return expf(x); }
float scalar_erf(float x) { return erff(x); }

__m256 exp8(__m256 x) {
  const __m256 y = _mm256_set_m128(exp4(_mm256_extractf128_ps(x, 1)), exp4(_mm256_castps256_ps128(x)));
  // glibc's special cases start where the top 12 bits of |x| reach those of 88.0f (0x42b): overflow, underflow,
  // inf and NaN.
  const __m256i top = _mm256_and_si256(_mm256_srli_epi32(bits_of(x), 20), _mm256_set1_epi32(0x7ff));
  const int special = _mm256_movemask_ps(lanes_where(_mm256_cmpgt_epi32(top, _mm256_set1_epi32(0x42a))));
  return special ? patch_lanes<scalar_exp>(y, x, special) : y;
}

// ---- erff: fdlibm's float erf as glibc 2.36 builds it (no FMA), its ranges blended per lane.
__m256 add(__m256 a, __m256 b) { return _mm256_add_ps(a, b); }
__m256 mul(__m256 a, __m256 b) { return _mm256_mul_ps(a, b); }
__m256 splat(std::uint32_t bits) { return _mm256_castsi256_ps(_mm256_set1_epi32(std::int32_t(bits))); }

// c[0] + t·(c[1] + t·(… + t·c[n−1])), the coefficients given by their float bits.
template <std::size_t N> __m256 horner(__m256 t, const std::uint32_t (&c)[N]) {
  __m256 acc = mul(t, splat(c[N - 1]));
  for (std::size_t i = N - 1; i-- > 1;) acc = mul(t, add(splat(c[i]), acc));
  return add(splat(c[0]), acc);
}
// 1 + t·(c[0] + t·(… + t·c[n−1])): fdlibm's denominators.
template <std::size_t N> __m256 one_plus_horner(__m256 t, const std::uint32_t (&c)[N]) {
  __m256 acc = mul(t, splat(c[N - 1]));
  for (std::size_t i = N - 1; i-- > 0;) acc = mul(t, add(splat(c[i]), acc));
  return add(_mm256_set1_ps(1.0f), acc);
}

// fdlibm s_erff.c's coefficients (pp, qq: |x| < 0.84375; pa, qa: < 1.25; ra, sa: < 1/0.35; rb, sb: < 6).
constexpr std::uint32_t kPp[] = {0x3e0375d4, 0xbea66beb, 0xbce9528f, 0xbbbd1489, 0xb7c756b1};
constexpr std::uint32_t kQq[] = {0x3ecbbbce, 0x3d852a63, 0x3ba68116, 0x390aee49, 0xb684e21a};
constexpr std::uint32_t kPa[] = {0xbb1acdc6, 0x3ed46805, 0xbebe9208, 0x3ea2fe54, 0xbde31cc2, 0x3d1151b3, 0xbb0df9c0};
constexpr std::uint32_t kQa[] = {0x3dd9f331, 0x3f0a5785, 0x3d931ae7, 0x3e013307, 0x3c5f6e13, 0x3c445aa3};
constexpr std::uint32_t kRa[] = {0xbc21a093, 0xbf31a0b7, 0xc128f022, 0xc2798057, 0xc322658c, 0xc3389ae7, 0xc2a2932b, 0xc11d077e};
constexpr std::uint32_t kSa[] = {0x419d35ce, 0x4309a863, 0x43d9486f, 0x442158c9, 0x43d6810b, 0x42d9451f, 0x40d23f7c, 0xbd777f97};
constexpr std::uint32_t kRb[] = {0xbc21a092, 0xbf4c9dd4, 0xc18e104b, 0xc320a2ea, 0xc41f6441, 0xc480230b, 0xc3f1c275};
constexpr std::uint32_t kSb[] = {0x41f2b459, 0x43a2e571, 0x44c01759, 0x4547fdbb, 0x451f90ce, 0x43ed43a7, 0xc1b38712};
constexpr std::uint32_t kErx = 0x3f58560b, kTiny = 0x0da24260;  // erf(1) rounded to float's 24 bits, 1e-30

// erf for 0.84375 ≤ |x| < 1.25: ±(erx + P(|x|−1)/Q(|x|−1)).
__m256 erf_near_one(__m256 ax, __m256 negative) {
  const __m256 t = _mm256_sub_ps(ax, _mm256_set1_ps(1.0f));
  const __m256 ratio = _mm256_div_ps(horner(t, kPa), one_plus_horner(t, kQa));
  return _mm256_blendv_ps(add(ratio, splat(kErx)), _mm256_sub_ps(splat(kErx | 0x80000000u), ratio), negative);
}

// erf for 1.25 ≤ |x| < 6: ±(1 − exp(−z² − 0.5625) exp((z − |x|)(z + |x|) + R/S) / |x|), z = |x| with its low 12
// bits cleared; R/S from the (ra, sa) pair below 1/0.35 and the (rb, sb) pair above. (fdlibm squares x, not |x|: the
// same bits.)
__m256 erf_tail(__m256 ax, __m256 negative) {
  const __m256 t = _mm256_div_ps(_mm256_set1_ps(1.0f), mul(ax, ax));
  const __m256 near = lanes_where(below(bits_of(ax), 0x4036db6e));
  const int m_near = _mm256_movemask_ps(near);
  __m256 ratio = _mm256_setzero_ps();
  if (m_near != 0) ratio = _mm256_div_ps(horner(t, kRa), one_plus_horner(t, kSa));
  if (m_near != 0xff) ratio = _mm256_blendv_ps(_mm256_div_ps(horner(t, kRb), one_plus_horner(t, kSb)), ratio, near);
  const __m256 z = _mm256_castsi256_ps(_mm256_and_si256(bits_of(ax), _mm256_set1_epi32(std::int32_t(0xfffff000))));
  const __m256 neg_z = _mm256_xor_ps(z, splat(0x80000000u));
  const __m256 e1 = exp8(_mm256_sub_ps(mul(neg_z, z), _mm256_set1_ps(0.5625f)));
  const __m256 e2 = exp8(add(mul(_mm256_sub_ps(z, ax), add(z, ax)), ratio));
  const __m256 r_over_x = _mm256_div_ps(mul(e2, e1), ax);
  const __m256 one = _mm256_set1_ps(1.0f);
  return _mm256_blendv_ps(_mm256_sub_ps(one, r_over_x), _mm256_sub_ps(r_over_x, one), negative);
}

__m256 erf8(__m256 x) {
  const __m256i ix = _mm256_and_si256(bits_of(x), _mm256_set1_epi32(0x7fffffff));
  const __m256 ax = _mm256_castsi256_ps(ix), negative = x;  // blendv reads the sign bit
  const __m256 small = lanes_where(below(ix, 0x3f580000)), mid = lanes_where(below(ix, 0x3fa00000));
  const __m256 tail = lanes_where(below(ix, 0x40c00000));
  const int m_small = _mm256_movemask_ps(small), m_mid = _mm256_movemask_ps(mid), m_tail = _mm256_movemask_ps(tail);
  // |x| ≥ 6: ±(1 − 1e-30), which rounds to ±1.
  __m256 y = _mm256_blendv_ps(_mm256_sub_ps(_mm256_set1_ps(1.0f), splat(kTiny)),
                              _mm256_sub_ps(splat(kTiny), _mm256_set1_ps(1.0f)), negative);
  if (m_tail & ~m_mid) {  // other lanes take x = 2 here, so that no 1/x² or exp among them leaves the fast path
    const __m256 only = _mm256_andnot_ps(mid, tail);
    y = _mm256_blendv_ps(y, erf_tail(_mm256_blendv_ps(_mm256_set1_ps(2.0f), ax, only), negative), only);
  }
  if (m_mid & ~m_small) y = _mm256_blendv_ps(y, erf_near_one(ax, negative), mid);
  if (m_small) {  // |x| < 0.84375: x + x·P(x²)/Q(x²)
    const __m256 t = mul(x, x);
    const __m256 q = _mm256_div_ps(horner(t, kPp), one_plus_horner(t, kQq));
    y = _mm256_blendv_ps(y, add(mul(q, x), x), small);
  }
  const int special = _mm256_movemask_ps(lanes_where(_mm256_or_si256(below(ix, 0x31800000),
                                                                     _mm256_cmpgt_epi32(ix, _mm256_set1_epi32(0x7f7fffff)))));
  return special ? patch_lanes<scalar_erf>(y, x, special) : y;
}

// The scalar path's expressions: e = erf(x·(1/√2)); h = (0.5·x)·(1 + e); s = 0.5·(1 + e) + (x·(1/√2π))·exp((−0.5·x)·x).
void gelu8(const float* z, float* h, float* s, float inv_sqrt2, float inv_sqrt2pi) {
  const __m256 x = _mm256_loadu_ps(z), half = _mm256_set1_ps(0.5f);
  const __m256 one_plus_e = add(_mm256_set1_ps(1.0f), erf8(mul(x, _mm256_set1_ps(inv_sqrt2))));
  _mm256_storeu_ps(h, mul(mul(half, x), one_plus_e));
  if (s == nullptr) return;
  const __m256 phi_part = mul(mul(x, _mm256_set1_ps(inv_sqrt2pi)), exp8(mul(mul(_mm256_set1_ps(-0.5f), x), x)));
  _mm256_storeu_ps(s, add(mul(half, one_plus_e), phi_part));
}

}  // namespace

bool gelu_avx2_supported() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }

void gelu_avx2(const float* z, float* h, float* s, std::size_t n, float inv_sqrt2, float inv_sqrt2pi) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) gelu8(z + i, h + i, s ? s + i : nullptr, inv_sqrt2, inv_sqrt2pi);
  if (i == n) return;
  float zt[8] = {}, ht[8], st[8];  // the last n mod 8 values, padded with zeros
  for (std::size_t j = i; j < n; ++j) zt[j - i] = z[j];
  gelu8(zt, ht, s ? st : nullptr, inv_sqrt2, inv_sqrt2pi);
  for (std::size_t j = i; j < n; ++j) {
    h[j] = ht[j - i];
    if (s) s[j] = st[j - i];
  }
}

}  // namespace vclab

#else  // not x86-64: never supported, never called

namespace vclab {
bool gelu_avx2_supported() { return false; }
void gelu_avx2(const float*, float*, float*, std::size_t, float, float) {}
}  // namespace vclab

#endif
