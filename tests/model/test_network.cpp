// Network: spec geometry, hand-computed forward values, every gradient against central finite differences, the
// patch-space Feature Learning Equation per conv layer, the PyTorch init, and float against double (issue 18).
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <random>
#include <string>

#include "model/network.hpp"
#include "model/pool_windows.hpp"
#include "test_util.hpp"

using namespace vclab;
using vclab::test::require_close;

namespace {

constexpr double kHandTol = 1e-14;         // a few exact-ish double products and sums of small integers
constexpr double kFiniteDiffStep = 1e-5;   // central differences: O(h²) ≈ 1e-10 truncation, ε|ℒ|/h ≈ 1e-11 rounding
constexpr double kFiniteDiffTol = 1e-7;    // relative to max(1, |∇|); three orders above both terms (measured ≤ 4e-11)
constexpr double kIdentityTol = 1e-12;     // the FLE is exact algebra; double rounding of ≤ 500-term sums ≈ 1e-15
constexpr double kFloatTol = 1e-6;         // float ε ≈ 6e-8 through four layers of ≤ 45-term sums (measured ≤ 3e-8)
// ReLU and max pooling are smooth only away from z = 0 and from window ties. A ±h step moves any pre-activation or
// pooled value by at most ~10 h (weights and inputs are O(1), fan-ins ≤ 45), so a margin of 100 h keeps every step
// in the linear region of the unperturbed point; the FD helper also verifies that no step changed the region.
constexpr double kKinkGap = 100 * kFiniteDiffStep;
constexpr std::uint64_t kInputSeeds = 100;  // input draws tried before giving up on finding one away from kinks
constexpr std::size_t kBatch = 3;

ConvLayerSpec layer(std::size_t c_out, std::size_t stride, Padding padding, Pooling pooling) {
  return ConvLayerSpec{.c_out = c_out, .kernel = 3, .stride = stride, .padding = padding, .pooling = pooling};
}

// 3 → 4 → 5 channels, k = 3, then a dense head 6 → 3.
NetworkSpec two_layer_spec(std::size_t side, ConvLayerSpec first, ConvLayerSpec second, Activation activation,
                           bool bias) {
  return NetworkSpec{.channels = 3, .height = side, .width = side, .conv = {first, second}, .hidden = {6},
                     .output_dim = 3, .activation = activation, .bias = bias, .init = Init::pytorch};
}

struct Case {
  std::string name;
  NetworkSpec spec;
  Loss loss;
};

// Between them: GELU and ReLU, cross-entropy and MSE, pooling none / avg / max, stride 1 and 2, 'same' and 'valid',
// with and without bias.
std::vector<Case> gradient_cases() {
  using P = Padding;
  using Q = Pooling;
  return {
      {"gelu, CE, bias: 10² s1 same max → s2 valid", two_layer_spec(10, layer(4, 1, P::same, Q::max),
                                                                    layer(5, 2, P::valid, Q::none), Activation::gelu, true),
       Loss::cross_entropy},
      {"relu, MSE: 11² s2 same avg → s1 same max", two_layer_spec(11, layer(4, 2, P::same, Q::avg),
                                                                  layer(5, 1, P::same, Q::max), Activation::relu, false),
       Loss::mse},
      {"relu, CE, bias: 8² s1 valid → s2 same avg", two_layer_spec(8, layer(4, 1, P::valid, Q::none),
                                                                   layer(5, 2, P::same, Q::avg), Activation::relu, true),
       Loss::cross_entropy},
      {"gelu, MSE: 9² s2 valid max → s1 same", two_layer_spec(9, layer(4, 2, P::valid, Q::max),
                                                              layer(5, 1, P::same, Q::none), Activation::gelu, false),
       Loss::mse},
  };
}

// Distance of this pass from the nearest kink: |z| of every ReLU pre-activation (conv and head) and every max-pooling
// window's top-two gap. +inf when the net has no kink (GELU, no max pooling).
double kink_margin(const Network<double>& net, const NetworkForward<double>& pass) {
  double margin = INFINITY;
  const bool relu = net.spec.activation == Activation::relu;
  const std::vector<ConvGeometry> geometries = net.spec.conv_geometries();
  for (std::size_t l = 0; l < net.n_conv_layers(); ++l) {
    if (relu) margin = std::min(margin, arma::abs(pass.conv[l].z).min());
    if (net.spec.conv[l].pooling == Pooling::max)
      margin = std::min(margin, test::min_window_gap(pool_geometry(geometries[l]), pass.h[l]));
  }
  for (std::size_t l = 1; relu && l < pass.head.z.size(); ++l) margin = std::min(margin, arma::abs(pass.head.z[l]).min());
  return margin;
}

// Which linear piece the pass is on: the ReLU on/off pattern of every pre-activation and every max-pool argmax.
std::vector<arma::uvec> linear_region(const Network<double>& net, const NetworkForward<double>& pass) {
  std::vector<arma::uvec> region;
  const bool relu = net.spec.activation == Activation::relu;
  for (std::size_t l = 0; l < net.n_conv_layers(); ++l) {
    if (relu) region.push_back(arma::find(pass.conv[l].z > 0));
    region.push_back(pass.pool[l].argmax);
  }
  for (std::size_t l = 1; relu && l < pass.head.z.size(); ++l) region.push_back(arma::find(pass.head.z[l] > 0));
  return region;
}

bool same_region(const std::vector<arma::uvec>& a, const std::vector<arma::uvec>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].n_elem != b[i].n_elem || arma::any(a[i] != b[i])) return false;
  return true;
}

