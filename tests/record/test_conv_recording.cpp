// Conv nets through the recording path (issue 18): the patch-AGOP and EGOP against per-patch brute force, Theorem 2's
// exact form per step and cumulated over a training run on conv and dense layers alike, and a training checkpoint
// that resumes a conv net bit for bit.
#include <doctest/doctest.h>

#include <filesystem>
#include <unistd.h>

#include "model/backprop.hpp"
#include "record/agop.hpp"
#include "record/theorem2_observers.hpp"
#include "test_util.hpp"
#include "train/batch.hpp"
#include "train/sgd.hpp"
#include "train/trainer.hpp"

using namespace vclab;
using vclab::test::require_close;

namespace {

constexpr double kAgopTol = 1e-12;      // the same sums in another order (double): rounding error only
constexpr double kIdentityTol = 1e-12;  // Theorem 2's two sides from ≤ 2,000-term double products of O(1) entries

// 2 × 6 × 6 images → conv 4 (3 × 3, same, max pool → 3 × 3) → conv 5 (3 × 3, valid → 1 × 1) → dense 6 → 3 classes.
NetworkSpec small_conv_spec(bool bias, Activation activation = Activation::gelu) {
  return NetworkSpec{.channels = 2, .height = 6, .width = 6,
                     .conv = {ConvLayerSpec{.c_out = 4, .kernel = 3, .stride = 1, .padding = Padding::same, .pooling = Pooling::max},
                              ConvLayerSpec{.c_out = 5, .kernel = 3, .stride = 1, .padding = Padding::valid, .pooling = Pooling::none}},
                     .hidden = {6}, .output_dim = 3, .activation = activation, .bias = bias, .init = Init::pytorch};
}

Dataset image_dataset(const NetworkSpec& spec, std::size_t n, std::uint64_t seed) {
  arma::arma_rng::set_seed(seed);
  Dataset data;
  data.name = "tiny-images";
  data.x = arma::randn<arma::fmat>(spec.input_dim(), n);
  data.y = arma::randi<arma::uvec>(n, arma::distr_param(0, int(spec.output_dim) - 1));
  data.n_classes = spec.output_dim;
  for (std::size_t i = 0; i < n; ++i) data.x(data.y(i), i) += 1.0f;  // learnable
  return data;
}

// EGOP by brute force: per sample, ∂ℓ_i of every patch copy (a one-sample backward pass) and its outer products,
// averaged over samples and positions.
arma::mat brute_force_egop(const Network<double>& net, const Dataset& data, std::size_t layer) {
  const std::size_t d = net.input_width(layer);
  arma::mat sum(d, d, arma::fill::zeros);
  double columns = 0;
  NetworkForward<double> pass;
  NetworkBackward<double> grads;
  for (std::size_t i = 0; i < data.size(); ++i) {
    const arma::uvec idx{i};
    forward(net, batch_inputs<double>(data, idx), pass);
    arma::mat seed;
    per_sample_loss_gradient(Loss::cross_entropy, pass.logits(), batch_targets<double>(data, idx, 3), &seed);
    backward(net, pass, seed, grads, true);
    const arma::mat& g = grads.input_grad(layer);
    for (std::size_t q = 0; q < g.n_cols; ++q) sum += g.col(q) * g.col(q).t();
    columns += double(g.n_cols);
  }
  return sum / columns;
}

TrainOptions short_run(std::size_t epochs) {
  TrainOptions options;
  options.lr = 0.1;
  options.batch = 8;
  options.epochs = epochs;
  options.evaluate_initial = false;
  return options;
}

}  // namespace

