// Theorem 3 (Cha & Lee 2025, App. A.2): single-sample, unit-norm, one-layer SGD steps satisfy
// |a| ≤ L²|v| and sgn a = sgn v for increasing σ; GELU's sign statement fails; zeros are classified.
#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include "analyses/theorem3.hpp"
#include "model/backprop.hpp"
#include "test_util.hpp"

using namespace vclab;

namespace {

constexpr std::size_t kTrials = 150;  // random nets × samples per activation

Mlp<double> random_model(Activation act, std::size_t depth, bool bias, std::uint64_t seed) {
  MlpSpec spec;
  spec.input_dim = 8;
  spec.hidden = std::vector<std::size_t>(depth, 6);
  spec.output_dim = 3;
  spec.activation = act;
  spec.bias = bias;
  spec.init = Init::normal;
  return Mlp<double>(spec, seed);
}

arma::mat unit_column(std::uint64_t seed) {
  arma::arma_rng::set_seed(seed);
  arma::mat x = arma::randn(8, 1);
  return x / arma::norm(x);
}

}  // namespace

TEST_CASE("tally classifies zeros explicitly") {
  Theorem3Step s;
  // columns: a = v (equality), |a| < |v|, v = 0 with a = 0, a = 0 with v ≠ 0, opposite signs, |a| > |v|
  s.a = arma::mat{{0.5, 0.1, 0.0, 0.0, -0.2, 0.9}};
  s.v = arma::mat{{0.5, 0.3, 0.0, 0.4, 0.3, 0.5}};
  s.slack = arma::zeros(1, 6);
  s.input_norm = arma::rowvec{1.0};
  Theorem3Tally t;
  tally_theorem3(s, 1.0, t, true);
  CHECK(t.n == 6);
  CHECK(t.bound_ok == 5);      // all but |a| = 0.9 > 0.5
  CHECK(t.bound_strict == 3);  // 0.1 < 0.3, 0 < 0.4, 0.2 < 0.3; equality and 0 < 0 are not strict
  CHECK(t.sign_equal == 4);    // equality, 0.1/0.3, a = v = 0, and 0.9/0.5 (too large, same sign)
  CHECK(t.sign_opposite == 1);
  CHECK(t.a_zero == 1);
  CHECK(t.v_zero == 1);
  CHECK(t.v_zero_moved == 0);
  CHECK(t.bound_rate_v_nonzero() == doctest::Approx(4.0 / 5.0));
  CHECK(t.sign_opposite_rate_v_nonzero() == doctest::Approx(1.0 / 5.0));
  CHECK(t.ratios.size() == 5);
  CHECK(t.max_ratio == doctest::Approx(1.8));
}

TEST_CASE("single sample, unit norm, one layer: bound and sign hold for every element (ReLU, tanh, sigmoid, softplus)") {
  std::mt19937_64 rng(99);
  std::uniform_real_distribution<double> log_lr(std::log(1e-3), std::log(3.0));
  for (Activation act : {Activation::relu, Activation::leaky_relu, Activation::tanh, Activation::sigmoid, Activation::softplus}) {
    CAPTURE(to_string(act));
    Theorem3Tally tally;
    std::size_t active = 0;  // ReLU: elements with z > 0
    for (std::size_t trial = 0; trial < kTrials; ++trial) {
      const std::size_t depth = 1 + trial % 2;
      const Mlp<double> model = random_model(act, depth, false, 1000 + trial);
      const arma::mat x = unit_column(5000 + trial);
      const arma::mat targets = one_hot<double>(arma::uvec{trial % 3}, 3);
      const double lr = std::exp(log_lr(rng));
      const Theorem3Step step = theorem3_step(model, x, targets, Loss::cross_entropy, 1, lr, false);
      CHECK(step.input_norm(0) == doctest::Approx(1.0).epsilon(1e-14));
      tally_theorem3(step, lipschitz_constant(act), tally, false);
      if (act == Activation::relu) {
        for (arma::uword i = 0; i < step.z.n_elem; ++i) {
          if (step.z(i) > 0) ++active;
          else CHECK(step.a(i) == 0.0);  // inactive: σ'(z) = 0, so z⁺ = z
        }
      }
    }
    CHECK(tally.n == kTrials * 6);
    CHECK(tally.bound_ok == tally.n);
    CHECK(tally.sign_opposite == 0);
    if (act == Activation::relu) {
      CHECK(tally.sign_equal + tally.a_zero == tally.n);  // inactive units: a = 0 while v ≠ 0
      CHECK(tally.sign_equal >= active);
      CHECK(tally.a_zero > 0);
    } else if (act != Activation::leaky_relu) {
      CHECK(tally.sign_equal == tally.n);
    }
  }
}