// Draws inputs from seeds 1, 2, ... until the pass is at least kKinkGap from every kink.
arma::mat input_away_from_kinks(const Network<double>& net, std::size_t batch) {
  for (std::uint64_t seed = 1; seed <= kInputSeeds; ++seed) {
    arma::arma_rng::set_seed(seed);
    const arma::mat x = arma::randn(net.spec.input_dim(), batch);
    NetworkForward<double> pass;
    forward(net, x, pass);
    if (kink_margin(net, pass) > kKinkGap) return x;
  }
  FAIL("no input seed in 1.." << kInputSeeds << " keeps the pass " << kKinkGap << " away from every kink");
  return {};
}

arma::mat make_targets(Loss loss, std::size_t classes, std::size_t batch) {
  arma::arma_rng::set_seed(99);
  if (loss == Loss::mse) return arma::randn(classes, batch);
  arma::uvec labels(batch);
  for (arma::uword i = 0; i < batch; ++i) labels(i) = i % classes;  // every class once when batch = classes
  return one_hot<double>(labels, classes);
}

// Central differences of loss() with respect to every entry of param (which loss() reads), restored afterwards.
template <class M> M numeric_grad(M& param, const std::function<double()>& loss) {
  M grad(arma::size(param));
  for (arma::uword i = 0; i < param.n_elem; ++i) {
    const double saved = param(i);
    param(i) = saved + kFiniteDiffStep;
    const double plus = loss();
    param(i) = saved - kFiniteDiffStep;
    const double minus = loss();
    param(i) = saved;
    grad(i) = (plus - minus) / (2 * kFiniteDiffStep);
  }
  return grad;
}

}  // namespace

TEST_CASE("conv net spec: layer geometries, flatten size, head spec, and errors that name the layer") {
  const NetworkSpec spec = two_layer_spec(10, layer(4, 1, Padding::same, Pooling::max),
                                          layer(5, 2, Padding::valid, Pooling::none), Activation::gelu, false);
  const std::vector<ConvGeometry> g = spec.conv_geometries();
  REQUIRE(g.size() == 2);
  CHECK(g[0].c_in == 3);
  CHECK(g[0].height == 10);
  CHECK(g[0].out_height() == 10);  // 'same', stride 1
  CHECK(g[1].c_in == 4);
  CHECK(g[1].height == 5);         // 10 → max pool → 5
  CHECK(g[1].out_width() == 2);    // ⌊(5 − 3) / 2⌋ + 1
  CHECK(spec.flat_dim() == 5 * 2 * 2);
  CHECK(spec.head_spec().input_dim == 20);
  CHECK(spec.head_spec().hidden == std::vector<std::size_t>{6});
  const Network<double> net(spec, 1);
  CHECK(net.head.spec.input_dim == 20);
  CHECK(net.kernels[1].n_rows == 5);
  CHECK(net.kernels[1].n_cols == 4 * 9);
  CHECK_FALSE(net.has_bias());
  // 4² valid → 2², max pool → 1²; a second 'valid' 3 × 3 window does not fit.
  NetworkSpec bad = two_layer_spec(4, layer(4, 1, Padding::valid, Pooling::max),
                                   layer(5, 1, Padding::valid, Pooling::none), Activation::relu, false);
  CHECK_THROWS_WITH_AS(bad.conv_geometries(), doctest::Contains("conv layer 1"), std::invalid_argument);
  bad.conv[1].padding = Padding::same;
  bad.conv[1].pooling = Pooling::avg;  // 1 × 1 cannot be pooled
  CHECK_THROWS_WITH_AS(Network<double>(bad, 1), doctest::Contains("conv layer 1"), std::invalid_argument);
  NetworkForward<double> pass;
  CHECK_THROWS_AS(forward(net, arma::mat(spec.input_dim() + 1, 2, arma::fill::zeros), pass), std::invalid_argument);
  CHECK(parse_enum<Pooling>("none", "pooling") == Pooling::none);
  CHECK(to_string(Pooling::max) == "max");
}

