// Conv and pooling kernels: forward against a naive nested loop, im2col/col2im adjointness, gradients against central
// finite differences, the patch-space Feature Learning Equation, and float against double (docs/conv_layers.md).
#include <doctest/doctest.h>

#include <cmath>
#include <functional>

#include "model/conv.hpp"
#include "model/pool.hpp"
#include "model/pool_windows.hpp"
#include "test_util.hpp"

using namespace vclab;
using vclab::test::require_close;

namespace {

constexpr double kNaiveTol = 1e-12;        // the same ≤ c_in k² = 100 products summed in another order: rounding only
constexpr double kIdentityTol = 1e-12;     // adjointness and the FLE are exact algebra; double rounding ≈ 1e-15
constexpr double kFiniteDiffStep = 1e-5;   // central differences: O(h²) ≈ 1e-10 truncation, ε|ℒ|/h ≈ 1e-10 rounding
constexpr double kFiniteDiffTol = 1e-6;    // relative; four orders above both error terms
constexpr double kFloatTol = 1e-5;         // float ε ≈ 6e-8 times sums of up to ~100 O(1) terms
constexpr double kTieGap = 100 * kFiniteDiffStep;  // a ±h step must not change any window's maximum

ConvGeometry geometry(std::size_t c_in, std::size_t c_out, std::size_t h, std::size_t w, std::size_t k,
                      std::size_t stride, Padding padding) {
  return ConvGeometry{.c_in = c_in, .height = h, .width = w, .c_out = c_out, .kernel = k, .stride = stride,
                      .padding = padding};
}

// z[(o·H_out + y)·W_out + x, b] = b_o + Σ_{c,dy,dx} W(o, (c·k + dy)·k + dx) · x[(c·H + y·s + dy − pad)·W + x·s + dx − pad, b]
arma::mat naive_conv(const ConvGeometry& g, const arma::mat& w, const arma::vec* bias, const arma::mat& x) {
  const long pad = static_cast<long>(g.pad()), k = static_cast<long>(g.kernel), s = static_cast<long>(g.stride);
  const long h = static_cast<long>(g.height), wd = static_cast<long>(g.width);
  const long h_out = static_cast<long>(g.out_height()), w_out = static_cast<long>(g.out_width());
  arma::mat z(g.output_dim(), x.n_cols, arma::fill::zeros);
  for (arma::uword b = 0; b < x.n_cols; ++b)
    for (long o = 0; o < static_cast<long>(g.c_out); ++o)
      for (long yo = 0; yo < h_out; ++yo)
        for (long xo = 0; xo < w_out; ++xo) {
          double sum = bias ? (*bias)(o) : 0.0;
          for (long c = 0; c < static_cast<long>(g.c_in); ++c)
            for (long dy = 0; dy < k; ++dy)
              for (long dx = 0; dx < k; ++dx) {
                const long y = yo * s + dy - pad, xi = xo * s + dx - pad;
                if (y < 0 || y >= h || xi < 0 || xi >= wd) continue;  // zero padding
                sum += w(o, (c * k + dy) * k + dx) * x((c * h + y) * wd + xi, b);
              }
          z((o * h_out + yo) * w_out + xo, b) = sum;
        }
  return z;
}

// A smooth scalar loss of a layer output: ℒ = Σ r ∘ tanh(z), ∂ℒ/∂z = r ∘ (1 − tanh²z). Not quadratic, so central
// differences carry a real O(h²) error.
double test_loss(const arma::mat& z, const arma::mat& r) { return arma::accu(r % arma::tanh(z)); }
arma::mat test_loss_grad(const arma::mat& z, const arma::mat& r) { return r % (1.0 - arma::square(arma::tanh(z))); }

// Central differences of f with respect to every entry of a copy of at.
arma::mat numeric_grad(const arma::mat& at, const std::function<double(const arma::mat&)>& f) {
  arma::mat grad(arma::size(at));
  for (arma::uword i = 0; i < at.n_elem; ++i) {
    arma::mat plus = at, minus = at;
    plus(i) += kFiniteDiffStep;
    minus(i) -= kFiniteDiffStep;
    grad(i) = (f(plus) - f(minus)) / (2 * kFiniteDiffStep);
  }
  return grad;
}

std::string describe(const ConvGeometry& g) {
  return "c_in " + std::to_string(g.c_in) + " c_out " + std::to_string(g.c_out) + " " + std::to_string(g.height) +
         "×" + std::to_string(g.width) + " k " + std::to_string(g.kernel) + " stride " + std::to_string(g.stride) +
         " " + to_string(g.padding);
}

}  // namespace

