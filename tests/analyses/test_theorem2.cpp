// Theorem 2 (Cha & Lee 2025, App. A.1): exact form G⁺ − G − v = γ²(∇Wᵀ∇W − Σ g gᵀ) per step and summed
// over a run, the γ scaling of ‖ΔG‖ and of the residual, and the log–log slope fit.
#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include "analyses/loglog_slope.hpp"
#include "analyses/theorem2.hpp"
#include "model/backprop.hpp"
#include "test_util.hpp"
#include "train/sgd.hpp"

using namespace vclab;
using vclab::test::require_close;

namespace {

// The identity's two sides are built from O(d·B) products in double: rounding error a few hundred
// ulps of ‖G‖ at most for d ≤ 8.
constexpr double kIdentityTol = 1e-13;
// A broken identity (momentum, weight decay) misses by a first-order term: far above rounding.
constexpr double kBrokenIdentityMin = 1e-4;
// Slopes of exact power laws come back to rounding error of the log–log regression.
constexpr double kExactSlopeTol = 1e-10;

struct Problem {
  Network<double> model;  // an MLP: a Network without conv layers
  arma::mat x, targets;
};

Problem make_problem(std::vector<std::size_t> hidden, Activation act, bool bias, std::uint64_t seed, std::size_t batch) {
  MlpSpec spec;
  spec.input_dim = 7;
  spec.hidden = std::move(hidden);
  spec.output_dim = 3;
  spec.activation = act;
  spec.bias = bias;
  spec.init = Init::normal;
  Problem p{Network<double>(Mlp<double>(spec, seed)), {}, {}};
  arma::arma_rng::set_seed(seed);
  p.x = arma::randn(7, batch);
  p.targets = one_hot<double>(arma::randi<arma::uvec>(batch, arma::distr_param(0, 2)), 3);
  return p;
}

}  // namespace

TEST_CASE("gram_change, vc_shift_matrix and theorem2_residual agree with their definitions") {
  Problem p = make_problem({6}, Activation::tanh, false, 5, 4);
  NetworkForward<double> pass;
  NetworkBackward<double> grads;
  loss_and_backward(p.model, p.x, p.targets, Loss::cross_entropy, pass, grads, true);
  const double lr = 0.3;
  const arma::mat& w = p.model.weight(0);
  const arma::mat w_plus = w - lr * grads.weight_grad(0);
  require_close(gram_change(w, w_plus), w_plus.t() * w_plus - w.t() * w, kIdentityTol, "ΔG");
  const arma::mat h = pass.layer_input(0), g = grads.input_grad(0), hp = h - lr * g;
  require_close(vc_shift_matrix(h, g, lr), hp * hp.t() - h * h.t(), kIdentityTol, "v");
  require_close(theorem2_residual(grads.weight_grad(0), g, lr),
                lr * lr * (grads.weight_grad(0).t() * grads.weight_grad(0) - g * g.t()), kIdentityTol, "γ² residual");
}

TEST_CASE("Theorem 2 exact form holds to rounding error on random nets of depth 1-3 (double)") {
  std::size_t checked = 0;
  for (std::size_t depth = 1; depth <= 3; ++depth) {
    for (Activation act : {Activation::gelu, Activation::relu, Activation::tanh, Activation::sigmoid}) {
      for (bool bias : {false, true}) {
        for (double lr : {1e-3, 0.05, 1.0}) {
          for (std::uint64_t seed : {1u, 2u, 3u}) {
            CAPTURE(depth);
            CAPTURE(to_string(act));
            CAPTURE(bias);
            CAPTURE(lr);
            Problem p = make_problem(std::vector<std::size_t>(depth, 6), act, bias, seed * 100 + depth, 5);
            const auto sweep = theorem2_lr_sweep(p.model, p.x, p.targets, Loss::cross_entropy, {lr}, Sgd<double>());
            for (const Theorem2Step& m : sweep[0]) {
              CHECK(m.identity_error_gram <= kIdentityTol);
              CHECK(m.gram_change > 0);
              ++checked;
            }
          }
        }
      }
    }
  }
  CHECK(checked == 4 * 2 * 3 * 3 * (2 + 3 + 4));  // activations × bias × γ × seeds × layers
}

