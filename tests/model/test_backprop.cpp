// Gradients against central finite differences; the Feature Learning Equation and Theorem 2's exact form.
#include <doctest/doctest.h>

#include <cstring>

#include "model/backprop.hpp"
#include "test_util.hpp"

using namespace vclab;
using vclab::test::require_close;

namespace {

constexpr double kFiniteDiffStep = 1e-5;   // central differences: O(h²) ≈ 1e-10 truncation
constexpr double kFiniteDiffTol = 1e-6;    // relative; leaves room for cancellation in double
constexpr double kIdentityTol = 1e-12;     // identities hold to rounding error in double

struct Problem {
  Mlp<double> model;
  arma::mat x;        // (d0, B)
  arma::mat targets;  // (C, B)
};

Problem make_problem(Activation act, bool bias, std::vector<std::size_t> hidden, std::uint64_t seed, std::size_t batch = 5) {
  MlpSpec spec;
  spec.input_dim = 4;
  spec.hidden = std::move(hidden);
  spec.output_dim = 3;
  spec.activation = act;
  spec.bias = bias;
  spec.init = Init::normal;
  Problem p{Mlp<double>(spec, seed), {}, {}};
  arma::arma_rng::set_seed(seed);
  p.x = arma::randn(4, batch);
  arma::uvec labels = arma::randi<arma::uvec>(batch, arma::distr_param(0, 2));
  p.targets = one_hot<double>(labels, 3);
  return p;
}

double batch_loss(const Mlp<double>& m, const arma::mat& x, const arma::mat& t, Loss loss) {
  ForwardPass<double> pass;
  forward(m, x, pass);
  return loss_and_gradient(loss, pass.logits, t, nullptr);
}

}  // namespace

TEST_CASE("backprop gradients match central finite differences for every activation and loss") {
  for (const auto& name : enum_name_list<Activation>()) {
    for (Loss loss : {Loss::cross_entropy, Loss::mse}) {
      for (bool bias : {false, true}) {
        CAPTURE(name);
        CAPTURE(to_string(loss));
        CAPTURE(bias);
        Problem p = make_problem(parse_enum<Activation>(name, "activation"), bias, {5, 4}, 7);
        ForwardPass<double> pass;
        BackwardPass<double> grads;
        loss_and_backward(p.model, p.x, p.targets, loss, pass, grads, true);
        for (std::size_t l = 0; l < p.model.n_layers(); ++l) {
          arma::mat numeric(arma::size(p.model.weights[l]));
          for (arma::uword i = 0; i < numeric.n_elem; ++i) {
            Mlp<double> plus = p.model, minus = p.model;
            plus.weights[l](i) += kFiniteDiffStep;
            minus.weights[l](i) -= kFiniteDiffStep;
            numeric(i) = (batch_loss(plus, p.x, p.targets, loss) - batch_loss(minus, p.x, p.targets, loss)) / (2 * kFiniteDiffStep);
          }
          require_close(grads.grad_w[l], numeric, kFiniteDiffTol, "grad W" + std::to_string(l));
          if (bias) {
            arma::vec numeric_b(p.model.biases[l].n_elem);
            for (arma::uword i = 0; i < numeric_b.n_elem; ++i) {
              Mlp<double> plus = p.model, minus = p.model;
              plus.biases[l](i) += kFiniteDiffStep;
              minus.biases[l](i) -= kFiniteDiffStep;
              numeric_b(i) = (batch_loss(plus, p.x, p.targets, loss) - batch_loss(minus, p.x, p.targets, loss)) / (2 * kFiniteDiffStep);
            }
            require_close(grads.grad_b[l], numeric_b, kFiniteDiffTol, "grad b" + std::to_string(l));
          }
        }
        // g_0 = ∂ℒ/∂x by finite differences on the input.
        arma::mat numeric_x(arma::size(p.x));
        for (arma::uword i = 0; i < p.x.n_elem; ++i) {
          arma::mat xp = p.x, xm = p.x;
          xp(i) += kFiniteDiffStep;
          xm(i) -= kFiniteDiffStep;
          numeric_x(i) = (batch_loss(p.model, xp, p.targets, loss) - batch_loss(p.model, xm, p.targets, loss)) / (2 * kFiniteDiffStep);
        }
        require_close(grads.grad_h[0], numeric_x, kFiniteDiffTol, "grad x");
      }
    }
  }
}