TEST_CASE("GELU: the bound holds with L = 1.1289 but not with the paper's L = 1") {
  Theorem3Tally true_l, paper_l;
  for (std::size_t trial = 0; trial < kTrials; ++trial) {
    const Mlp<double> model = random_model(Activation::gelu, 1, false, 7000 + trial);
    const arma::mat x = unit_column(9000 + trial);
    const arma::mat targets = one_hot<double>(arma::uvec{trial % 3}, 3);
    const Theorem3Step step = theorem3_step(model, x, targets, Loss::cross_entropy, 1, 0.1, false);
    tally_theorem3(step, kGeluLipschitz, true_l, false);
    tally_theorem3(step, 1.0, paper_l, false);
  }
  CHECK(true_l.bound_ok == true_l.n);
  CHECK(paper_l.bound_ok < paper_l.n);     // GELU'(z)² > 1 for z ≳ 0.7 pushes |a| above |v|
  CHECK(paper_l.max_ratio > 1.0);
  CHECK(true_l.max_ratio <= 1.0 + 1e-9);
}

TEST_CASE("GELU sign statement fails: closed form and on a network") {
  // Closed form: z = −1.5 lies where GELU decreases; g > 0 pushes z right, over the minimum at −0.75.
  const Theorem3Counterexample c = gelu_sign_counterexample(-1.5, 1.0, 1e-2, 1e2, 81);
  REQUIRE(c.found);
  CHECK(c.a * c.v < 0);
  CHECK(c.slope_at_z < 0);
  CHECK(c.z_plus > -0.7518);  // crossed the minimum of GELU
  CHECK_FALSE(gelu_sign_counterexample(-1.5, 1.0, 1e-3, 1e-1, 21).found);  // small steps keep the sign

  // The same on a net: x = e_1, W_0 = [−1.5 0] (one GELU unit, z = −1.5), W_1 = [1; −1], target class 1.
  MlpSpec spec;
  spec.input_dim = 2;
  spec.hidden = {1};
  spec.output_dim = 2;
  spec.activation = Activation::gelu;
  Mlp<double> model(spec, 1);
  model.weights[0] = arma::mat(arma::rowvec{-1.5, 0.0});
  model.weights[1] = arma::mat(arma::vec{1.0, -1.0});
  const arma::mat x(arma::vec{1.0, 0.0});
  const arma::mat targets = one_hot<double>(arma::uvec{1}, 2);
  bool found = false;
  for (double lr = 0.1; lr < 1e4 && !found; lr *= 1.25) {
    const Theorem3Step step = theorem3_step(model, x, targets, Loss::cross_entropy, 1, lr, false);
    Theorem3Tally t;
    tally_theorem3(step, kGeluLipschitz, t, false);
    if (t.sign_opposite > 0) {
      found = true;
      CHECK(step.g(0) > 0);
      CHECK(step.a(0) > 0);
      CHECK(step.v(0) < 0);
    }
  }
  CHECK(found);
}

TEST_CASE("with a bias, z⁺ − z = −γ ∂ℒ/∂z (‖h‖² + 1): the unit-norm bound can fail by up to 2") {
  const Mlp<double> model = random_model(Activation::tanh, 1, true, 31);
  const arma::mat x = unit_column(32);
  const arma::mat targets = one_hot<double>(arma::uvec{0}, 3);
  const double lr = 0.2;
  ForwardPass<double> pass;
  BackwardPass<double> grads;
  loss_and_backward(model, x, targets, Loss::cross_entropy, pass, grads, false);
  const Theorem3Step step = theorem3_step(model, x, targets, Loss::cross_entropy, 1, lr, false);
  vclab::test::require_close(step.dz, -lr * 2.0 * grads.grad_z[0], 1e-14, "z⁺ − z with bias");
}