TEST_CASE("momentum and weight decay break the exact identity by a first-order term") {
  Problem p = make_problem({6, 5}, Activation::gelu, false, 9, 6);
  for (SgdOptions options : {SgdOptions{0.9, 0.0}, SgdOptions{0.0, 0.05}}) {
    CAPTURE(options.momentum);
    CAPTURE(options.weight_decay);
    Sgd<double> rule(options);
    Network<double> model = p.model;
    // A few steps so that momentum's velocity differs from the current gradient.
    for (int step = 0; step < 3; ++step) {
      NetworkForward<double> pass;
      NetworkBackward<double> grads;
      loss_and_backward(model, p.x, p.targets, Loss::cross_entropy, pass, grads, true);
      StepState<double> state;
      state.lr = 0.1;
      state.pass = &pass;
      state.grads = &grads;
      rule.update(model, state);
    }
    const auto sweep = theorem2_lr_sweep(model, p.x, p.targets, Loss::cross_entropy, {1e-3}, rule);
    for (const Theorem2Step& m : sweep[0]) CHECK(m.identity_error > kBrokenIdentityMin);
  }
}

TEST_CASE("one step from the same state: ‖ΔG‖ ∝ γ at small γ, residual ∝ γ² exactly (double)") {
  Problem p = make_problem({8, 6}, Activation::gelu, false, 17, 8);
  const std::vector<double> lrs = log_spaced(1e-4, 1e-1, 7);
  const auto sweep = theorem2_lr_sweep(p.model, p.x, p.targets, Loss::cross_entropy, lrs, Sgd<double>());
  for (std::size_t l = 0; l < p.model.n_layers(); ++l) {
    arma::vec x(lrs), dg(lrs.size()), res(lrs.size());
    for (std::size_t i = 0; i < lrs.size(); ++i) {
      dg(i) = sweep[i][l].gram_change;
      res(i) = sweep[i][l].residual;
    }
    CHECK(fit_loglog_slope(x, res).slope == doctest::Approx(2.0).epsilon(1e-6));
    CHECK(fit_loglog_slope(x, dg).slope == doctest::Approx(1.0).epsilon(0.02));
  }
}

TEST_CASE("with momentum the one-step residual scales like γ, not γ²") {
  Problem p = make_problem({8}, Activation::tanh, false, 23, 8);
  Sgd<double> rule(SgdOptions{0.9, 0.0});
  Network<double> model = p.model;
  for (int step = 0; step < 5; ++step) {
    NetworkForward<double> pass;
    NetworkBackward<double> grads;
    loss_and_backward(model, p.x, p.targets, Loss::cross_entropy, pass, grads, true);
    StepState<double> state;
    state.lr = 0.1;
    state.pass = &pass;
    state.grads = &grads;
    rule.update(model, state);
  }
  const std::vector<double> lrs = log_spaced(1e-5, 1e-3, 5);
  const auto sweep = theorem2_lr_sweep(model, p.x, p.targets, Loss::cross_entropy, lrs, rule);
  arma::vec x(lrs), res(lrs.size());
  for (std::size_t i = 0; i < lrs.size(); ++i) res(i) = sweep[i][0].residual;
  CHECK(fit_loglog_slope(x, res).slope == doctest::Approx(1.0).epsilon(0.05));
}

TEST_CASE("fit_loglog_slope recovers exponents of exact and noisy power laws") {
  const arma::vec x = arma::logspace(-4, 0, 13);
  for (double p : {-1.0, 0.5, 1.0, 2.0, 3.0}) {
    const arma::vec y = 3.0 * arma::pow(x, p);
    const LogLogFit fit = fit_loglog_slope(x, y);
    CHECK(std::abs(fit.slope - p) <= kExactSlopeTol);
    CHECK(std::abs(fit.intercept - std::log(3.0)) <= kExactSlopeTol);
    CHECK(fit.r_squared == doctest::Approx(1.0).epsilon(1e-12));
    CHECK(fit.predict(0.01) == doctest::Approx(3.0 * std::pow(0.01, p)).epsilon(1e-9));
  }
  // Multiplicative log-normal noise (σ = 0.1 in log space) over 4 decades: the slope's standard
  // error is σ / sqrt(Σ (log x − mean)²) ≈ 0.1 / 9.6 ≈ 0.01, so 0.05 is five standard errors.
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(0.0, 0.1);
  for (double p : {1.0, 2.0}) {
    arma::vec y = 0.5 * arma::pow(x, p);
    for (auto& value : y) value *= std::exp(noise(rng));
    const LogLogFit fit = fit_loglog_slope(x, y);
    CHECK(std::abs(fit.slope - p) < 0.05);
    CHECK(fit.r_squared > 0.99);
  }
  CHECK_THROWS_AS(fit_loglog_slope(arma::vec{1.0, 2.0}, arma::vec{1.0}), std::invalid_argument);
  CHECK_THROWS_AS(fit_loglog_slope(arma::vec{1.0, 2.0}, arma::vec{1.0, 0.0}), std::invalid_argument);
  CHECK_THROWS_AS(fit_loglog_slope(arma::vec{2.0, 2.0}, arma::vec{1.0, 3.0}), std::invalid_argument);
}
