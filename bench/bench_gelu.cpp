// GELU and GELU' on float matrices of the shapes a CIFAR-10 MLP step (256 × 64) and an evaluation batch (256 × 1000)
// use, on the AVX2 path; run it again with VCLAB_SCALAR_GELU=1 for the scalar path (C library erff + expf per value).
// With --exhaustive, every one of the 2³² float inputs is compared bit for bit (about a minute on 2 threads).
// Usage: [VCLAB_SCALAR_GELU=1] bench_gelu [reps 21] [--exhaustive]
#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <armadillo>

#include "model/activation.hpp"
#include "model/gelu_avx2.hpp"  // gelu_avx2_supported

namespace {

using Clock = std::chrono::steady_clock;

double median(std::vector<double> x) {
  std::sort(x.begin(), x.end());
  return x[x.size() / 2];
}

template <class F> double median_seconds(std::size_t reps, F f) {
  std::vector<double> t;
  for (std::size_t r = 0; r < reps; ++r) {
    const auto t0 = Clock::now();
    f();
    t.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return median(t);
}

void time_shape(arma::uword rows, arma::uword cols, std::size_t reps) {
  arma::arma_rng::set_seed(5);
  const arma::fmat z = arma::randn<arma::fmat>(rows, cols) * 1.5f;  // pre-activations of the scale a trained MLP sees
  arma::fmat h(rows, cols), s(rows, cols);
  const double both = median_seconds(reps, [&] { vclab::activate_with_derivative(vclab::Activation::gelu, z, h, s); });
  const double alone = median_seconds(reps, [&] { vclab::activate(vclab::Activation::gelu, z, h); });
  std::printf("%4llu x %-5llu  activate_with_derivative %8.1f us  activate %8.1f us  (%.2f ns a value; AVX2 path: %s)\n",
              (unsigned long long)rows, (unsigned long long)cols, both * 1e6, alone * 1e6, both * 1e9 / double(z.n_elem),
              vclab::gelu_uses_avx2() ? "on" : "off");
}

void exhaustive() {
  std::atomic<std::uint64_t> differing{0};
  auto range = [&](std::uint64_t lo, std::uint64_t hi) {
    std::vector<float> x(1 << 16);
    std::uint64_t bad = 0;
    for (std::uint64_t u = lo; u < hi;) {
      std::size_t k = 0;
      for (; k < x.size() && u < hi; ++k, ++u) x[k] = std::bit_cast<float>(std::uint32_t(u));
      bad += vclab::gelu_avx2_mismatches(x.data(), k).count;
    }
    differing += bad;
  };
  const std::uint64_t all = std::uint64_t(1) << 32;
  const auto t0 = Clock::now();
  std::thread other(range, 0, all / 2);
  range(all / 2, all);
  other.join();
  std::printf("exhaustive: %llu of %llu float inputs differ (GELU or GELU'), %.1f s\n", (unsigned long long)differing.load(),
              (unsigned long long)all, std::chrono::duration<double>(Clock::now() - t0).count());
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t reps = 21;
  bool all = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--exhaustive") == 0) all = true;
    else reps = std::stoul(argv[i]);
  }
  if (!vclab::gelu_avx2_supported()) std::printf("this CPU has no AVX2 + FMA: both columns are the scalar path\n");
  time_shape(256, 64, reps);
  time_shape(256, 1000, reps);
  if (all && vclab::gelu_avx2_supported()) exhaustive();
  return 0;
}