TEST_CASE("mini-batch step: z⁺ − z = −γ Σ_j ∂ℒ/∂z_j ⟨h_j, h⟩, not −γ ∂ℒ/∂z") {
  const Mlp<double> model = random_model(Activation::softplus, 1, false, 41);
  arma::arma_rng::set_seed(42);
  arma::mat x = arma::abs(arma::randn(8, 5));  // positive inputs: large ⟨h_j, h_i⟩, as for images
  x.each_row() /= arma::sqrt(arma::sum(arma::square(x), 0));
  const arma::mat targets = one_hot<double>(arma::uvec{0, 1, 2, 0, 1}, 3);
  const double lr = 0.5;
  ForwardPass<double> pass;
  BackwardPass<double> grads;
  loss_and_backward(model, x, targets, Loss::cross_entropy, pass, grads, false);
  const Theorem3Step step = theorem3_step(model, x, targets, Loss::cross_entropy, 1, lr, false);
  vclab::test::require_close(step.dz, -lr * grads.grad_z[0] * (x.t() * x), 1e-13, "batch z⁺ − z");
  Theorem3Tally t;
  tally_theorem3(step, 1.0, t, false);
  CHECK(t.bound_ok < t.n);  // cross terms break the bound
}

// ---- Conv layers (weights shared across positions): the theorem does not apply, the measurement must be right ----

namespace {

constexpr double kConvFiniteDiffStep = 1e-5;  // central differences in double
constexpr double kConvFiniteDiffTol = 1e-8;   // O(h²) truncation and eps/h rounding, times γ, relative to max(1, |ref|)
constexpr double kConvIdentityTol = 1e-13;    // the same algebra in another order: rounding only

// A tiny CNN in double: 2 × 4 × 4 images, conv 3 (3 × 3, 'same', no pooling) then conv 2 (max pooling), hidden 5.
NetworkSpec tiny_conv_spec(Activation act) {
  return NetworkSpec{.channels = 2, .height = 4, .width = 4,
                     .conv = {ConvLayerSpec{.c_out = 3, .kernel = 3}, ConvLayerSpec{.c_out = 2, .kernel = 3, .pooling = Pooling::max}},
                     .hidden = {5}, .output_dim = 3, .activation = act, .bias = false, .init = Init::normal};
}

// What follows conv layer 0 (no pooling there, so its h is the next layer's input), with the same weights: the loss as
// a function of h_0 alone, for finite differences that never call the backward pass.
Network<double> tail_after_conv0(const Network<double>& net) {
  const NetworkSpec& s = net.spec;
  NetworkSpec t{.channels = s.conv[0].c_out, .height = s.height, .width = s.width, .conv = {s.conv[1]}, .hidden = s.hidden,
                .output_dim = s.output_dim, .activation = s.activation, .bias = false, .init = s.init};
  Network<double> tail(t, 1);
  tail.kernels[0] = net.kernels[1];
  tail.head = net.head;
  return tail;
}

double loss_of(const Network<double>& net, const arma::mat& x, const arma::mat& targets) {
  NetworkForward<double> pass;
  forward(net, x, pass);
  return loss_and_gradient(Loss::cross_entropy, pass.logits(), targets, nullptr);
}

}  // namespace

