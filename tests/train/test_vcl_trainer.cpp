// The VCL update rule (Cha & Lee 2025, Appendix B Algorithm 1): Gram truncation at α = 1/2, one step against a
// computation written out here (forward, g, v, EVD, Λ^α Qᵀ, Procrustes by SVD), warm-up, the three target
// Grams, and divergence reported as DivergenceError / TrainResult::diverged.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "train/divergence.hpp"
#include "train/trainer.hpp"
#include "train/vcl.hpp"
#include "blobs.hpp"
#include "test_util.hpp"

using namespace vclab;
using vclab::test::blobs;
using vclab::test::require_close;

namespace {

// Identities in double on d ≤ 8 (products, EVD, SVD): a few hundred ε of the O(1) entries.
constexpr double kRoundingTol = 1e-11;

// v = Σ_i (h⁺h⁺ᵀ − hhᵀ) with h⁺ = h − γ g, written out (the kernel is tested in tests/record/test_vc_shift.cpp).
arma::mat shift_by_definition(const arma::mat& h, const arma::mat& g, double lr) {
  const arma::mat hp = h - lr * g;
  return hp * hp.t() - h * h.t();
}

constexpr std::size_t kInput = 6, kHidden = 4, kClasses = 3, kBatch = 8;

MlpSpec tiny_spec() {
  MlpSpec spec;
  spec.input_dim = kInput;
  spec.hidden = {kHidden};
  spec.output_dim = kClasses;
  spec.activation = Activation::tanh;  // σ' = 1 − σ², written out below
  spec.init = Init::normal;
  return spec;
}

// One batch's forward/backward through the library, packaged as the trainer's StepState.
struct Step {
  NetworkForward<double> pass;
  NetworkBackward<double> grads;
  arma::uvec idx;
  StepState<double> state;
};

void make_step(const Network<double>& model, const arma::mat& x, const arma::uvec& y, double lr, std::size_t step, Step& s) {
  loss_and_backward(model, x, one_hot<double>(y, kClasses), Loss::cross_entropy, s.pass, s.grads, true);
  s.state = StepState<double>{};
  s.state.step = step;
  s.state.lr = lr;
  s.state.pass = &s.pass;
  s.state.grads = &s.grads;
  s.state.indices = &s.idx;
}

VclOptions no_warmup(double alpha, VclGram gram) {
  VclOptions o;
  o.alpha = alpha;
  o.gram = gram;
  o.warmup_epochs = 0;
  o.last_lr = 0.1;
  return o;
}

}  // namespace

TEST_CASE("VCL at alpha = 1/2 without clipping: the new Gram is the rank-k truncation of the target") {
  Network<double> model(Mlp<double>(tiny_spec(), 3));
  arma::arma_rng::set_seed(4);
  const arma::mat x = arma::randn(kInput, kBatch);
  const arma::uvec y = arma::randi<arma::uvec>(kBatch, arma::distr_param(0, int(kClasses) - 1));
  VclOptions o = no_warmup(0.5, VclGram::current);
  o.clip_negative = false;
  Vcl<double> rule(o);
  rule.on_epoch_begin(0);
  Step s;
  make_step(model, x, y, 0.05, 0, s);
  rule.update(model, s.state);

  const arma::mat& target = rule.last_target(0);  // (d_0, d_0)
  arma::vec lambda;
  arma::mat q;
  arma::eig_sym(lambda, q, target);
  const arma::mat qk = q.tail_cols(kHidden);
  const arma::vec lk = lambda.tail(kHidden);
  REQUIRE(lk.min() > 0);  // the truncation below is then the best rank-k PSD approximation
  require_close(arma::mat(model.weight(0).t() * model.weight(0)), arma::mat(qk * arma::diagmat(lk) * qk.t()),
                kRoundingTol, "W0+^T W0+ vs rank-k truncation of W0^T W0 + V0");
  CHECK(rule.epoch_stats().at(0).clipped_total == 0);
  CHECK(rule.epoch_stats().at(0).vcl_steps == 1);
}