TEST_CASE("conv net forward: hand-set 1 × 1 kernels give hand values; the flatten is channel-major") {
  // Two channels of 2 × 2, one 1 × 1 kernel [2, −1], identity σ, average pooling, head weight 3:
  // z = 2·ch0 − ch1 = [−2, 1, 4, 7], pooled 2.5, f = 7.5.
  NetworkSpec spec{.channels = 2, .height = 2, .width = 2, .conv = {ConvLayerSpec{.c_out = 1, .kernel = 1,
                   .pooling = Pooling::avg}}, .hidden = {}, .output_dim = 1, .activation = Activation::identity};
  Network<double> net(spec, 1);
  net.kernels[0] = arma::mat{{2.0, -1.0}};
  net.head.weights[0] = arma::mat(1, 1, arma::fill::value(3.0));
  const arma::mat x = arma::vec{1, 2, 3, 4, /* channel 1 */ 4, 3, 2, 1};
  NetworkForward<double> pass;
  forward(net, x, pass);
  require_close(pass.conv[0].z, arma::mat(arma::vec{-2, 1, 4, 7}), kHandTol, "z");
  require_close(pass.logits(), arma::mat(1, 1, arma::fill::value(7.5)), kHandTol, "f");
  // One channel of 1 × 2, kernels [1; −1] → channels (x0, x1), (−x0, −x1); the head reads index 2 = channel 1, pixel 0.
  spec = NetworkSpec{.channels = 1, .height = 1, .width = 2, .conv = {ConvLayerSpec{.c_out = 2, .kernel = 1}},
                     .hidden = {}, .output_dim = 1, .activation = Activation::identity};
  net = Network<double>(spec, 1);
  net.kernels[0] = arma::mat(arma::vec{1.0, -1.0});  // (c_out 2, c_in k² 1)
  net.head.weights[0] = arma::mat{{0.0, 0.0, 1.0, 0.0}};
  forward(net, arma::mat{{5.0, 7.0}, {6.0, 8.0}}, pass);  // two samples: (5, 6) and (7, 8)
  require_close(pass.logits(), arma::mat{{-5.0, -7.0}}, kHandTol, "f reads channel-major features");
}

TEST_CASE("conv net gradients (conv kernels and biases, head weights and biases, input) match central differences") {
  for (const Case& c : gradient_cases()) {
    CAPTURE(c.name);
    Network<double> net(c.spec, 5);
    const arma::mat x = input_away_from_kinks(net, kBatch);
    const arma::mat targets = make_targets(c.loss, c.spec.output_dim, kBatch);
    NetworkForward<double> pass;
    NetworkBackward<double> grads;
    loss_and_backward(net, x, targets, c.loss, pass, grads, true);
    const std::vector<arma::uvec> region = linear_region(net, pass);
    arma::mat x_var = x;
    std::size_t region_changes = 0;
    const auto loss = [&]() {
      NetworkForward<double> p;
      forward(net, x_var, p);
      region_changes += !same_region(linear_region(net, p), region);
      return loss_and_gradient<double>(c.loss, p.logits(), targets, nullptr);
    };
    for (std::size_t l = 0; l < net.n_conv_layers(); ++l) {
      require_close(grads.conv[l].grad_w, numeric_grad(net.kernels[l], loss), kFiniteDiffTol, "∇W conv " + std::to_string(l));
      if (net.has_bias())
        require_close(grads.conv[l].grad_b, numeric_grad(net.biases[l], loss), kFiniteDiffTol, "∇b conv " + std::to_string(l));
    }
    for (std::size_t l = 0; l < net.head.n_layers(); ++l) {
      require_close(grads.head.grad_w[l], numeric_grad(net.head.weights[l], loss), kFiniteDiffTol,
                    "∇W head " + std::to_string(l));
      if (net.head.has_bias())
        require_close(grads.head.grad_b[l], numeric_grad(net.head.biases[l], loss), kFiniteDiffTol,
                      "∇b head " + std::to_string(l));
    }
    require_close(grads.conv[0].grad_x, numeric_grad(x_var, loss), kFiniteDiffTol, "∂ℒ/∂x");
    CHECK_MESSAGE(region_changes == 0, region_changes << " finite-difference steps crossed a ReLU or max-pool kink");
  }
}