TEST_CASE("conv geometry: output sizes, and invalid geometries throw") {
  const ConvGeometry cifar = geometry(3, 32, 32, 32, 3, 1, Padding::same);
  CHECK(cifar.out_height() == 32);
  CHECK(cifar.patch_dim() == 27);
  CHECK(geometry(3, 8, 32, 32, 3, 2, Padding::same).out_height() == 16);  // ⌈32 / 2⌉
  CHECK(geometry(3, 8, 7, 7, 3, 2, Padding::same).out_width() == 4);      // ⌈7 / 2⌉
  CHECK(geometry(3, 8, 32, 32, 5, 1, Padding::valid).out_height() == 28);  // 32 − 5 + 1
  CHECK(geometry(3, 8, 8, 7, 3, 2, Padding::valid).out_height() == 3);     // ⌊(8 − 3) / 2⌋ + 1
  CHECK(geometry(3, 8, 8, 7, 3, 2, Padding::valid).out_width() == 3);      // ⌊(7 − 3) / 2⌋ + 1
  CHECK_THROWS_AS(geometry(3, 8, 8, 8, 2, 1, Padding::same).check(), std::invalid_argument);   // even k, 'same'
  CHECK_THROWS_AS(geometry(3, 8, 8, 8, 3, 3, Padding::same).check(), std::invalid_argument);   // stride 3
  CHECK_THROWS_AS(geometry(3, 8, 4, 8, 5, 1, Padding::valid).check(), std::invalid_argument);  // window > image
  CHECK_THROWS_AS(geometry(0, 8, 8, 8, 3, 1, Padding::same).check(), std::invalid_argument);
  CHECK(parse_enum<Padding>("valid", "padding") == Padding::valid);
  CHECK_THROWS_AS(parse_enum<Padding>("full", "padding"), std::invalid_argument);
  const arma::mat wrong_w(8, 26, arma::fill::zeros);
  ConvForward<double> pass;
  CHECK_THROWS_AS(conv_forward(cifar, wrong_w, arma::mat(cifar.input_dim(), 1), pass), std::invalid_argument);
}

TEST_CASE("im2col layout: rows (c, dy, dx), columns (sample, position), zeros in the padding") {
  const ConvGeometry g = geometry(2, 1, 3, 3, 3, 1, Padding::same);
  arma::mat x(g.input_dim(), 2);
  for (arma::uword i = 0; i < x.n_elem; ++i) x(i) = static_cast<double>(i + 1);  // pixel (c, y, x) of sample b
  const arma::mat p = im2col(g, x);
  REQUIRE(p.n_rows == 18);
  REQUIRE(p.n_cols == 2 * 9);
  // The centre position's 3 × 3 window is the whole image, so its patch is the image column itself.
  CHECK(arma::approx_equal(p.col(4), x.col(0), "absdiff", 0.0));
  CHECK(arma::approx_equal(p.col(9 + 4), x.col(1), "absdiff", 0.0));
  // Top-left position: the window's top row (dy = 0) and left column (dx = 0) fall in the padding.
  const arma::vec corner = p.col(0);
  for (std::size_t c = 0; c < 2; ++c)
    for (std::size_t dy = 0; dy < 3; ++dy)
      for (std::size_t dx = 0; dx < 3; ++dx) {
        const double want = (dy == 0 || dx == 0) ? 0.0 : x((c * 3 + dy - 1) * 3 + dx - 1, 0);
        CHECK(corner((c * 3 + dy) * 3 + dx) == want);
      }
  // to_channel_rows and to_channel_major are inverse rearrangements.
  const arma::mat images = arma::randu(4 * 6, 3);
  const arma::mat rows = to_channel_rows(images, 4);
  CHECK(rows.n_rows == 4);
  CHECK(rows(2, 6 + 5) == images(2 * 6 + 5, 1));  // channel 2, sample 1, position 5
  CHECK(arma::approx_equal(to_channel_major(rows, 3), images, "absdiff", 0.0));
}

