// The shared training loop: hooks, schedules, determinism, divergence, and the cumulative Theorem 2 identity.
#include <doctest/doctest.h>

#include "record/vc_shift_accumulator.hpp"
#include "train/sgd.hpp"
#include "train/trainer.hpp"
#include "blobs.hpp"
#include "test_util.hpp"

using namespace vclab;
using vclab::test::blobs;
using vclab::test::require_close;

namespace {

// Options of a plain SGD run: step size, batch size, epochs; the rest at their defaults.
TrainOptions sgd_options(double lr, std::size_t batch, std::size_t epochs) {
  TrainOptions options;
  options.lr = lr;
  options.batch = batch;
  options.epochs = epochs;
  return options;
}

MlpSpec small_spec() {
  MlpSpec spec;
  spec.input_dim = 6;
  spec.hidden = {8, 5};
  spec.output_dim = 3;
  spec.activation = Activation::gelu;
  spec.init = Init::normal;
  return spec;
}

// Records every checkpoint's weights and, in double, the full Grams and V, plus Σ of the exact γ² residuals.
struct CumulativeObserver : Observer<double> {
  bool needs_input_grad() const override { return true; }  // V_0 is built from g_0
  bool needs_weight_grads() const override { return true; }  // the residual sum reads ∇W
  std::vector<CheckpointInfo> checkpoints;
  std::vector<arma::mat> gram0;
  VcShiftAccumulator vc;
  std::vector<arma::mat> residual_sum;  // Σ_τ γ² (∇Wᵀ∇W − Σ_i g gᵀ)
  void on_begin(const Network<double>& m) override {
    std::vector<std::size_t> widths;
    for (std::size_t l = 0; l < m.n_layers(); ++l) {
      gram0.push_back(m.weight(l).t() * m.weight(l));
      widths.push_back(m.input_width(l));
      residual_sum.push_back(arma::zeros(m.input_width(l), m.input_width(l)));
    }
    vc = VcShiftAccumulator(widths, RecordMode::full);
  }
  void on_backward(const Network<double>& m, const StepState<double>& s) override {
    for (std::size_t l = 0; l < m.n_layers(); ++l) {
      vc.add(l, s.pass->layer_input(l), s.grads->input_grad(l), s.lr);
      const arma::mat& gw = s.grads->weight_grad(l);
      const arma::mat& g = s.grads->input_grad(l);
      residual_sum[l] += s.lr * s.lr * (gw.t() * gw - g * g.t());
    }
  }
  void on_checkpoint(const Network<double>&, const CheckpointInfo& info) override { checkpoints.push_back(info); }
};

}  // namespace

TEST_CASE("cumulative Theorem 2: G_t − G_0 − V_t equals the summed γ² residuals to rounding error") {
  const Dataset train = blobs(40, 1), test = blobs(20, 2);
  Mlp<double> model(small_spec(), 3);
  const TrainOptions options = sgd_options(0.2, 8, 3);
  Sgd<double> sgd;
  Trainer<double> trainer(options, sgd);
  CumulativeObserver observer;
  trainer.add_observer(observer);
  const TrainResult result = trainer.run(model, train, test);
  REQUIRE_FALSE(result.diverged);
  CHECK(result.steps == 15);
  for (std::size_t l = 0; l < model.n_layers(); ++l) {
    const arma::mat dgram = model.weights[l].t() * model.weights[l] - observer.gram0[l];
    const arma::mat lhs = dgram - observer.vc.value(l);
    require_close(lhs, observer.residual_sum[l], 1e-12, "cumulative identity layer " + std::to_string(l));
    // and V is the leading term: the residual is small relative to ΔG
    CHECK(arma::norm(lhs, "fro") < 0.5 * arma::norm(dgram, "fro"));
  }
}

