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
