// Theorem 3 measurements: one SGD step, then a = σ(z⁺) − σ(z) against v = −γ g_l, elementwise.
// Shapes: W_{l-1} (d_l, d_{l-1}), h_{l-1} (d_{l-1}, B), z_l, h_l, g_l (d_l, B); a conv layer: W (c_out, c_in k²),
// patches P (c_in k², B·n), z_l, h_l, g_l (c_out·n, B) channel-major.
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

// The sample weight layer i reads: x for i = 0, else the previous conv layer's (pooled) map or the head's h.
const arma::mat& layer_sample(const NetworkForward<double>& p, const arma::mat& x, std::size_t i) {
  if (i == 0) return x;
  return i < p.conv.size() ? p.output(i - 1) : p.head.h[i - p.conv.size()];
}

arma::rowvec column_norms(const arma::mat& columns) { return arma::sqrt(arma::sum(arma::square(columns), 0)); }

// Σ_k |W_jk| |x_k| + |b_j| over each input column x of weight layer i (patch or h): the scale of the rounding error of
// z = W x + b (Higham: |fl(z) − z| ≤ γ_n · this, γ_n ≈ n·eps for n = d + 1 terms), in z's layout.
arma::mat abs_scale(const Network<double>& net, std::size_t i, const NetworkForward<double>& pass) {
  arma::mat s = arma::abs(net.weight(i)) * arma::abs(pass.layer_input(i));  // (c_out, B·n) or (d_{i+1}, B)
  if (net.has_bias()) s.each_col() += arma::abs(net.bias(i));
  return net.is_conv(i) ? to_channel_major(s, pass.layer_z(i).n_cols) : s;
}

}  // namespace

Theorem3Step theorem3_step(const Network<double>& net, const arma::mat& x, const arma::mat& targets, Loss loss,
                           std::size_t layer, double lr, bool update_all_layers) {
  if (layer < 1 || layer + 1 > net.n_layers())
    throw std::invalid_argument("theorem3_step: layer must be in 1.." + std::to_string(net.n_layers() - 1) +
                                " (h_l = σ(W_{l-1} h_{l-1}) is a hidden layer)");
  NetworkForward<double> pass, after;
  NetworkBackward<double> grads;
  loss_and_backward(net, x, targets, loss, pass, grads, false);

  const std::size_t i = layer - 1;  // the weight layer that takes the step
  Network<double> next = net;
  const std::size_t first = update_all_layers ? 0 : i, last = update_all_layers ? net.n_layers() - 1 : i;
  for (std::size_t k = first; k <= last; ++k) {
    next.weight(k) -= lr * grads.weight_grad(k);  // W⁺ = W − γ ∇W (a conv layer: ∇W = Σ_q δ_q p_qᵀ over positions)
    if (next.has_bias()) next.bias(k) -= lr * grads.bias_grad(k);
  }
  forward(next, x, after);

  Theorem3Step s;
  s.a = after.layer_h(i) - pass.layer_h(i);     // σ(z⁺) − σ(z)
  s.v = -lr * grads.output_grad(i);             // h_l⁺ − h_l = −γ g_l
  s.z = pass.layer_z(i);
  s.dz = after.layer_z(i) - pass.layer_z(i);
  s.g = grads.output_grad(i);
  s.input_norm = column_norms(layer_sample(pass, x, i));
  s.column_norm = column_norms(pass.layer_input(i));

  const Activation act = net.spec.activation;
  const double lipschitz = lipschitz_constant(act);
  const double n_terms = double(net.input_width(i) + 1);
  const arma::mat z_scale = abs_scale(net, i, pass) + abs_scale(next, i, after);
  s.slack = lipschitz * n_terms * kEps * z_scale +
            kActivationUlps * kEps * (arma::abs(after.layer_h(i)) + arma::abs(pass.layer_h(i)));
  return s;
}

Theorem3Step theorem3_step(const Mlp<double>& model, const arma::mat& x, const arma::mat& targets, Loss loss,
                           std::size_t layer, double lr, bool update_all_layers) {
  return theorem3_step(Network<double>(model), x, targets, loss, layer, lr, update_all_layers);
}