TEST_CASE("patch-space Feature Learning Equation per conv layer: W_lᵀ∇W_l = Σ_samples Σ_positions g_p pᵀ") {
  for (const Case& c : gradient_cases()) {
    CAPTURE(c.name);
    const Network<double> net(c.spec, 6);
    arma::arma_rng::set_seed(6);
    const arma::mat x = arma::randn(c.spec.input_dim(), kBatch);
    NetworkForward<double> pass;
    NetworkBackward<double> grads;
    loss_and_backward(net, x, make_targets(c.loss, c.spec.output_dim, kBatch), c.loss, pass, grads);
    CHECK(grads.conv[0].grad_x.is_empty());  // not requested
    for (std::size_t l = 0; l < net.n_conv_layers(); ++l) {
      const arma::mat& p = pass.conv[l].patches;     // (c_l k², B·n_l)
      const arma::mat& g = grads.conv[l].grad_patches;  // (c_l k², B·n_l)
      REQUIRE(g.n_cols == p.n_cols);
      arma::mat sum_outer(p.n_rows, p.n_rows, arma::fill::zeros);  // Σ g_p pᵀ, one patch copy at a time
      for (arma::uword col = 0; col < p.n_cols; ++col) sum_outer += g.col(col) * p.col(col).t();
      require_close(net.kernels[l].t() * grads.conv[l].grad_w, sum_outer, kIdentityTol, "FLE conv " + std::to_string(l));
    }
  }
}

TEST_CASE("pytorch init: U(±1/√(c_in k²)) conv kernels and biases, one seeded stream, deterministic per seed") {
  NetworkSpec spec = two_layer_spec(8, layer(4, 1, Padding::same, Pooling::none),
                                    layer(5, 2, Padding::same, Pooling::avg), Activation::gelu, true);
  spec.conv[1].kernel = 5;  // fan_in 4·25 = 100
  const Network<double> net(spec, 7);
  const std::vector<ConvGeometry> geometries = spec.conv_geometries();
  for (std::size_t l = 0; l < net.n_conv_layers(); ++l) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(geometries[l].patch_dim()));  // Conv2d's default
    CAPTURE(l);
    CHECK(arma::abs(net.kernels[l]).max() <= bound);
    CHECK(arma::abs(net.kernels[l]).max() > 0.9 * bound);  // ≥ 108 draws: P(all inside 0.9·bound) < 1e-4
    CHECK(arma::abs(net.biases[l]).max() <= bound);
  }
  CHECK(arma::abs(net.head.weights[0]).max() <= 1.0 / std::sqrt(static_cast<double>(spec.flat_dim())));
  // The stream: conv layers in order, then the head from the same generator.
  std::mt19937_64 rng(7);
  for (std::size_t l = 0; l < geometries.size(); ++l) {
    arma::mat w(geometries[l].c_out, geometries[l].patch_dim());
    arma::vec b;
    initialize_layer<double>(Init::pytorch, w, &b, rng);
    CHECK(arma::approx_equal(w, net.kernels[l], "absdiff", 0.0));
    CHECK(arma::approx_equal(b, net.biases[l], "absdiff", 0.0));
  }
  const Mlp<double> head(spec.head_spec(), rng);
  CHECK(arma::approx_equal(head.weights[1], net.head.weights[1], "absdiff", 0.0));
  const Network<double> again(spec, 7), other(spec, 8);
  CHECK(arma::approx_equal(again.kernels[1], net.kernels[1], "absdiff", 0.0));
  CHECK(arma::approx_equal(again.head.weights[0], net.head.weights[0], "absdiff", 0.0));
  CHECK_FALSE(arma::approx_equal(other.kernels[0], net.kernels[0], "absdiff", 0.0));
  // xavier on a conv kernel: fan_out = c_out k², as torch.nn.init.xavier_uniform_.
  spec.init = Init::xavier;
  const Network<double> xavier(spec, 7);
  CHECK(arma::abs(xavier.kernels[0]).max() <= std::sqrt(6.0 / (3 * 9 + 4 * 9)));
  CHECK(arma::abs(xavier.kernels[0]).max() > 0.9 * std::sqrt(6.0 / (3 * 9 + 4 * 9)));
}