TEST_CASE("one VCL step matches Algorithm 1 written out (forward, g, v, EVD, Λ^α Qᵀ, Procrustes by SVD)") {
  Network<double> model(Mlp<double>(tiny_spec(), 5));
  const arma::mat w0 = model.weight(0), w1 = model.weight(1);  // (4, 6), (3, 4)
  arma::arma_rng::set_seed(6);
  const arma::mat x = arma::randn(kInput, kBatch);               // (6, B)
  const arma::uvec y = arma::randi<arma::uvec>(kBatch, arma::distr_param(0, int(kClasses) - 1));
  const double lr = 0.5, alpha = 0.1, last_lr = 0.1;

  // Independent reference: h1 = tanh(W0 x), f = W1 h1, ℒ = mean CE, g = ∂ℒ/∂h (carrying 1/B).
  const arma::mat h1 = arma::tanh(w0 * x);                       // (4, B)
  const arma::mat f = w1 * h1;                                   // (3, B)
  arma::mat p = arma::exp(f.each_row() - arma::max(f, 0));
  p.each_row() /= arma::sum(p, 0);                               // softmax
  arma::mat yhot(kClasses, kBatch, arma::fill::zeros);
  for (std::size_t i = 0; i < kBatch; ++i) yhot(y(i), i) = 1;
  const arma::mat df = (p - yhot) / double(kBatch);              // ∂ℒ/∂f (3, B)
  const arma::mat g1 = w1.t() * df;                              // ∂ℒ/∂h1 (4, B)
  const arma::mat g0 = w0.t() * ((1 - h1 % h1) % g1);            // ∂ℒ/∂x (6, B)
  arma::mat v0(kInput, kInput, arma::fill::zeros);
  for (std::size_t i = 0; i < kBatch; ++i) {
    const arma::vec hi = x.col(i), hp = x.col(i) - lr * g0.col(i);
    v0 += hp * hp.t() - hi * hi.t();
  }
  arma::vec lambda;
  arma::mat q;
  arma::eig_sym(lambda, q, arma::mat(w0.t() * w0 + v0));
  arma::vec scale = lambda.tail(kHidden);                        // k largest, ascending
  for (auto& s : scale) s = s > 0 ? std::pow(s, alpha) : 0.0;
  const arma::mat w_tilde = arma::diagmat(scale) * q.tail_cols(kHidden).t();  // (4, 6) Λ^α Qᵀ
  arma::mat pu, rv;
  arma::vec sigma;
  arma::svd(pu, sigma, rv, arma::mat(w0 * w_tilde.t()));
  const arma::mat w0_expected = pu * rv.t() * w_tilde;
  const arma::mat w1_expected = w1 - last_lr * df * h1.t();

  VclOptions o = no_warmup(alpha, VclGram::current);
  o.last_lr = last_lr;
  Vcl<double> rule(o);
  rule.on_epoch_begin(0);
  Step s;
  make_step(model, x, y, lr, 0, s);
  rule.update(model, s.state);
  require_close(model.weight(0), w0_expected, kRoundingTol, "W0 after one VCL step");
  require_close(model.weight(1), w1_expected, kRoundingTol, "W1 after its SGD step");
  require_close(rule.cumulative_shift(0), v0, kRoundingTol, "V0 after one step");
}