TEST_CASE("conv forward matches a naive nested loop: stride 1 and 2, same and valid, k = 1, 3, 5") {
  arma::arma_rng::set_seed(18);
  const std::vector<std::pair<std::size_t, std::size_t>> channels = {{1, 1}, {3, 2}, {2, 5}, {4, 3}};
  for (std::size_t k : {1, 3, 5}) {
    for (std::size_t stride : {1, 2}) {
      for (Padding padding : {Padding::same, Padding::valid}) {
        for (const auto& [c_in, c_out] : channels) {
          const ConvGeometry g = geometry(c_in, c_out, 7, 8, k, stride, padding);  // odd and even sides
          CAPTURE(describe(g));
          const arma::mat w = arma::randn(c_out, g.patch_dim());
          const arma::mat x = arma::randn(g.input_dim(), 3);
          const arma::vec bias = arma::randn(c_out);
          ConvForward<double> pass;
          conv_forward(g, w, x, pass);
          REQUIRE(pass.z.n_rows == g.output_dim());
          require_close(pass.z, naive_conv(g, w, nullptr, x), kNaiveTol, "conv z vs naive loop");
          conv_forward(g, w, x, pass, &bias);
          require_close(pass.z, naive_conv(g, w, &bias, x), kNaiveTol, "conv z + b vs naive loop");
        }
      }
    }
  }
}

TEST_CASE("col2im is the adjoint of im2col: <im2col(x), Y> = <x, col2im(Y)>") {
  arma::arma_rng::set_seed(5);
  for (std::size_t k : {1, 3, 5}) {
    for (std::size_t stride : {1, 2}) {
      for (Padding padding : {Padding::same, Padding::valid}) {
        const ConvGeometry g = geometry(3, 1, 7, 6, k, stride, padding);
        CAPTURE(describe(g));
        const arma::mat x = arma::randn(g.input_dim(), 4);
        const arma::mat y = arma::randn(g.patch_dim(), 4 * g.positions());
        const arma::mat p = im2col(g, x), back = col2im(g, y);
        const double lhs = arma::accu(p % y), rhs = arma::accu(x % back);
        const double scale = arma::accu(arma::abs(p % y));  // the rounding of a sum is relative to Σ|terms|
        CHECK_MESSAGE(std::abs(lhs - rhs) <= kIdentityTol * scale,
                      "relative adjoint gap " << std::abs(lhs - rhs) / scale);
      }
    }
  }
}

TEST_CASE("conv gradients (W, b, x) match central finite differences") {
  arma::arma_rng::set_seed(7);
  for (const ConvGeometry& g : {geometry(2, 3, 5, 6, 3, 1, Padding::same), geometry(2, 3, 5, 6, 3, 2, Padding::valid),
                                geometry(1, 2, 6, 5, 5, 2, Padding::same), geometry(3, 2, 4, 4, 1, 1, Padding::valid)}) {
    CAPTURE(describe(g));
    const arma::mat w = arma::randn(g.c_out, g.patch_dim());
    const arma::vec bias = arma::randn(g.c_out);
    const arma::mat x = arma::randn(g.input_dim(), 2);
    const arma::mat r = arma::randn(g.output_dim(), 2);  // ℒ = Σ r ∘ tanh(z)
    const auto loss = [&](const arma::mat& wv, const arma::vec& bv, const arma::mat& xv) {
      ConvForward<double> pass;
      conv_forward(g, wv, xv, pass, &bv);
      return test_loss(pass.z, r);
    };
    ConvForward<double> pass;
    ConvBackward<double> grads;
    conv_forward(g, w, x, pass, &bias);
    conv_backward(g, w, pass, test_loss_grad(pass.z, r), grads, true, true);
    require_close(grads.grad_w, numeric_grad(w, [&](const arma::mat& wv) { return loss(wv, bias, x); }),
                  kFiniteDiffTol, "conv grad W");
    require_close(grads.grad_b, numeric_grad(bias, [&](const arma::mat& bv) { return loss(w, bv, x); }),
                  kFiniteDiffTol, "conv grad b");
    require_close(grads.grad_x, numeric_grad(x, [&](const arma::mat& xv) { return loss(w, bias, xv); }),
                  kFiniteDiffTol, "conv grad x");
    conv_backward(g, w, pass, test_loss_grad(pass.z, r), grads, false, false);  // no bias, first layer
    CHECK(grads.grad_b.is_empty());
    CHECK(grads.grad_x.is_empty());
  }
}

