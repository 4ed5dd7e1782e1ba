#define ARMA_DONT_USE_WRAPPER
#define ARMA_NO_DEBUG
#include <armadillo>
#include <chrono>
#include <cstdio>
#include <algorithm>
#include <vector>
using clk = std::chrono::steady_clock;
template <class T> __attribute__((noinline)) void subtract_scaled(T* __restrict w, const T* __restrict g, T lr, std::size_t n) {
  constexpr std::size_t kBlock = 8;
  std::size_t i = 0;
  for (; i + kBlock <= n; i += kBlock)
    for (std::size_t k = 0; k < kBlock; ++k) w[i + k] -= lr * g[i + k];
  for (; i < n; ++i) w[i] -= lr * g[i];
}
int main() {
  arma::arma_rng::set_seed(1);
  arma::fmat W(256, 3073, arma::fill::randn), G(256, 3073, arma::fill::randn);
  arma::fmat W2 = W;
  const float lr = 0.05f;
  std::vector<double> ta, tb;
  for (int rep = 0; rep < 200; ++rep) {
    auto t0 = clk::now(); W -= lr * G; auto t1 = clk::now();
    subtract_scaled(W2.memptr(), G.memptr(), lr, W2.n_elem); auto t2 = clk::now();
    ta.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    tb.push_back(std::chrono::duration<double, std::micro>(t2 - t1).count());
  }
  std::sort(ta.begin(), ta.end()); std::sort(tb.begin(), tb.end());
  std::printf("arma median %.1f us, blocked median %.1f us, identical %d\n", ta[100], tb[100],
              (int)std::equal(W.begin(), W.end(), W2.begin()));
}