TEST_CASE("the three --vcl-gram variants form the documented targets, and they differ") {
  arma::arma_rng::set_seed(8);
  const arma::mat x1 = arma::randn(kInput, kBatch), x2 = arma::randn(kInput, kBatch);
  const arma::uvec y1 = arma::randi<arma::uvec>(kBatch, arma::distr_param(0, 2)),
                   y2 = arma::randi<arma::uvec>(kBatch, arma::distr_param(0, 2));
  const double lr = 0.3;
  arma::mat targets[3];
  arma::mat w_start, w_mid, v_first, v_second;
  for (VclGram gram : {VclGram::current, VclGram::initial, VclGram::per_step}) {
    Network<double> model(Mlp<double>(tiny_spec(), 9));
    w_start = model.weight(0);
    Vcl<double> rule(no_warmup(0.1, gram));
    rule.on_epoch_begin(0);
    Step s;
    make_step(model, x1, y1, lr, 0, s);
    v_first = shift_by_definition(s.pass.layer_input(0), s.grads.input_grad(0), lr);
    rule.update(model, s.state);
    w_mid = model.weight(0);  // identical for all variants: the first target is W(0)ᵀW(0) + v(0) in each
    make_step(model, x2, y2, lr, 1, s);
    v_second = shift_by_definition(s.pass.layer_input(0), s.grads.input_grad(0), lr);
    rule.update(model, s.state);
    targets[int(gram)] = rule.last_target(0);
  }
  require_close(targets[0], arma::mat(w_mid.t() * w_mid + v_first + v_second), kRoundingTol, "current: W1^T W1 + V");
  require_close(targets[1], arma::mat(w_start.t() * w_start + v_first + v_second), kRoundingTol, "initial: W(0)^T W(0) + V");
  require_close(targets[2], arma::mat(w_mid.t() * w_mid + v_second), kRoundingTol, "per-step: W1^T W1 + v");
  // Distinct by more than rounding: they differ by v(0) and by W1ᵀW1 − W(0)ᵀW(0).
  constexpr double kDistinct = 1e-6;
  CHECK(arma::abs(targets[0] - targets[1]).max() > kDistinct);
  CHECK(arma::abs(targets[0] - targets[2]).max() > kDistinct);
  CHECK(arma::abs(targets[1] - targets[2]).max() > kDistinct);
  CHECK(parse_enum<VclGram>("per-step", "vcl gram") == VclGram::per_step);
  CHECK_THROWS_AS(parse_enum<VclGram>("cumulative", "vcl gram"), std::invalid_argument);
}

TEST_CASE("VCL warm-up trains only the last layer; afterwards the hidden layers move") {
  const Dataset train = blobs(96, 21), test = blobs(48, 22);
  MlpSpec spec = tiny_spec();
  spec.hidden = {5, 4};  // two hidden layers: W0, W1 by VCL, W2 the predictor
  Mlp<double> model(spec, 23);
  const Mlp<double> start = model;
  VclOptions o;
  o.warmup_epochs = 1;
  o.last_lr = 0.1;
  Vcl<double> rule(o);
  TrainOptions t;
  t.lr = 0.5;
  t.batch = 16;
  t.epochs = 1;
  Trainer<double> warm(t, rule);
  REQUIRE_FALSE(warm.run(model, train, test).diverged);
  CHECK(arma::approx_equal(model.weights[0], start.weights[0], "absdiff", 0.0));
  CHECK(arma::approx_equal(model.weights[1], start.weights[1], "absdiff", 0.0));
  CHECK(arma::abs(model.weights[2] - start.weights[2]).max() > 1e-4);

  Mlp<double> model2 = start;
  Vcl<double> rule2(o);
  t.epochs = 2;
  Trainer<double> both(t, rule2);
  REQUIRE_FALSE(both.run(model2, train, test).diverged);
  CHECK(arma::abs(model2.weights[0] - start.weights[0]).max() > 1e-4);
  CHECK(arma::abs(model2.weights[1] - start.weights[1]).max() > 1e-4);
  CHECK(rule2.epoch_stats().size() == 2);
  CHECK(rule2.epoch_stats().at(0).vcl_steps == 96 / 16);
}

TEST_CASE("a diverging VCL setting is reported as DivergenceError / diverged, naming step and layer") {
  // γ = 1e25 in float: γ² g gᵀ overflows to Inf in the target Gram of the very first eigen-step.
  Network<float> model(Mlp<float>(tiny_spec(), 31));
  Vcl<float> rule(VclOptions{0.1, VclGram::current, false, true, 0, true, 0.1});
  arma::arma_rng::set_seed(32);
  const arma::fmat x = arma::randn<arma::fmat>(kInput, kBatch);
  const arma::uvec y = arma::randi<arma::uvec>(kBatch, arma::distr_param(0, 2));
  NetworkForward<float> pass;
  NetworkBackward<float> grads;
  loss_and_backward(model, x, one_hot<float>(y, kClasses), Loss::cross_entropy, pass, grads, true);
  StepState<float> s;
  s.step = 7;
  s.lr = 1e25;
  s.pass = &pass;
  s.grads = &grads;
  rule.on_epoch_begin(0);
  try {
    rule.update(model, s);
    FAIL("no DivergenceError");
  } catch (const DivergenceError& e) {
    CHECK(e.step == 7);
    CHECK(e.layer == "layer 0");
    CHECK(std::string(e.what()).find("NaN or Inf") != std::string::npos);
  }

  const Dataset train = blobs(64, 33), test = blobs(32, 34);
  Mlp<float> model2(tiny_spec(), 35);
  Vcl<float> rule2(VclOptions{0.1, VclGram::current, false, true, 0, true, 0.1});
  TrainOptions t;
  t.lr = 1e25;
  t.batch = 16;
  t.epochs = 2;
  Trainer<float> trainer(t, rule2);
  const TrainResult r = trainer.run(model2, train, test);
  CHECK(r.diverged);
  CHECK(r.divergence_message.find("layer 0") != std::string::npos);
  CHECK(r.steps == 0);
}

