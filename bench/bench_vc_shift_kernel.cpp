// Full-mode virtual covariance kernel, before/after: syr2k + syrk (commit 9f7e4d1) versus the single rank-2k
// update V += G Pᵀ + P Gᵀ, P = −γH + (γ²/2)G (model/vc_shift.cpp), interleaved, plus their agreement.
// Usage: bench_vc_shift_kernel [d 3072] [batch 64] [reps 7]
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <armadillo>

#include "app/train_run.hpp"
#include "record/vc_shift_accumulator.hpp"

namespace {

// The previous kernel, verbatim: V ← V − γ (G Hᵀ + H Gᵀ) + γ² G Gᵀ as syr2k then syrk (upper triangle).
void two_call_kernel(const arma::fmat& h, const arma::fmat& g, double lr, arma::mat& v) {
  const arma::mat hd = arma::conv_to<arma::mat>::from(h), gd = arma::conv_to<arma::mat>::from(g);
  const int d = int(hd.n_rows), b = int(hd.n_cols);
  cblas_dsyr2k(CblasColMajor, CblasUpper, CblasNoTrans, d, b, -lr, gd.memptr(), d, hd.memptr(), d, 1.0, v.memptr(), d);
  cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, d, b, lr * lr, gd.memptr(), d, 1.0, v.memptr(), d);
}

double median(std::vector<double> x) {
  std::sort(x.begin(), x.end());
  return x[x.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t d = argc > 1 ? std::stoul(argv[1]) : 3072, b = argc > 2 ? std::stoul(argv[2]) : 64,
                    reps = argc > 3 ? std::stoul(argv[3]) : 7;
  vclab::set_blas_threads(2);
  arma::arma_rng::set_seed(1);
  const arma::fmat h = arma::randu<arma::fmat>(d, b), g = arma::randn<arma::fmat>(d, b) * 1e-3f;
  const double lr = 0.05;
  arma::mat v_old(d, d, arma::fill::zeros), v_new(d, d, arma::fill::zeros);
  std::vector<double> t_old, t_new;
  for (std::size_t r = 0; r < reps; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    two_call_kernel(h, g, lr, v_old);
    t_old.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    t0 = std::chrono::steady_clock::now();
    vclab::add_vc_shift(h, g, lr, vclab::VcStorage::upper, v_new);
    t_new.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  const double diff = arma::abs(arma::trimatu(v_old - v_new)).max(), scale = arma::abs(arma::trimatu(v_old)).max();
  std::printf("vc full kernel d=%zu B=%zu, %zu interleaved reps, 2 threads\n", d, b, reps);
  std::printf("  syr2k+syrk (before): median %.2f ms (min %.2f, max %.2f)\n", 1e3 * median(t_old),
              1e3 * *std::min_element(t_old.begin(), t_old.end()), 1e3 * *std::max_element(t_old.begin(), t_old.end()));
  std::printf("  one syr2k  (after):  median %.2f ms (min %.2f, max %.2f)\n", 1e3 * median(t_new),
              1e3 * *std::min_element(t_new.begin(), t_new.end()), 1e3 * *std::max_element(t_new.begin(), t_new.end()));
  std::printf("  speedup %.2fx; max |V_before - V_after| = %.3g (max |V| = %.3g, relative %.3g)\n", median(t_old) / median(t_new),
              diff, scale, diff / scale);
  return 0;
}