TEST_CASE("patch-AGOP and EGOP of a conv net equal per-patch brute force on every weight layer") {
  for (bool bias : {false, true}) {
    for (bool centered : {false, true}) {
      CAPTURE(bias);
      CAPTURE(centered);
      const Network<double> net(small_conv_spec(bias), 7);
      const Dataset data = image_dataset(net.spec, 11, 3);
      const arma::mat x = arma::conv_to<arma::mat>::from(data.x);
      const auto full = compute_agop(net, data, AgopOptions{RecordMode::full, 0, centered, 4});  // a ragged last batch
      const auto diag = compute_agop(net, data, AgopOptions{RecordMode::diag, 0, centered, 5});
      REQUIRE(full.size() == net.n_layers());
      for (std::size_t l = 0; l < net.n_layers(); ++l) {
        const arma::mat reference = brute_force_agop(net, x, l, centered);
        REQUIRE(reference.n_rows == net.input_width(l));  // c_in k² for the conv layers: 18, 36
        require_close(full[l], reference, kAgopTol, "AGOP layer " + std::to_string(l));
        // Conv layers stay full in diag mode; dense layers give the diagonal.
        require_close(diag[l], net.is_conv(l) ? reference : arma::mat(arma::vec(reference.diag())), kAgopTol,
                      "diag-mode AGOP layer " + std::to_string(l));
      }
    }
  }
  const Network<double> net(small_conv_spec(false), 8);
  const Dataset data = image_dataset(net.spec, 9, 4);
  const auto egop = compute_egop(net, data, Loss::cross_entropy, AgopOptions{RecordMode::full, 0, false, 4});
  for (std::size_t l = 0; l < net.n_layers(); ++l)
    require_close(egop[l], brute_force_egop(net, data, l), kAgopTol, "EGOP layer " + std::to_string(l));
}

TEST_CASE("Theorem 2 on conv layers: G⁺ − G − v = γ²(∇Wᵀ∇W − Σ g_p g_pᵀ) at every step, and cumulated over a run") {
  for (Activation activation : {Activation::gelu, Activation::relu}) {
    CAPTURE(to_string(activation));
    const Dataset train = image_dataset(small_conv_spec(false), 8 * 6, 5);
    Network<double> net(small_conv_spec(false, activation), 11);
    Sgd<double> rule;
    Trainer<double> trainer(short_run(1), rule);
    Theorem2StepObserver<double> steps;
    Theorem2CumulativeObserver<double> cumulative(3, true);
    trainer.add_observer(steps);
    trainer.add_observer(cumulative);
    REQUIRE_FALSE(trainer.run(net, train, Dataset{}).diverged);
    REQUIRE(steps.steps().size() == 6);
    for (const auto& step : steps.steps()) {
      REQUIRE(step.size() == net.n_layers());
      for (const Theorem2Step& m : step) {
        CHECK(m.identity_error_gram <= kIdentityTol);
        CHECK(m.relative_residual > 0);
      }
    }
    for (std::size_t l = 0; l < net.n_layers(); ++l) {
      const arma::mat dg = cumulative.gram_change_matrix(net, l), v = cumulative.vc_shift_total(l);
      const arma::mat r = cumulative.residual_total(l);
      CHECK(arma::norm(r, "fro") > 1e3 * kIdentityTol * arma::norm(dg, "fro"));  // the γ² term is not negligible
      require_close(dg - v, r, kIdentityTol * std::max(1.0, arma::norm(dg, "fro")), "cumulative layer " + std::to_string(l));
    }
  }
}

TEST_CASE("a conv net resumes from a training checkpoint bit for bit") {
  const Dataset train = image_dataset(small_conv_spec(true), 8 * 5, 6), test = image_dataset(small_conv_spec(true), 10, 7);
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("vclab-conv-checkpoint-" + std::to_string(::getpid()) + ".h5");
  TrainOptions options = short_run(3);
  options.checkpoint_every = 1;
  options.checkpoint_path = path;
  Network<double> straight(small_conv_spec(true), 12);
  SgdOptions momentum{0.9, 0.01};  // buffers in the checkpoint too
  Sgd<double> rule(momentum);
  Trainer<double>(options, rule).run(straight, train, test);  // leaves the checkpoint after epoch 2

  Network<double> resumed(small_conv_spec(true), 99);  // other weights: the checkpoint must replace them
  Sgd<double> rule2(momentum);
  options.resume_from = path;
  Trainer<double>(options, rule2).run(resumed, train, test);
  for (std::size_t l = 0; l < straight.n_layers(); ++l) {
    CHECK(arma::approx_equal(resumed.weight(l), straight.weight(l), "absdiff", 0.0));
    CHECK(arma::approx_equal(resumed.bias(l), straight.bias(l), "absdiff", 0.0));
  }
  std::filesystem::remove(path);
  std::filesystem::remove(path.string() + ".sha256");
}