TEST_CASE("conv layer 0: a and v against W⁺ from finite differences, conv_forward re-run, and g from the tail net") {
  const Network<double> net(tiny_conv_spec(Activation::tanh), 17);
  arma::arma_rng::set_seed(18);
  const arma::mat x = arma::randu(net.spec.input_dim(), 1);  // non-negative pixels, as images
  const arma::mat targets = one_hot<double>(arma::uvec{2}, 3);
  const double lr = 0.5;
  const Theorem3Step step = theorem3_step(net, x, targets, Loss::cross_entropy, 1, lr, false);
  const ConvGeometry g0 = net.spec.conv_geometries()[0];
  REQUIRE(step.a.n_rows == g0.c_out * g0.positions());

  // ∇W_0 by central differences of the loss, then W⁺ by hand and z⁺ = conv_forward(W⁺)
  const double h = kConvFiniteDiffStep;
  arma::mat grad_w(arma::size(net.kernels[0]));
  for (arma::uword k = 0; k < grad_w.n_elem; ++k) {
    Network<double> up = net, down = net;
    up.kernels[0](k) += h;
    down.kernels[0](k) -= h;
    grad_w(k) = (loss_of(up, x, targets) - loss_of(down, x, targets)) / (2 * h);
  }
  ConvForward<double> before, after;
  conv_forward(g0, net.kernels[0], x, before);
  conv_forward(g0, arma::mat(net.kernels[0] - lr * grad_w), x, after);
  const arma::mat a_ref = activate(Activation::tanh, after.z) - activate(Activation::tanh, before.z);
  vclab::test::require_close(step.a, a_ref, kConvFiniteDiffTol, "a = σ(W⁺P) − σ(WP)");
  vclab::test::require_close(step.dz, after.z - before.z, kConvFiniteDiffTol, "z⁺ − z");

  // g_0 = ∂ℒ/∂h_0 by central differences through the rest of the net
  const Network<double> tail = tail_after_conv0(net);
  const arma::mat h0 = activate(Activation::tanh, before.z);
  arma::mat g_ref(arma::size(h0));
  for (arma::uword k = 0; k < h0.n_elem; ++k) {
    arma::mat up = h0, down = h0;
    up(k) += h;
    down(k) -= h;
    g_ref(k) = (loss_of(tail, up, targets) - loss_of(tail, down, targets)) / (2 * h);
  }
  vclab::test::require_close(step.v, -lr * g_ref, kConvFiniteDiffTol, "v = −γ g");

  // The cross-position term: z⁺_q − z_q = −γ Σ_q′ δ_q′ ⟨p_q′, p_q⟩ with δ = σ′(z) ∘ g, in the rows form (c_out, n)
  const arma::mat patches = im2col(g0, x);  // (c_in k², n)
  const arma::mat delta = to_channel_rows(arma::mat(activate_derivative(Activation::tanh, step.z) % step.g), g0.c_out);
  const arma::mat dz_rows = -lr * delta * (patches.t() * patches);
  vclab::test::require_close(to_channel_rows(step.dz, g0.c_out), dz_rows, kConvIdentityTol, "Σ over positions");
  arma::mat own_position = delta.each_row() % arma::sum(arma::square(patches), 0);  // −γ δ_q ‖p_q‖²: the MLP's term alone
  own_position *= -lr;
  CHECK(arma::abs(dz_rows - own_position).max() > 1e3 * kConvIdentityTol * arma::abs(dz_rows).max());
  vclab::test::require_close(step.column_norm, arma::sqrt(arma::sum(arma::square(patches), 0)), kConvIdentityTol, "‖p‖");
  CHECK(step.input_norm(0) == doctest::Approx(arma::norm(x)).epsilon(1e-14));
}