TEST_CASE("the fast solver (tracker) gives the full EVD's step where it is used") {
  // d_0 = 64 > k + guards = 4 + 32 + 8, so layer 0 uses the tracker; its converged pairs give the same W⁺.
  MlpSpec spec = tiny_spec();
  spec.input_dim = 64;
  Network<double> a(Mlp<double>(spec, 41));
  Network<double> b = a;
  arma::arma_rng::set_seed(42);
  const arma::mat x = arma::randn(64, kBatch);
  const arma::uvec y = arma::randi<arma::uvec>(kBatch, arma::distr_param(0, 2));
  VclOptions o = no_warmup(0.1, VclGram::current);
  Vcl<double> full(o);
  o.fast_solver = true;
  Vcl<double> fast(o);
  full.on_epoch_begin(0);
  fast.on_epoch_begin(0);
  for (std::size_t step = 0; step < 3; ++step) {
    Step sa, sb;
    make_step(a, x, y, 0.5, step, sa);
    make_step(b, x, y, 0.5, step, sb);
    full.update(a, sa.state);
    fast.update(b, sb.state);
  }
  // Tracker tolerance 1e-8 (relative residual, double) moves the eigenvectors by ≤ tol·‖M‖/gap.
  constexpr double kTrackerTol = 1e-6;
  require_close(b.weight(0), a.weight(0), kTrackerTol, "W0 fast vs full");
  CHECK(fast.epoch_stats().at(0).full_evd == 1);  // cold start only
}

TEST_CASE("the structured fast solver never forms M, yet last_target and V match the full-EVD rule (float)") {
  MlpSpec spec = tiny_spec();
  spec.input_dim = 64;
  Network<float> a(Mlp<float>(spec, 43));
  Network<float> b = a;
  arma::arma_rng::set_seed(44);
  const arma::fmat x = arma::randn<arma::fmat>(64, kBatch);
  const arma::uvec y = arma::randi<arma::uvec>(kBatch, arma::distr_param(0, 2));
  VclOptions o = no_warmup(0.1, VclGram::initial);
  Vcl<float> full(o);
  o.fast_solver = true;
  Vcl<float> fast(o);
  full.on_epoch_begin(0);
  fast.on_epoch_begin(0);
  for (std::size_t step = 0; step < 4; ++step) {
    for (auto [model, rule] : {std::pair{&a, &full}, std::pair{&b, &fast}}) {
      NetworkForward<float> pass;
      NetworkBackward<float> grads;
      loss_and_backward(*model, x, one_hot<float>(y, kClasses), Loss::cross_entropy, pass, grads, true);
      StepState<float> s;
      s.step = step;
      s.lr = 0.5f;
      s.pass = &pass;
      s.grads = &grads;
      rule->update(*model, s);
    }
  }
  // Float tracker tolerance 1e-4 relative residual: the subspace, hence W0 and the next step's h and g,
  // differ by ≲ 1e-4·‖M‖/gap a step; 2e-3 absolute covers four steps of that on O(1) entries.
  constexpr double kFloatStepTol = 2e-3;
  require_close(arma::conv_to<arma::mat>::from(b.weight(0)), arma::conv_to<arma::mat>::from(a.weight(0)), kFloatStepTol,
                "W0 structured fast vs full (float)");
  require_close(arma::conv_to<arma::mat>::from(fast.last_target(0)), arma::conv_to<arma::mat>::from(full.last_target(0)),
                kFloatStepTol, "last_target formed on demand");
  CHECK(fast.epoch_stats().at(0).full_evd == 1);  // cold start only
}