TEST_CASE("activation derivatives match finite differences and Lipschitz constants bound them") {
  const arma::mat z = arma::linspace(-6, 6, 241);
  for (const auto& name : enum_name_list<Activation>()) {
    CAPTURE(name);
    const Activation a = parse_enum<Activation>(name, "activation");
    const arma::mat zp = z + kFiniteDiffStep, zm = z - kFiniteDiffStep;
    arma::mat numeric = (activate(a, zp) - activate(a, zm)) / (2 * kFiniteDiffStep);
    arma::mat analytic = activate_derivative(a, z);
    if (name == "relu" || name == "leaky-relu") {  // kink at 0: compare away from it
      const arma::uvec away = arma::find(arma::abs(z) > 1e-3);
      numeric = numeric.elem(away);
      analytic = analytic.elem(away);
    }
    require_close(analytic, numeric, kFiniteDiffTol, name);
    CHECK(arma::abs(activate_derivative(a, z)).max() <= lipschitz_constant(a) + 1e-12);
  }
  // GELU's Lipschitz constant is attained at ±√2 and exceeds 1; GELU' < 0 below ≈ −0.7518.
  const arma::mat at = {std::sqrt(2.0)};
  CHECK(activate_derivative(Activation::gelu, at)(0) == doctest::Approx(kGeluLipschitz).epsilon(1e-7));
  CHECK(activate_derivative(Activation::gelu, arma::mat{-0.76})(0) < 0);
  CHECK(activate_derivative(Activation::gelu, arma::mat{-0.74})(0) > 0);
}

// activate_with_derivative is the training path (loss_and_backward keeps σ' from the forward pass); it must give the
// bits of activate and activate_derivative, so that a run is the same whichever path computed σ'.
template <class T> void check_fused_activation_bits(const std::string& precision) {
  arma::Mat<T> z = arma::conv_to<arma::Mat<T>>::from(arma::join_cols(arma::linspace(-9, 9, 3601), 4 * arma::randn(4000)));
  for (const auto& name : enum_name_list<Activation>()) {
    CAPTURE(name);
    CAPTURE(precision);
    const Activation a = parse_enum<Activation>(name, "activation");
    arma::Mat<T> h, s;
    activate_with_derivative(a, z, h, s);
    const arma::Mat<T> h_alone = activate(a, z), s_alone = activate_derivative(a, z);
    std::size_t differing = 0;
    for (arma::uword i = 0; i < z.n_elem; ++i)
      differing += std::memcmp(&h[i], &h_alone[i], sizeof(T)) != 0 || std::memcmp(&s[i], &s_alone[i], sizeof(T)) != 0;
    CHECK_MESSAGE(differing == 0, differing << " of " << z.n_elem << " values differ from the separate calls");
  }
}

TEST_CASE("activate_with_derivative gives the bits of activate and activate_derivative (float and double)") {
  arma::arma_rng::set_seed(3);
  check_fused_activation_bits<float>("float");
  check_fused_activation_bits<double>("double");
}

TEST_CASE("backward with the slopes kept by forward equals backward computing them, bit for bit") {
  for (const auto& name : enum_name_list<Activation>()) {
    CAPTURE(name);
    Problem p = make_problem(parse_enum<Activation>(name, "activation"), true, {6, 5}, 13, 8);
    ForwardPass<double> kept, plain;
    BackwardPass<double> from_kept, from_plain;
    loss_and_backward(p.model, p.x, p.targets, Loss::cross_entropy, kept, from_kept, true);  // with_slopes
    REQUIRE(kept.slope.size() == p.model.n_layers());
    forward(p.model, p.x, plain);  // no slopes: backward computes σ'
    REQUIRE(plain.slope.empty());
    arma::mat grad_logits;
    loss_and_gradient(Loss::cross_entropy, plain.logits, p.targets, &grad_logits);
    backward(p.model, plain, grad_logits, from_plain, true);
    for (std::size_t l = 0; l < p.model.n_layers(); ++l) {
      CHECK(arma::approx_equal(from_kept.grad_w[l], from_plain.grad_w[l], "absdiff", 0.0));
      CHECK(arma::approx_equal(from_kept.grad_h[l], from_plain.grad_h[l], "absdiff", 0.0));
    }
  }
}

TEST_CASE("Feature Learning Equation: W_lᵀ ∇_{W_l}ℒ = Σ_i g_{l,i} h_{l,i}ᵀ") {
  for (const auto& name : enum_name_list<Activation>()) {
    CAPTURE(name);
    Problem p = make_problem(parse_enum<Activation>(name, "activation"), false, {6, 5, 4}, 11, 8);
    ForwardPass<double> pass;
    BackwardPass<double> grads;
    loss_and_backward(p.model, p.x, p.targets, Loss::cross_entropy, pass, grads, true);
    for (std::size_t l = 0; l < p.model.n_layers(); ++l)
      require_close(p.model.weights[l].t() * grads.grad_w[l], grads.grad_h[l] * pass.h[l].t(), kIdentityTol,
                    "FLE layer " + std::to_string(l));
  }
}