TEST_CASE("conv layer 1 (input: conv layer 0's output) and the head's hidden layer are measured at the right layer") {
  const Network<double> net(tiny_conv_spec(Activation::gelu), 23);
  arma::arma_rng::set_seed(24);
  const arma::mat x = arma::randu(net.spec.input_dim(), 2);
  const arma::mat targets = one_hot<double>(arma::uvec{0, 1}, 3);
  NetworkForward<double> pass;
  NetworkBackward<double> grads;
  loss_and_backward(net, x, targets, Loss::cross_entropy, pass, grads, false);
  const Theorem3Step conv1 = theorem3_step(net, x, targets, Loss::cross_entropy, 2, 0.1, false);
  vclab::test::require_close(conv1.z, pass.conv[1].z, 0.0, "conv layer 1's z");
  vclab::test::require_close(conv1.v, -0.1 * grads.grad_h[1], 0.0, "conv layer 1's v");
  vclab::test::require_close(conv1.input_norm, arma::sqrt(arma::sum(arma::square(pass.h[0]), 0)), kConvIdentityTol, "‖x_1‖");
  Theorem3Tally t;
  tally_theorem3(conv1, 1.0, t, false);
  CHECK(t.v_zero >= t.n / 2);  // 2 × 2 max pooling: 3 of 4 units get g = 0 (more where the pooled side is odd)
  CHECK(t.v_zero_moved > 0);   // ... and still move, through the other positions' terms
  const Theorem3Step dense = theorem3_step(net, x, targets, Loss::cross_entropy, 3, 0.1, false);
  vclab::test::require_close(dense.z, pass.head.z[1], 0.0, "the head's hidden z");
  CHECK_THROWS_AS(theorem3_step(net, x, targets, Loss::cross_entropy, 4, 0.1, false), std::invalid_argument);
}

TEST_CASE("1 × 1 images and kernel 1 (n = 1 position): the conv layer is a dense layer and the tallies are equal exactly") {
  for (Activation act : {Activation::relu, Activation::tanh, Activation::gelu}) {
    CAPTURE(to_string(act));
    Theorem3Tally conv_tally, mlp_tally;
    for (std::size_t trial = 0; trial < 40; ++trial) {
      const Mlp<double> mlp = random_model(act, 1, false, 300 + trial);  // 8 → 6 → 3
      NetworkSpec spec{.channels = 8, .height = 1, .width = 1, .conv = {ConvLayerSpec{.c_out = 6, .kernel = 1}}, .hidden = {},
                       .output_dim = 3, .activation = act, .bias = false, .init = Init::normal};
      Network<double> net(spec, 1);
      net.kernels[0] = mlp.weights[0];  // (c_out, c_in·1²): the dense W_0
      net.head.weights[0] = mlp.weights[1];
      const arma::mat x = unit_column(400 + trial);
      const arma::mat targets = one_hot<double>(arma::uvec{trial % 3}, 3);
      const double lr = 0.05 * double(1 + trial % 7);
      const Theorem3Step c = theorem3_step(net, x, targets, Loss::cross_entropy, 1, lr, false);
      const Theorem3Step m = theorem3_step(mlp, x, targets, Loss::cross_entropy, 1, lr, false);
      vclab::test::require_close(c.a, m.a, kConvIdentityTol, "a");
      vclab::test::require_close(c.v, m.v, kConvIdentityTol, "v");
      tally_theorem3(c, lipschitz_constant(act), conv_tally, true);
      tally_theorem3(m, lipschitz_constant(act), mlp_tally, true);
    }
    CHECK(conv_tally.n == mlp_tally.n);
    CHECK(conv_tally.bound_ok == mlp_tally.bound_ok);
    CHECK(conv_tally.bound_strict == mlp_tally.bound_strict);
    CHECK(conv_tally.sign_equal == mlp_tally.sign_equal);
    CHECK(conv_tally.sign_opposite == mlp_tally.sign_opposite);
    CHECK(conv_tally.a_zero == mlp_tally.a_zero);
    CHECK(conv_tally.v_zero == mlp_tally.v_zero);
    CHECK(conv_tally.ratios == mlp_tally.ratios);
    CHECK(conv_tally.column_norms == mlp_tally.input_norms);
    CHECK(mlp_tally.bound_ok == mlp_tally.n);  // the theorem's setting: a dense layer, B = 1, ‖x‖ = 1
  }
}

TEST_CASE("quantile: linear interpolation between order statistics") {
  Theorem3Tally t;
  t.ratios = {5, 1, 4, 2, 3};
  CHECK(t.quantile(0.0) == 1.0);
  CHECK(t.quantile(0.5) == 3.0);
  CHECK(t.quantile(0.9) == doctest::Approx(4.6));
  CHECK(t.quantile(1.0) == 5.0);
}
