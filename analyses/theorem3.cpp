// Theorem 3 measurements: one SGD step, then a = σ(z⁺) − σ(z) against v = −γ g_l, elementwise.
// Shapes: W_{l-1} (d_l, d_{l-1}), h_{l-1} (d_{l-1}, B), z_l, h_l, g_l (d_l, B).
#include "analyses/theorem3.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "model/activation.hpp"
#include "model/backprop.hpp"
#include "train/batch.hpp"

namespace vclab {

namespace {

constexpr double kEps = std::numeric_limits<double>::epsilon();
// σ(·) from libm (erf, tanh, exp, log1p) is accurate to a few ulps; 4 ulps of |σ| per evaluation.
constexpr double kActivationUlps = 4.0;

// Σ_k |W_jk| |h_k| + |b_j|: the scale of the rounding error of z = W h + b (Higham: |fl(z) − z| ≤ γ_n ·
// this, γ_n ≈ n·eps for n = d + 1 terms).
arma::mat abs_scale(const Mlp<double>& model, std::size_t w_index, const arma::mat& h) {
  arma::mat s = arma::abs(model.weights[w_index]) * arma::abs(h);
  if (model.has_bias()) s.each_col() += arma::abs(model.biases[w_index]);
  return s;
}

}  // namespace

Theorem3Step theorem3_step(const Mlp<double>& model, const arma::mat& x, const arma::mat& targets, Loss loss,
                           std::size_t layer, double lr, bool update_all_layers) {
  if (layer < 1 || layer + 1 > model.n_layers())
    throw std::invalid_argument("theorem3_step: layer must be in 1.." + std::to_string(model.n_layers() - 1) +
                                " (h_l = σ(W_{l-1} h_{l-1}) is a hidden layer)");
  ForwardPass<double> pass, after;
  BackwardPass<double> grads;
  loss_and_backward(model, x, targets, loss, pass, grads, false);

  Mlp<double> next = model;
  const std::size_t first = update_all_layers ? 0 : layer - 1, last = update_all_layers ? model.n_layers() - 1 : layer - 1;
  for (std::size_t k = first; k <= last; ++k) {
    next.weights[k] -= lr * grads.grad_w[k];  // W⁺ = W − γ ∇W
    if (next.has_bias()) next.biases[k] -= lr * grads.grad_b[k];
  }
  forward(next, x, after);

  Theorem3Step s;
  s.a = after.h[layer] - pass.h[layer];  // σ(z⁺) − σ(z)
  s.v = -lr * grads.grad_h[layer];       // h_l⁺ − h_l = −γ g_l
  s.z = pass.z[layer];
  s.dz = after.z[layer] - pass.z[layer];
  s.g = grads.grad_h[layer];
  s.input_norm = arma::sqrt(arma::sum(arma::square(pass.h[layer - 1]), 0));

  const Activation act = model.spec.activation;
  const double lipschitz = lipschitz_constant(act);
  const double n_terms = double(model.spec.width(layer - 1) + 1);
  const arma::mat z_scale = abs_scale(model, layer - 1, pass.h[layer - 1]) + abs_scale(next, layer - 1, after.h[layer - 1]);
  s.slack = lipschitz * n_terms * kEps * z_scale +
            kActivationUlps * kEps * (arma::abs(after.h[layer]) + arma::abs(pass.h[layer]));
  return s;
}

double Theorem3Tally::quantile(double q) const {
  if (ratios.empty()) return arma::datum::nan;
  std::vector<double> sorted = ratios;
  std::sort(sorted.begin(), sorted.end());
  const double pos = q * double(sorted.size() - 1);
  const std::size_t lo = std::size_t(std::floor(pos)), hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (pos - double(lo)) * (sorted[hi] - sorted[lo]);
}

void tally_theorem3(const Theorem3Step& step, double lipschitz, Theorem3Tally& tally, bool keep_ratios) {
  const double l2 = lipschitz * lipschitz;
  for (arma::uword i = 0; i < step.a.n_elem; ++i) {
    const double a = step.a(i), v = step.v(i), slack = step.slack(i);
    const double abs_a = std::abs(a), bound = l2 * std::abs(v);
    const bool a_is_zero = abs_a <= slack;
    ++tally.n;
    if (abs_a <= bound + slack) ++tally.bound_ok;
    if (abs_a < bound) ++tally.bound_strict;
    if (v == 0) {
      ++tally.v_zero;
      if (a_is_zero) ++tally.sign_equal;
      continue;
    }
    if (a_is_zero) ++tally.a_zero;
    else if ((a > 0) == (v > 0)) ++tally.sign_equal;
    else ++tally.sign_opposite;
    const double ratio = abs_a / bound;
    tally.max_ratio = std::max(tally.max_ratio, ratio);
    if (keep_ratios) tally.ratios.push_back(ratio);
  }
  for (arma::uword j = 0; j < step.input_norm.n_elem; ++j) tally.input_norms.push_back(step.input_norm(j));
}

Theorem3Result run_theorem3(const Mlp<double>& model, const Dataset& data, Loss loss, const Theorem3Setting& setting,
                            std::size_t n_samples, std::size_t keep_scatter) {
  if (setting.batch == 0) throw std::invalid_argument("run_theorem3: batch must be positive");
  n_samples = std::min(n_samples, data.size());
  const std::size_t n_steps = n_samples / setting.batch;
  if (n_steps == 0)
    throw std::invalid_argument("run_theorem3: " + std::to_string(n_samples) + " samples are fewer than one batch of " +
                                std::to_string(setting.batch));
  Theorem3Result result;
  result.setting = setting;
  result.tallies.resize(setting.lipschitz.size());
  std::vector<double> sv, sa;
  for (std::size_t s = 0; s < n_steps; ++s) {
    const arma::uvec idx = arma::regspace<arma::uvec>(s * setting.batch, (s + 1) * setting.batch - 1);
    arma::mat x = batch_inputs<double>(data, idx);  // (d_0, B)
    if (setting.renormalize_inputs) {
      const arma::rowvec norms = arma::sqrt(arma::sum(arma::square(x), 0));
      for (arma::uword j = 0; j < x.n_cols; ++j)
        if (norms(j) > 0) x.col(j) /= norms(j);
    }
    const arma::mat targets = batch_targets<double>(data, idx, model.spec.output_dim);
    const Theorem3Step step = theorem3_step(model, x, targets, loss, setting.layer, setting.lr, setting.update_all_layers);
    for (std::size_t k = 0; k < setting.lipschitz.size(); ++k) tally_theorem3(step, setting.lipschitz[k], result.tallies[k], true);
    if (!result.counterexample.found) {
      for (arma::uword i = 0; i < step.a.n_elem; ++i) {
        if (step.v(i) != 0 && std::abs(step.a(i)) > step.slack(i) && (step.a(i) > 0) != (step.v(i) > 0)) {
          result.counterexample = {.found = true, .sample = idx(i / step.a.n_rows), .unit = i % step.a.n_rows, .lr = setting.lr,
                                   .z = step.z(i), .z_plus = step.z(i) + step.dz(i), .g = step.g(i), .a = step.a(i), .v = step.v(i),
                                   .slope_at_z = activate_derivative(model.spec.activation, arma::mat{step.z(i)})(0)};
          break;
        }
      }
    }
    for (arma::uword i = 0; i < step.a.n_elem && sv.size() < keep_scatter; ++i) {
      sv.push_back(step.v(i));
      sa.push_back(step.a(i));
    }
  }
  result.scatter_v = arma::vec(sv);
  result.scatter_a = arma::vec(sa);
  return result;
}

Theorem3Counterexample gelu_sign_counterexample(double z, double g, double lr_min, double lr_max, std::size_t n_grid) {
  Theorem3Counterexample c;
  const arma::mat zm{z};
  const double slope = activate_derivative(Activation::gelu, zm)(0);
  const double h = activate(Activation::gelu, zm)(0);
  for (std::size_t i = 0; i < n_grid; ++i) {
    const double lr = lr_min * std::pow(lr_max / lr_min, n_grid > 1 ? double(i) / double(n_grid - 1) : 0.0);
    const double z_plus = z - lr * slope * g;  // unit-norm single-sample step: z⁺ − z = −γ ∂ℒ/∂z
    const double a = activate(Activation::gelu, arma::mat{z_plus})(0) - h;
    const double v = -lr * g;
    if (a * v < 0) {
      c = Theorem3Counterexample{true, 0, 0, lr, z, z_plus, g, a, v, slope};
      return c;
    }
  }
  return c;
}

}  // namespace vclab