TEST_CASE("Theorem 2 exact form: G⁺ − G − v = γ²(∇Wᵀ∇W − Σ_i g_i g_iᵀ)") {
  for (bool bias : {false, true}) {
    for (double lr : {1e-3, 0.1, 2.0}) {
      CAPTURE(bias);
      CAPTURE(lr);
      Problem p = make_problem(Activation::gelu, bias, {6, 5}, 3, 8);
      ForwardPass<double> pass;
      BackwardPass<double> grads;
      loss_and_backward(p.model, p.x, p.targets, Loss::cross_entropy, pass, grads, true);
      for (std::size_t l = 0; l < p.model.n_layers(); ++l) {
        const arma::mat& w = p.model.weights[l];
        const arma::mat& gw = grads.grad_w[l];
        const arma::mat& h = pass.h[l];
        const arma::mat& g = grads.grad_h[l];
        const arma::mat w_plus = w - lr * gw;
        const arma::mat h_plus = h - lr * g;  // virtual update of every sample
        const arma::mat v = h_plus * h_plus.t() - h * h.t();  // Σ_i (h⁺h⁺ᵀ − hhᵀ)
        const arma::mat lhs = w_plus.t() * w_plus - w.t() * w - v;
        const arma::mat rhs = lr * lr * (gw.t() * gw - g * g.t());
        const double scale = arma::norm(w_plus.t() * w_plus - w.t() * w, "fro");
        CHECK(arma::norm(lhs - rhs, "fro") <= kIdentityTol * std::max(1.0, scale) * 10);
      }
    }
  }
}

TEST_CASE("float and double forward passes agree to float precision") {
  Problem p = make_problem(Activation::tanh, true, {7}, 5);
  const Mlp<float> mf = convert_mlp<float>(p.model);
  ForwardPass<double> pd;
  ForwardPass<float> pf;
  forward(p.model, p.x, pd);
  forward(mf, arma::conv_to<arma::fmat>::from(p.x), pf);
  require_close(pf.logits, pd.logits, 1e-5, "float vs double logits");  // float epsilon 1.2e-7 × a few ops
}

// Evaluation and the AGOP read the dataset's columns in place (forward_columns); the logits and every layer after the
// input must have the bits of forward on a copy of the same columns, in float (the alias) and double (a conversion).
template <class T> void check_forward_columns(const Mlp<T>& model, const arma::fmat& data, const std::string& precision) {
  CAPTURE(precision);
  ForwardPass<T> in_place, copied;
  in_place.with_slopes = copied.with_slopes = true;
  forward_columns(model, data, 3, 6, in_place);  // columns 3..8 of 11
  forward(model, arma::conv_to<arma::Mat<T>>::from(data.cols(3, 8)), copied);
  CHECK(arma::approx_equal(in_place.logits, copied.logits, "absdiff", 0.0));
  for (std::size_t l = 1; l < model.n_layers(); ++l) {
    CHECK(arma::approx_equal(in_place.h[l], copied.h[l], "absdiff", 0.0));
    CHECK(arma::approx_equal(in_place.slope[l], copied.slope[l], "absdiff", 0.0));
  }
}

TEST_CASE("forward_columns gives the bits of forward on a copy of the columns (float and double)") {
  Problem p = make_problem(Activation::gelu, true, {9, 7}, 21);
  arma::arma_rng::set_seed(21);
  const arma::fmat data = arma::randn<arma::fmat>(4, 11);
  const arma::fmat before = data;
  check_forward_columns(convert_mlp<float>(p.model), data, "float");
  check_forward_columns(p.model, data, "double");
  CHECK(arma::approx_equal(data, before, "absdiff", 0.0));  // read only
}

TEST_CASE("init distributions have the documented scale") {
  MlpSpec spec;
  spec.input_dim = 400;
  spec.hidden = {300};
  spec.output_dim = 10;
  spec.bias = true;
  spec.init = Init::normal;
  const Mlp<double> normal(spec, 1);
  CHECK(arma::stddev(arma::vectorise(normal.weights[0])) == doctest::Approx(1.0 / 20.0).epsilon(0.02));
  CHECK(arma::abs(normal.biases[0]).max() == 0.0);
  spec.init = Init::pytorch;
  const Mlp<double> torch(spec, 1);
  CHECK(arma::abs(torch.weights[0]).max() <= 1.0 / 20.0);
  CHECK(arma::abs(torch.weights[0]).max() > 0.99 / 20.0);
  CHECK(arma::abs(torch.biases[0]).max() <= 1.0 / 20.0);
  CHECK(arma::abs(torch.biases[0]).max() > 0.9 / 20.0);
  const Mlp<double> again(spec, 1);
  CHECK(arma::approx_equal(torch.weights[1], again.weights[1], "absdiff", 0.0));
}