TEST_CASE("checkpoint schedule: initial, every N, and the end") {
  const Dataset train = blobs(30, 1), test = blobs(10, 2);
  auto run = [&](const std::string& every, std::size_t epochs) {
    Mlp<double> model(small_spec(), 3);
    TrainOptions options;
    options.batch = 10;
    options.epochs = epochs;
    options.schedule = RecordSchedule::parse(every);
    Sgd<double> sgd;
    Trainer<double> trainer(options, sgd);
    CumulativeObserver observer;
    trainer.add_observer(observer);
    trainer.run(model, train, test);
    std::vector<std::int64_t> steps;
    for (const auto& c : observer.checkpoints) steps.push_back(c.step);
    for (std::size_t i = 0; i < observer.checkpoints.size(); ++i) CHECK(observer.checkpoints[i].index == i);
    CHECK(observer.checkpoints.back().final);
    return steps;
  };
  CHECK(run("1", 3) == std::vector<std::int64_t>{0, 3, 6, 9});
  CHECK(run("2epochs", 3) == std::vector<std::int64_t>{0, 6, 9});
  CHECK(run("4steps", 3) == std::vector<std::int64_t>{0, 4, 8, 9});
  CHECK(run("3steps", 2) == std::vector<std::int64_t>{0, 3, 6});
  CHECK_THROWS_AS(RecordSchedule::parse("0"), std::invalid_argument);
  CHECK_THROWS_AS(RecordSchedule::parse("3 weeks"), std::invalid_argument);
}

TEST_CASE("same seed gives bit-identical weights and metrics; another seed does not") {
  const Dataset train = blobs(50, 1), test = blobs(20, 2);
  auto run = [&](std::uint64_t seed) {
    Mlp<float> model(small_spec(), seed);
    TrainOptions options;
    options.batch = 7;
    options.epochs = 2;
    options.seed = seed + 1;
    Sgd<float> sgd;
    Trainer<float> trainer(options, sgd);
    const TrainResult r = trainer.run(model, train, test);
    return std::make_pair(model, r);
  };
  const auto [a, ra] = run(4);
  const auto [b, rb] = run(4);
  const auto [c, rc] = run(5);
  for (std::size_t l = 0; l < a.n_layers(); ++l) CHECK(arma::approx_equal(a.weights[l], b.weights[l], "absdiff", 0.0f));
  CHECK(ra.epochs.back().test_loss == rb.epochs.back().test_loss);
  CHECK_FALSE(arma::approx_equal(a.weights[0], c.weights[0], "absdiff", 0.0f));
}

TEST_CASE("training learns a separable problem") {
  const Dataset train = blobs(300, 1), test = blobs(100, 2);
  Mlp<double> model(small_spec(), 3);
  const TrainOptions options = sgd_options(0.5, 16, 10);
  Sgd<double> sgd;
  Trainer<double> trainer(options, sgd);
  const TrainResult r = trainer.run(model, train, test);
  CHECK(r.epochs.front().test_accuracy < 0.6);
  CHECK(r.epochs.back().test_accuracy > 0.9);
}

TEST_CASE("a diverging learning rate is caught, reported with its step, and recordings stop at the last finite state") {
  const Dataset train = blobs(40, 1), test = blobs(10, 2);
  Mlp<double> model(small_spec(), 3);
  const TrainOptions options = sgd_options(1e6, 8, 3);
  Sgd<double> sgd;
  Trainer<double> trainer(options, sgd);
  CumulativeObserver observer;
  trainer.add_observer(observer);
  const TrainResult r = trainer.run(model, train, test);
  CHECK(r.diverged);
  CHECK(r.divergence_message.find("diverged at step") != std::string::npos);
  CHECK(r.steps < 15);
  for (const auto& c : observer.checkpoints) CHECK_FALSE(c.final);
}

TEST_CASE("a non-finite gradient with a finite loss is caught and names the step, layer and quantity") {
  // W0 = 0 with the identity activation: h1 = 0 and the logits are 0, so the loss is log 3 for any input; with
  // inputs of about 2.5e37 and entries of W1 of about 1000, ∂ℒ/∂W0 = (W1ᵀ ∂ℒ/∂logits) xᵀ exceeds float's 3.4e38 and
  // becomes Inf. The loss check passes; the gradient check must stop the run before the update. (W1's columns
  // must differ: ∂ℒ/∂logits sums to 0 over the classes, so equal columns would give ∂ℒ/∂h1 = 0.)
  Dataset train = blobs(16, 1), test = blobs(8, 2);
  train.x *= 1e38f / 4.0f;
  MlpSpec spec = small_spec();
  spec.hidden = {8};
  spec.activation = Activation::identity;
  Mlp<float> model(spec, 3);
  model.weights[0].zeros();
  arma::arma_rng::set_seed(5);
  model.weights[1] = 1000.0f * arma::randn<arma::fmat>(arma::size(model.weights[1]));
  const TrainOptions options = sgd_options(0.1, 8, 1);
  Sgd<float> sgd;
  Trainer<float> trainer(options, sgd);
  const TrainResult r = trainer.run(model, train, test);
  REQUIRE(r.diverged);
  INFO(r.divergence_message);
  CHECK(r.steps == 0);
  CHECK(r.divergence_message.find("diverged at step 0, layer 0, gradient of W0: NaN or Inf") != std::string::npos);
  CHECK(model.weights[0].is_zero());  // the update never ran
}

