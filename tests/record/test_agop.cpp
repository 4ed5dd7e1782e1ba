// The cheap AGOP/EGOP (W_lᵀ K_l W_l) against brute-force per-sample outer products, depths 1–3.
#include <doctest/doctest.h>

#include "model/backprop.hpp"
#include "record/agop.hpp"
#include "test_util.hpp"

using namespace vclab;
using vclab::test::require_close;

namespace {

constexpr double kAgopTol = 1e-12;  // same sums in a different order: rounding error only (double)

Dataset tiny_dataset(std::size_t d, std::size_t n, std::size_t classes, std::uint64_t seed) {
  arma::arma_rng::set_seed(seed);
  Dataset data;
  data.name = "tiny";
  data.x = arma::randn<arma::fmat>(d, n);
  data.y = arma::randi<arma::uvec>(n, arma::distr_param(0, int(classes) - 1));
  data.n_classes = classes;
  return data;
}

Mlp<double> tiny_model(std::size_t d, std::vector<std::size_t> hidden, std::size_t classes, Activation act, bool bias) {
  MlpSpec spec;
  spec.input_dim = d;
  spec.hidden = std::move(hidden);
  spec.output_dim = classes;
  spec.activation = act;
  spec.bias = bias;
  spec.init = Init::normal;
  return Mlp<double>(spec, 42);
}

}  // namespace

TEST_CASE("cheap AGOP equals brute-force per-sample AGOP on nets of depth 1-3, every layer") {
  const Dataset data = tiny_dataset(6, 13, 3, 1);
  const arma::mat x = arma::conv_to<arma::mat>::from(data.x);
  for (std::vector<std::size_t> hidden : {std::vector<std::size_t>{5}, {5, 4}, {5, 4, 7}}) {
    for (bool centered : {false, true}) {
      for (bool bias : {false, true}) {
        CAPTURE(hidden.size());
        CAPTURE(centered);
        CAPTURE(bias);
        const Mlp<double> model = tiny_model(6, hidden, 3, Activation::gelu, bias);
        AgopOptions full{RecordMode::full, 0, centered, 4};  // batch 4 exercises a ragged last batch
        AgopOptions diag{RecordMode::diag, 0, centered, 5};
        const auto cheap = compute_agop(model, data, full);
        const auto cheap_diag = compute_agop(model, data, diag);
        for (std::size_t l = 0; l < model.n_layers(); ++l) {
          const arma::mat reference = brute_force_agop(model, x, l, centered);
          require_close(cheap[l], reference, kAgopTol, "AGOP layer " + std::to_string(l));
          require_close(cheap_diag[l], arma::vec(reference.diag()), kAgopTol, "diag AGOP layer " + std::to_string(l));
        }
      }
    }
  }
}

TEST_CASE("AGOP on a subset uses exactly the first n samples") {
  const Dataset data = tiny_dataset(5, 20, 4, 2);
  const Mlp<double> model = tiny_model(5, {6, 3}, 4, Activation::tanh, false);
  const auto cheap = compute_agop(model, data, AgopOptions{RecordMode::full, 7, false, 3});
  const arma::mat x7 = arma::conv_to<arma::mat>::from(arma::fmat(data.x.cols(0, 6)));
  for (std::size_t l = 0; l < model.n_layers(); ++l)
    require_close(cheap[l], brute_force_agop(model, x7, l, false), kAgopTol, "subset layer " + std::to_string(l));
}

TEST_CASE("output layer AGOP is W_LᵀW_L and a 1-hidden-layer AGOP matches (W_1ᵀW_1)∘(SSᵀ) sandwiched") {
  const Dataset data = tiny_dataset(4, 9, 3, 3);
  const Mlp<double> model = tiny_model(4, {5}, 3, Activation::softplus, false);
  const auto a = compute_agop(model, data, AgopOptions{RecordMode::full, 0, false, 100});
  require_close(a[1], model.weights[1].t() * model.weights[1], kAgopTol, "A_L");
  // Written out independently: A_0 = W_0ᵀ [(W_1ᵀW_1) ∘ (S Sᵀ)/N] W_0 with S = σ'(W_0 X).
  const arma::mat x = arma::conv_to<arma::mat>::from(data.x);
  const arma::mat s = activate_derivative(Activation::softplus, arma::mat(model.weights[0] * x));
  const arma::mat k = (model.weights[1].t() * model.weights[1]) % (s * s.t()) / double(x.n_cols);
  require_close(a[0], model.weights[0].t() * k * model.weights[0], kAgopTol, "A_0 closed form");
}

TEST_CASE("EGOP equals per-sample loss-gradient outer products") {
  const Dataset data = tiny_dataset(5, 11, 3, 4);
  const Mlp<double> model = tiny_model(5, {6, 4}, 3, Activation::relu, true);
  for (Loss loss : {Loss::cross_entropy, Loss::mse}) {
    const auto egop = compute_egop(model, data, loss, AgopOptions{RecordMode::full, 0, false, 4});
    ForwardPass<double> pass;
    BackwardPass<double> grads;
    for (std::size_t l = 0; l < model.n_layers(); ++l) {
      arma::mat reference(model.spec.width(l), model.spec.width(l), arma::fill::zeros);
      for (std::size_t i = 0; i < data.size(); ++i) {
        // ∇_{h_l} ℓ_i from a batch of one sample (the batch mean of one sample is ℓ_i itself)
        const arma::mat xi = arma::conv_to<arma::mat>::from(arma::fmat(data.x.col(i)));
        const arma::mat ti = one_hot<double>(arma::uvec{data.y(i)}, 3);
        loss_and_backward(model, xi, ti, loss, pass, grads, true);
        reference += grads.grad_h[l] * grads.grad_h[l].t();
      }
      reference /= double(data.size());
      require_close(egop[l], reference, kAgopTol, "EGOP layer " + std::to_string(l));
    }
  }
}