TEST_CASE("float and double conv nets agree to float precision: loss, logits and every gradient") {
  for (const Case& c : gradient_cases()) {
    CAPTURE(c.name);
    const Network<double> net(c.spec, 11);
    const Network<float> net_f = convert_network<float>(net);
    const arma::mat x = input_away_from_kinks(net, kBatch);  // no max-pool tie or ReLU sign float could flip
    const arma::mat targets = make_targets(c.loss, c.spec.output_dim, kBatch);
    NetworkForward<double> pass;
    NetworkBackward<double> grads;
    NetworkForward<float> pass_f;
    NetworkBackward<float> grads_f;
    const double loss = loss_and_backward(net, x, targets, c.loss, pass, grads, true);
    const double loss_f = loss_and_backward(net_f, arma::conv_to<arma::fmat>::from(x),
                                                 arma::conv_to<arma::fmat>::from(targets), c.loss, pass_f, grads_f, true);
    CHECK(std::abs(loss_f - loss) <= kFloatTol * std::max(1.0, std::abs(loss)));
    require_close(pass_f.logits(), pass.logits(), kFloatTol, "logits");
    for (std::size_t l = 0; l < net.n_conv_layers(); ++l) {
      require_close(grads_f.conv[l].grad_w, grads.conv[l].grad_w, kFloatTol, "∇W conv " + std::to_string(l));
      require_close(grads_f.conv[l].grad_patches, grads.conv[l].grad_patches, kFloatTol, "g_p " + std::to_string(l));
    }
    for (std::size_t l = 0; l < net.head.n_layers(); ++l)
      require_close(grads_f.head.grad_w[l], grads.head.grad_w[l], kFloatTol, "∇W head " + std::to_string(l));
    require_close(grads_f.conv[0].grad_x, grads.conv[0].grad_x, kFloatTol, "∂ℒ/∂x");
  }
}

TEST_CASE("memory_capped_batch: a conv net's batch keeps its widest per-sample block within the bytes; an MLP keeps its batch") {
  // conv 32,64 on 3 × 32 × 32 with max pooling: the widest block is conv layer 1's patches, 288 × 256 values a sample
  const NetworkSpec cifar{.channels = 3, .height = 32, .width = 32,
                          .conv = {layer(32, 1, Padding::same, Pooling::max), layer(64, 1, Padding::same, Pooling::max)},
                          .hidden = {256}, .output_dim = 10, .activation = Activation::gelu, .bias = false,
                          .init = Init::pytorch};
  const Network<float> conv_net(cifar, 1);
  const std::size_t eight_mib = std::size_t(8) << 20;
  CHECK(memory_capped_batch(conv_net, 1000, eight_mib) == eight_mib / (288 * 256 * sizeof(float)));  // 28
  CHECK(memory_capped_batch(conv_net, 10, eight_mib) == 10);       // never above the request
  CHECK(memory_capped_batch(conv_net, 1000, 1) == 1);              // never below one sample
  const Network<float> mlp(NetworkSpec{.channels = 3072, .height = 1, .width = 1, .conv = {}, .hidden = {256},
                                       .output_dim = 10, .activation = Activation::gelu, .bias = false,
                                       .init = Init::pytorch}, 1);
  CHECK(memory_capped_batch(mlp, 1000, eight_mib) == 1000);        // dense nets: evaluation batches unchanged
}