TEST_CASE("momentum and weight decay follow PyTorch's SGD convention") {
  Network<double> model(Mlp<double>(small_spec(), 3));
  const Mlp<double> start = model.head;
  const Dataset train = blobs(8, 1);
  NetworkForward<double> pass;
  NetworkBackward<double> grads;
  const arma::uvec idx = arma::regspace<arma::uvec>(0, 7);
  Sgd<double> sgd(SgdOptions{0.9, 0.01});
  StepState<double> state;
  state.lr = 0.1;
  state.grads = &grads;
  // two steps with the same gradient: buf1 = g + λW0; W1 = W0 − γ buf1; buf2 = μ buf1 + g' + λW1; W2 = W1 − γ buf2
  loss_and_backward(model, batch_inputs<double>(train, idx), batch_targets<double>(train, idx, 3), Loss::cross_entropy, pass, grads, false);
  const arma::mat g1 = grads.weight_grad(0);
  sgd.update(model, state);
  const arma::mat buf1 = g1 + 0.01 * start.weights[0];
  require_close(model.weight(0), start.weights[0] - 0.1 * buf1, 1e-15, "step 1");
  const arma::mat w1 = model.weight(0);
  loss_and_backward(model, batch_inputs<double>(train, idx), batch_targets<double>(train, idx, 3), Loss::cross_entropy, pass, grads, false);
  const arma::mat buf2 = 0.9 * buf1 + grads.weight_grad(0) + 0.01 * w1;
  sgd.update(model, state);
  require_close(model.weight(0), w1 - 0.1 * buf2, 1e-15, "step 2");
}

// Forms ∇W at every step by asking for it, so the trainer cannot factor it.
struct NeedsWeightGrads : Observer<double> {
  bool needs_weight_grads() const override { return true; }
  std::size_t formed = 0;
  void on_backward(const Network<double>& m, const StepState<double>& s) override {
    for (std::size_t l = 0; l < m.n_layers(); ++l) formed += !s.grads->weight_grad_factored(l);
  }
};

struct ReadsWeightGradsUnannounced : Observer<double> {
  void on_backward(const Network<double>&, const StepState<double>& s) override { (void)s.grads->weight_grad(0); }
};

TEST_CASE("plain SGD updates with the factored ∇W = dz hᵀ (one GEMM) and matches the formed-∇W update to rounding") {
  // W −= γ dz hᵀ as one GEMM rounds γ·Σ dz h once into W; the formed path rounds ∇W, then γ∇W, then the difference.
  // Over 12 steps at γ = 0.1 the weights stay within a few ulps of each other.
  constexpr double kUpdateRoundingTol = 1e-13;
  const Dataset train = blobs(24, 1), test = blobs(8, 2);
  const TrainOptions options = sgd_options(0.1, 8, 4);
  Mlp<double> factored(small_spec(), 3), formed = factored;
  Sgd<double> sgd_a, sgd_b;
  Trainer<double> plain(options, sgd_a);
  const TrainResult a = plain.run(factored, train, test);
  NeedsWeightGrads observer;
  Trainer<double> forming(options, sgd_b);
  forming.add_observer(observer);
  const TrainResult b = forming.run(formed, train, test);
  CHECK(observer.formed == 12 * 3);  // 12 steps × 3 layers, all formed
  CHECK(a.steps == b.steps);
  for (std::size_t l = 0; l < factored.n_layers(); ++l)
    require_close(factored.weights[l], formed.weights[l], kUpdateRoundingTol, "W" + std::to_string(l));
  CHECK_FALSE(arma::approx_equal(factored.weights[0], Mlp<double>(small_spec(), 3).weights[0], "absdiff", 1e-3));
}

TEST_CASE("an observer that reads a factored ∇W without asking for it gets a clear error") {
  const Dataset train = blobs(8, 1), test = blobs(8, 2);
  Mlp<double> model(small_spec(), 3);
  Sgd<double> sgd;
  ReadsWeightGradsUnannounced observer;
  Trainer<double> trainer(sgd_options(0.1, 8, 1), sgd);
  trainer.add_observer(observer);
  CHECK_THROWS_WITH_AS(trainer.run(model, train, test), doctest::Contains("needs_weight_grads"), std::logic_error);
}
