// Full-mode V at the Figure 1 shape: the arithmetic floor of issue 20's goal "full V ≤ 3× a bare step".
// Times one step's update V += G Pᵀ + P Gᵀ (rank 2B, upper triangle) as vclab does it (double syr2k after converting
// the float (d, B) blocks) against a float ssyr2k into a float partial sum that is added into the double V every
// `flush` steps (the flush's d² pass amortised), interleaved; mean times, and how far the float-product V drifts
// from the double one. Usage: bench_vc_precision [d 3072] [batch 64] [steps 64] [flush 16]
#include <cblas.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <armadillo>

#include "model/vc_shift.hpp"

namespace {

double seconds_of(auto&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double mean(const std::vector<double>& x) { return arma::mean(arma::vec(x)); }

}  // namespace

int main(int argc, char** argv) {
  const int d = argc > 1 ? std::stoi(argv[1]) : 3072, b = argc > 2 ? std::stoi(argv[2]) : 64;
  const int steps = argc > 3 ? std::stoi(argv[3]) : 64, flush = argc > 4 ? std::stoi(argv[4]) : 16;
  const double lr = 0.05;
  arma::arma_rng::set_seed(1);
  arma::mat v_double(d, d, arma::fill::zeros), v_float_products(d, d, arma::fill::zeros);
  arma::fmat partial(d, d, arma::fill::zeros);
  std::vector<double> t_double, t_float;
  for (int s = 0; s < steps; ++s) {
    const arma::fmat h = arma::randu<arma::fmat>(d, b), g = arma::randn<arma::fmat>(d, b) * 1e-3f;
    t_double.push_back(seconds_of([&] { vclab::add_vc_shift(h, g, lr, vclab::VcStorage::upper, v_double); }));
    t_float.push_back(seconds_of([&] {
      const arma::fmat p = vclab::vc_shift_factor(h, g, lr);  // P = −γH + (γ²/2)G in float
      cblas_ssyr2k(CblasColMajor, CblasUpper, CblasNoTrans, d, b, 1.0f, g.memptr(), d, p.memptr(), d, 1.0f,
                   partial.memptr(), d);
      if ((s + 1) % flush == 0 || s + 1 == steps) {  // the partial sum of the last `flush` steps, into double
        v_float_products += arma::conv_to<arma::mat>::from(partial);
        partial.zeros();
      }
    }));
  }
  const arma::mat upper_double = arma::trimatu(v_double), upper_float = arma::trimatu(v_float_products);
  const double rel = arma::abs(upper_float - upper_double).max() / arma::abs(upper_double).max();
  const double flop = 2.0 * double(d) * double(d) * double(b);  // syr2k, upper triangle: d²/2 entries × 2B FMAs
  std::printf("d %d batch %d steps %d flush %d\n", d, b, steps, flush);
  std::printf("double syr2k (vclab today): mean %.3f ms a step (%.1f GFLOP/s)\n", mean(t_double) * 1e3,
              flop / mean(t_double) * 1e-9);
  std::printf("float ssyr2k, flushed into double: mean %.3f ms a step (%.1f GFLOP/s)\n", mean(t_float) * 1e3,
              flop / mean(t_float) * 1e-9);
  std::printf("float-product V vs double V after %d steps: max relative difference %.2e\n", steps, rel);
  return 0;
}