double Theorem3Tally::quantile(double q) const {
  if (ratios.empty()) return arma::datum::nan;
  // The order statistics lo and hi by two selections (a conv layer's tally holds millions of ratios).
  std::vector<double> work = ratios;
  const double pos = q * double(work.size() - 1);
  const std::size_t lo = std::size_t(std::floor(pos)), hi = std::min(lo + 1, work.size() - 1);
  std::nth_element(work.begin(), work.begin() + std::ptrdiff_t(lo), work.end());
  const double at_lo = work[lo];
  const double at_hi = hi == lo ? at_lo : *std::min_element(work.begin() + std::ptrdiff_t(lo) + 1, work.end());
  return at_lo + (pos - double(lo)) * (at_hi - at_lo);
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
      else ++tally.v_zero_moved;
      continue;
    }
    if (a_is_zero) ++tally.a_zero;
    else if ((a > 0) == (v > 0)) ++tally.sign_equal;
    else ++tally.sign_opposite;
    const double ratio = abs_a / bound;
    tally.max_ratio = std::max(tally.max_ratio, ratio);
    if (keep_ratios) tally.ratios.push_back(ratio);
  }
  tally.input_norms.insert(tally.input_norms.end(), step.input_norm.begin(), step.input_norm.end());
  tally.column_norms.insert(tally.column_norms.end(), step.column_norm.begin(), step.column_norm.end());
}

Theorem3Result run_theorem3(const Network<double>& net, const Dataset& data, Loss loss, const Theorem3Setting& setting,
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
      const arma::rowvec norms = column_norms(x);
      for (arma::uword j = 0; j < x.n_cols; ++j)
        if (norms(j) > 0) x.col(j) /= norms(j);
    }
    const arma::mat targets = batch_targets<double>(data, idx, net.spec.output_dim);
    const Theorem3Step step = theorem3_step(net, x, targets, loss, setting.layer, setting.lr, setting.update_all_layers);
    for (std::size_t k = 0; k < setting.lipschitz.size(); ++k) tally_theorem3(step, setting.lipschitz[k], result.tallies[k], true);
    for (arma::uword i = 0; i < step.a.n_elem && !result.counterexample.found; ++i)
      if (step.v(i) != 0 && std::abs(step.a(i)) > step.slack(i) && (step.a(i) > 0) != (step.v(i) > 0))
        result.counterexample = {.found = true, .sample = idx(i / step.a.n_rows), .unit = i % step.a.n_rows, .lr = setting.lr,
                                 .z = step.z(i), .z_plus = step.z(i) + step.dz(i), .g = step.g(i), .a = step.a(i), .v = step.v(i),
                                 .slope_at_z = activate_derivative(net.spec.activation, arma::mat{step.z(i)})(0)};
    for (arma::uword i = 0; i < step.a.n_elem && sv.size() < keep_scatter; ++i) {
      sv.push_back(step.v(i));
      sa.push_back(step.a(i));
    }
  }
  result.scatter_v = arma::vec(sv);
  result.scatter_a = arma::vec(sa);
  return result;
}

Theorem3Result run_theorem3(const Mlp<double>& model, const Dataset& data, Loss loss, const Theorem3Setting& setting,
                            std::size_t n_samples, std::size_t keep_scatter) {
  return run_theorem3(Network<double>(model), data, loss, setting, n_samples, keep_scatter);
}

Theorem3Counterexample gelu_sign_counterexample(double z, double g, double lr_min, double lr_max, std::size_t n_grid) {
  const arma::mat zm{z};
  const double slope = activate_derivative(Activation::gelu, zm)(0);
  const double h = activate(Activation::gelu, zm)(0);
  for (std::size_t i = 0; i < n_grid; ++i) {
    const double lr = lr_min * std::pow(lr_max / lr_min, n_grid > 1 ? double(i) / double(n_grid - 1) : 0.0);
    const double z_plus = z - lr * slope * g;  // unit-norm single-sample step: z⁺ − z = −γ ∂ℒ/∂z
    const double a = activate(Activation::gelu, arma::mat{z_plus})(0) - h;
    const double v = -lr * g;
    if (a * v < 0) return Theorem3Counterexample{true, 0, 0, lr, z, z_plus, g, a, v, slope};
  }
  return {};
}

}  // namespace vclab
