// The Theorem 2 observers (record/theorem2_observers.hpp) along real training runs: the per-step identity at every
// step, and the cumulative form G_t − G_0 − V_t = Σ γ²(∇Wᵀ∇W − Σ g gᵀ) summed over the run.
#include <doctest/doctest.h>

#include <cmath>

#include "data/synthetic.hpp"
#include "record/theorem2_observers.hpp"
#include "test_util.hpp"
#include "train/sgd.hpp"
#include "train/trainer.hpp"

using namespace vclab;
using vclab::test::require_close;

namespace {

// The identity's two sides are built from O(d·B) products in double: rounding error a few hundred
// ulps of ‖G‖ at most for d ≤ 8.
constexpr double kIdentityTol = 1e-13;

Dataset small_dataset(std::uint64_t seed, std::size_t n) {
  SyntheticSpec spec;
  spec.input_dim = 7;
  spec.n_train = n;
  spec.n_test = 0;
  spec.n_classes = 3;
  spec.teacher_width = 5;
  return make_teacher_dataset(spec, seed).train;
}

}  // namespace

TEST_CASE("per-step observer: relative residual and identity error over a training run") {
  const Dataset train = small_dataset(4, 8 * 12);
  MlpSpec spec;
  spec.input_dim = 7;
  spec.hidden = {6, 5};
  spec.output_dim = 3;
  spec.activation = Activation::softplus;
  Mlp<double> model(spec, 21);
  TrainOptions options;
  options.lr = 0.1;
  options.batch = 8;
  options.epochs = 1;
  options.evaluate_initial = false;
  Sgd<double> rule;
  Trainer<double> trainer(options, rule);
  Theorem2StepObserver<double> observer;
  trainer.add_observer(observer);
  trainer.run(model, train, Dataset{});  // the observers ask for g_0 themselves
  REQUIRE(observer.steps().size() == 12);
  for (const auto& step : observer.steps())
    for (const Theorem2Step& m : step) {
      CHECK(m.identity_error_gram <= kIdentityTol);
      CHECK(m.relative_residual > 0);
      CHECK(m.relative_residual < 1);
      CHECK(std::abs(m.residual - m.predicted_residual) <= kIdentityTol * m.gram_norm);
    }
}

TEST_CASE("cumulative identity: G_t − G_0 − V_t equals the sum of the per-step γ² residual terms") {
  const Dataset train = small_dataset(6, 4 * 40);
  for (std::size_t depth : {1u, 3u}) {
    CAPTURE(depth);
    MlpSpec spec;
    spec.input_dim = 7;
    spec.hidden = std::vector<std::size_t>(depth, 6);
    spec.output_dim = 3;
    spec.activation = Activation::gelu;
    Network<double> model(Mlp<double>(spec, 33 + depth));
    TrainOptions options;
    options.lr = 0.2;
    options.batch = 4;
    options.epochs = 1;
    options.evaluate_initial = false;
    Sgd<double> rule;
    Trainer<double> trainer(options, rule);
    Theorem2CumulativeObserver<double> observer(10, true);
    trainer.add_observer(observer);
    trainer.run(model, train, Dataset{});  // the observers ask for g_0 themselves
    REQUIRE(observer.points().size() == 4 * model.n_layers());  // after steps 10, 20, 30, 40
    for (std::size_t l = 0; l < model.n_layers(); ++l) {
      const arma::mat dg = observer.gram_change_matrix(model, l);
      const arma::mat v = observer.vc_shift_total(l), r = observer.residual_total(l);
      CHECK(arma::norm(r, "fro") > 1e3 * kIdentityTol * arma::norm(dg, "fro"));  // the residual is not negligible here
      require_close(dg - v, r, kIdentityTol, "layer " + std::to_string(l));
    }
    for (const auto& point : observer.points()) CHECK(point.identity_error < 1e-10);
  }
}