TEST_CASE("per-patch gradients g_p = Wᵀ δ_p are ∂ℒ/∂ of each patch copy taken as its own input") {
  arma::arma_rng::set_seed(9);
  const ConvGeometry g = geometry(2, 3, 4, 5, 3, 2, Padding::same);
  const arma::mat w = arma::randn(g.c_out, g.patch_dim());
  const arma::mat x = arma::randn(g.input_dim(), 2);
  const arma::mat r = arma::randn(g.output_dim(), 2);
  ConvForward<double> pass;
  ConvBackward<double> grads;
  conv_forward(g, w, x, pass);
  conv_backward(g, w, pass, test_loss_grad(pass.z, r), grads);
  // ℒ as a function of P with every column free (padding entries included): z = W P in the channel-major layout.
  const auto loss_of_patches = [&](const arma::mat& p) { return test_loss(to_channel_major<double>(w * p, 2), r); };
  require_close(grads.grad_patches, numeric_grad(pass.patches, loss_of_patches), kFiniteDiffTol, "g_p");
}

TEST_CASE("patch-space Feature Learning Equation: Wᵀ∇_Wℒ = Σ_samples Σ_positions g_p pᵀ") {
  arma::arma_rng::set_seed(11);
  for (const ConvGeometry& g : {geometry(3, 4, 6, 6, 3, 1, Padding::same), geometry(2, 8, 7, 5, 3, 2, Padding::valid),
                                geometry(3, 2, 6, 7, 5, 2, Padding::same)}) {
    CAPTURE(describe(g));
    const arma::mat w = arma::randn(g.c_out, g.patch_dim());
    const arma::mat x = arma::randn(g.input_dim(), 3);
    const arma::mat r = arma::randn(g.output_dim(), 3);
    ConvForward<double> pass;
    ConvBackward<double> grads;
    conv_forward(g, w, x, pass);
    conv_backward(g, w, pass, test_loss_grad(pass.z, r), grads);
    arma::mat sum_outer(g.patch_dim(), g.patch_dim(), arma::fill::zeros);  // Σ_i Σ_q g_p pᵀ, one copy at a time
    for (arma::uword col = 0; col < pass.patches.n_cols; ++col)
      sum_outer += grads.grad_patches.col(col) * pass.patches.col(col).t();
    require_close(w.t() * grads.grad_w, sum_outer, kIdentityTol, "patch-space FLE");
  }
}

TEST_CASE("pooling forward: hand values, odd sizes floored, max ties go to the first element in row-major order") {
  const PoolGeometry g{.channels = 1, .height = 3, .width = 5};  // → 1 × 2; row 2 and column 4 dropped
  // Rows of the 3 × 5 image: the first window ties (7 at top-right and bottom-left), the second is 1, 2 / 6, 9.
  const arma::mat x = arma::vec{0, 7, 1, 2, 100, /**/ 7, 3, 6, 9, 100, /**/ 100, 100, 100, 100, 100};
  PoolForward<double> avg, max;
  pool_forward(Pooling::avg, g, x, avg);
  pool_forward(Pooling::max, g, x, max);
  CHECK(arma::approx_equal(avg.y, arma::mat(arma::vec{17.0 / 4, 18.0 / 4}), "absdiff", 1e-15));
  CHECK(arma::approx_equal(max.y, arma::mat(arma::vec{7, 9}), "absdiff", 0.0));
  CHECK(max.argmax(0) == 1);  // the top-right 7 (index 1) comes before the bottom-left 7 (index 5)
  CHECK(max.argmax(1) == 8);
  const arma::mat grad_x = pool_backward(Pooling::max, g, max, arma::mat(arma::vec{1.0, 2.0}));
  CHECK(grad_x(1) == 1.0);
  CHECK(grad_x(5) == 0.0);
  CHECK(grad_x(8) == 2.0);
  CHECK(arma::accu(arma::abs(grad_x)) == 3.0);
  const arma::mat grad_avg = pool_backward(Pooling::avg, g, avg, arma::mat(arma::vec{1.0, 2.0}));
  CHECK(arma::accu(grad_avg.rows(10, 14)) == 0.0);  // the dropped last row gets no gradient
  CHECK(grad_avg(4) == 0.0);                         // nor the dropped last column
  CHECK(grad_avg(6) == 0.25);
  CHECK_THROWS_AS(pool_forward(Pooling::max, PoolGeometry{.channels = 1, .height = 1, .width = 4},
                               arma::mat(4, 1, arma::fill::zeros), max),
                  std::invalid_argument);
  CHECK(parse_enum<Pooling>("avg", "pooling") == Pooling::avg);
  CHECK_THROWS_AS(parse_enum<Pooling>("average", "pooling"), std::invalid_argument);
  CHECK_THROWS_AS(pool_forward(Pooling::none, g, x, max), std::invalid_argument);
}

TEST_CASE("pooling gradients match central finite differences (average, and max away from ties)") {
  arma::arma_rng::set_seed(3);
  for (const PoolGeometry& g : {PoolGeometry{.channels = 2, .height = 4, .width = 6},
                                PoolGeometry{.channels = 3, .height = 5, .width = 7}}) {
    for (Pooling pooling : {Pooling::avg, Pooling::max}) {
      CAPTURE(to_string(pooling));
      CAPTURE(g.height);
      // Distinct values spaced 4/n apart in [−2, 2), shuffled: no window is within kTieGap of a tie.
      const double n = static_cast<double>(g.input_dim() * 3);
      arma::mat x = arma::conv_to<arma::vec>::from(arma::randperm(g.input_dim() * 3)) * (4.0 / n) - 2.0;
      x.reshape(g.input_dim(), 3);
      const arma::mat r = arma::randn(g.output_dim(), 3);
      PoolForward<double> pass;
      pool_forward(pooling, g, x, pass);
      if (pooling == Pooling::max)
        REQUIRE_MESSAGE(test::min_window_gap(g, x) > kTieGap, "the input has a near tie, so max pooling is not smooth there");
      const arma::mat grad_x = pool_backward(pooling, g, pass, test_loss_grad(pass.y, r));
      const auto loss = [&](const arma::mat& xv) {
        PoolForward<double> p;
        pool_forward(pooling, g, xv, p);
        return test_loss(p.y, r);
      };
      require_close(grad_x, numeric_grad(x, loss), kFiniteDiffTol, "pool grad x");
    }
  }
}

TEST_CASE("float and double agree to float precision: conv forward/backward and pooling") {
  arma::arma_rng::set_seed(21);
  const ConvGeometry g = geometry(3, 8, 8, 8, 3, 1, Padding::same);
  const arma::mat w = arma::randn(g.c_out, g.patch_dim()) / std::sqrt(static_cast<double>(g.patch_dim()));
  const arma::mat x = arma::randn(g.input_dim(), 4);
  const arma::mat dz = arma::randn(g.output_dim(), 4);
  ConvForward<double> pd;
  ConvForward<float> pf;
  ConvBackward<double> gd;
  ConvBackward<float> gf;
  conv_forward(g, w, x, pd);
  conv_forward(g, arma::fmat(arma::conv_to<arma::fmat>::from(w)), arma::conv_to<arma::fmat>::from(x), pf);
  conv_backward(g, w, pd, dz, gd);
  conv_backward(g, arma::fmat(arma::conv_to<arma::fmat>::from(w)), pf, arma::conv_to<arma::fmat>::from(dz), gf);
  require_close(pf.z, pd.z, kFloatTol, "float vs double z");
  require_close(gf.grad_w, gd.grad_w, kFloatTol, "float vs double grad W");
  require_close(gf.grad_patches, gd.grad_patches, kFloatTol, "float vs double g_p");
  require_close(gf.grad_x, gd.grad_x, kFloatTol, "float vs double grad x");
  const PoolGeometry pg{.channels = g.c_out, .height = 8, .width = 8};
  for (Pooling pooling : {Pooling::avg, Pooling::max}) {
    PoolForward<double> qd;
    PoolForward<float> qf;
    pool_forward(pooling, pg, pd.z, qd);
    pool_forward(pooling, pg, pf.z, qf);
    require_close(qf.y, qd.y, kFloatTol, "float vs double pooled " + to_string(pooling));
  }
}
