// Theorem 2 measurements. Shapes: W_l (k = d_{l+1}, d = d_l), h_l and g_l (d, B), Grams (d, d).
// Large d×d products use BLAS syr2k/syrk on the upper triangle (the matrices are symmetric).
#include "analyses/theorem2.hpp"

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>

#include "model/backprop.hpp"
#include "model/vc_shift.hpp"
#include "train/trainer.hpp"

namespace vclab {

namespace {

// C ← C + α (AᵀB + BᵀA), A, B (k, d); upper triangle of C (d, d).
void add_sym_cross(const arma::mat& a, const arma::mat& b, double alpha, arma::mat& c) {
  const int d = int(a.n_cols), k = int(a.n_rows);
  cblas_dsyr2k(CblasColMajor, CblasUpper, CblasTrans, d, k, alpha, a.memptr(), k, b.memptr(), k, 1.0, c.memptr(), d);
}

// C ← C + α AᵀA, A (k, d); upper triangle of C (d, d).
void add_gram_t(const arma::mat& a, double alpha, arma::mat& c) {
  const int d = int(a.n_cols), k = int(a.n_rows);
  cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, d, k, alpha, a.memptr(), k, 1.0, c.memptr(), d);
}

// C ← C + α A Aᵀ, A (d, B); upper triangle of C (d, d).
void add_outer(const arma::mat& a, double alpha, arma::mat& c) {
  const int d = int(a.n_rows), b = int(a.n_cols);
  cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, d, b, alpha, a.memptr(), d, 1.0, c.memptr(), d);
}

double fro(const arma::mat& m) { return arma::norm(m, "fro"); }

template <class T> arma::mat to_double(const arma::Mat<T>& m) { return arma::conv_to<arma::mat>::from(m); }

Dataset first_samples(const Dataset& data, std::size_t n) {
  if (n > data.size())
    throw std::invalid_argument("need " + std::to_string(n) + " training samples, the data has " +
                                std::to_string(data.size()));
  Dataset out = data;
  out.x = data.x.cols(0, n - 1);
  out.y = data.y.head(n);
  if (!data.targets.is_empty()) out.targets = data.targets.cols(0, n - 1);
  return out;
}

}  // namespace

arma::mat gram_change(const arma::mat& w, const arma::mat& w_plus) {
  const arma::mat delta = w_plus - w;  // (k, d)
  arma::mat upper(w.n_cols, w.n_cols, arma::fill::zeros);
  add_sym_cross(w, delta, 1.0, upper);  // WᵀΔ + ΔᵀW
  add_gram_t(delta, 1.0, upper);        // ΔᵀΔ
  return arma::symmatu(upper);
}

arma::mat vc_shift_matrix(const arma::mat& h, const arma::mat& g, double lr) {
  arma::mat upper(h.n_rows, h.n_rows, arma::fill::zeros);
  add_vc_shift(h, g, lr, VcStorage::upper, upper);
  return arma::symmatu(upper);
}

arma::mat theorem2_residual(const arma::mat& grad_w, const arma::mat& g, double lr) {
  arma::mat upper(grad_w.n_cols, grad_w.n_cols, arma::fill::zeros);
  add_gram_t(grad_w, lr * lr, upper);  // γ² ∇Wᵀ∇W
  add_outer(g, -lr * lr, upper);       // − γ² Σ_i g_i g_iᵀ
  return arma::symmatu(upper);
}

Theorem2Step measure_theorem2_step(const arma::mat& w, const arma::mat& w_plus, const arma::mat& grad_w,
                                   const arma::mat& h, const arma::mat& g, double lr) {
  if (w.n_cols != h.n_rows || g.n_rows != h.n_rows || g.n_cols != h.n_cols || arma::size(w) != arma::size(w_plus) ||
      arma::size(w) != arma::size(grad_w))
    throw std::invalid_argument("measure_theorem2_step: inconsistent shapes");
  Theorem2Step m;
  // ‖WᵀW‖_F = ‖WWᵀ‖_F (same non-zero eigenvalues): take the smaller of the two Grams.
  m.gram_norm = w.n_rows < w.n_cols ? fro(w * w.t()) : fro(w.t() * w);
  const arma::mat dg = gram_change(w, w_plus);
  const arma::mat resid = dg - vc_shift_matrix(h, g, lr);  // ΔG − v
  const arma::mat predicted = theorem2_residual(grad_w, g, lr);
  m.gram_change = fro(dg);
  m.vc_shift = fro(dg - resid);
  m.residual = fro(resid);
  m.relative_residual = m.residual / m.gram_change;
  m.predicted_residual = fro(predicted);
  const double err = fro(resid - predicted);
  m.identity_error = err / m.gram_change;
  m.identity_error_gram = err / m.gram_norm;
  return m;
}

double median_of(std::vector<double> values) {
  if (values.empty()) return arma::datum::nan;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

std::vector<double> log_spaced(double lo, double hi, std::size_t n) {
  if (n < 2 || !(lo > 0) || !(hi > lo)) throw std::invalid_argument("log_spaced: need 0 < lo < hi and n >= 2");
  std::vector<double> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = lo * std::pow(hi / lo, double(i) / double(n - 1));
  return out;
}

// ---- per-step observer ------------------------------------------------------------------------

template <class T> void Theorem2StepObserver<T>::on_backward(const Mlp<T>& model, const StepState<T>& state) {
  pending_ = steps_.size() < max_steps_;
  if (!pending_) return;
  const std::size_t n = model.n_layers();
  w_.assign(n, {});
  grad_w_.assign(n, {});
  h_.assign(n, {});
  g_.assign(n, {});
  lr_ = state.lr;
  for (std::size_t l = 0; l < n; ++l) {
    w_[l] = to_double(model.weights[l]);
    grad_w_[l] = to_double(state.grads->grad_w[l]);
    h_[l] = to_double(state.pass->h[l]);
    g_[l] = to_double(state.grads->grad_h[l]);  // empty for layer 0 without need_input_grad
  }
}

template <class T> void Theorem2StepObserver<T>::on_step(const Mlp<T>& model, const StepState<T>&) {
  if (!pending_) return;
  pending_ = false;
  std::vector<Theorem2Step> row(model.n_layers());
  for (std::size_t l = 0; l < model.n_layers(); ++l) {
    if (g_[l].is_empty()) {
      const double nan = arma::datum::nan;
      row[l] = Theorem2Step{nan, nan, nan, nan, nan, nan, nan, nan};
      continue;
    }
    row[l] = measure_theorem2_step(w_[l], to_double(model.weights[l]), grad_w_[l], h_[l], g_[l], lr_);
  }
  steps_.push_back(std::move(row));
}

// ---- cumulative observer ----------------------------------------------------------------------

template <class T> void Theorem2CumulativeObserver<T>::on_begin(const Mlp<T>& model) {
  w0_.clear();
  v_upper_.clear();
  r_upper_.clear();
  points_.clear();
  steps_done_ = last_measured_ = 0;
  for (const auto& w : model.weights) {
    w0_.push_back(to_double(w));
    v_upper_.emplace_back(w.n_cols, w.n_cols, arma::fill::zeros);
    if (track_residual_) r_upper_.emplace_back(w.n_cols, w.n_cols, arma::fill::zeros);
  }
}

template <class T>
void Theorem2CumulativeObserver<T>::on_backward(const Mlp<T>& model, const StepState<T>& state) {
  for (std::size_t l = 0; l < model.n_layers(); ++l) {
    if (state.grads->grad_h[l].is_empty())
      throw std::invalid_argument("Theorem2CumulativeObserver: g_0 missing; run the trainer with need_input_grad");
    add_vc_shift(state.pass->h[l], state.grads->grad_h[l], state.lr, VcStorage::upper, v_upper_[l]);
    if (track_residual_) {
      const double lr2 = state.lr * state.lr;
      add_gram_t(to_double(state.grads->grad_w[l]), lr2, r_upper_[l]);
      add_outer(to_double(state.grads->grad_h[l]), -lr2, r_upper_[l]);
    }
  }
}

template <class T> void Theorem2CumulativeObserver<T>::on_step(const Mlp<T>& model, const StepState<T>&) {
  ++steps_done_;
  if (steps_done_ % stride_ == 0) measure(model, steps_done_);
}

template <class T> void Theorem2CumulativeObserver<T>::on_end(const Mlp<T>& model) {
  if (steps_done_ > 0 && last_measured_ != steps_done_) measure(model, steps_done_);
}

template <class T>
arma::mat Theorem2CumulativeObserver<T>::gram_change_matrix(const Mlp<T>& model, std::size_t layer) const {
  return gram_change(w0_.at(layer), to_double(model.weights.at(layer)));
}
template <class T> arma::mat Theorem2CumulativeObserver<T>::vc_shift_total(std::size_t layer) const {
  return arma::symmatu(v_upper_.at(layer));
}
template <class T> arma::mat Theorem2CumulativeObserver<T>::residual_total(std::size_t layer) const {
  if (!track_residual_) throw std::logic_error("residual_total: constructed without track_residual_sum");
  return arma::symmatu(r_upper_.at(layer));
}

template <class T> void Theorem2CumulativeObserver<T>::measure(const Mlp<T>& model, std::size_t steps_done) {
  last_measured_ = steps_done;
  for (std::size_t l = 0; l < model.n_layers(); ++l) {
    const arma::mat dg = gram_change_matrix(model, l);
    const arma::mat v = vc_shift_total(l);
    Theorem2CumulativePoint p;
    p.step = steps_done;
    p.layer = l;
    p.gram_change = fro(dg);
    p.vc_shift = fro(v);
    const arma::mat resid = dg - v;
    p.relative_residual = fro(resid) / p.gram_change;
    if (track_residual_) {
      const arma::mat r = residual_total(l);
      p.residual_sum = fro(r);
      p.identity_error = fro(resid - r) / p.gram_change;
    } else {
      p.residual_sum = p.identity_error = arma::datum::nan;
    }
    points_.push_back(p);
  }
}

// ---- γ sweep ----------------------------------------------------------------------------------

template <class T>
std::vector<std::vector<Theorem2Step>> theorem2_lr_sweep(const Mlp<T>& model, const arma::Mat<T>& x,
                                                         const arma::Mat<T>& targets, Loss loss,
                                                         const std::vector<double>& lrs, const Sgd<T>& rule) {
  ForwardPass<T> pass;
  BackwardPass<T> grads;
  const double loss_value = loss_and_backward(model, x, targets, loss, pass, grads, true);
  std::vector<std::vector<Theorem2Step>> out;
  for (double lr : lrs) {
    Mlp<T> next = model;
    Sgd<T> step_rule = rule;  // copies momentum's velocity: every γ starts from the same optimiser state
    StepState<T> state;
    state.lr = lr;
    state.loss = loss_value;
    state.pass = &pass;
    state.grads = &grads;
    step_rule.update(next, state);
    std::vector<Theorem2Step> row;
    for (std::size_t l = 0; l < model.n_layers(); ++l)
      row.push_back(measure_theorem2_step(to_double(model.weights[l]), to_double(next.weights[l]),
                                          to_double(grads.grad_w[l]), to_double(pass.h[l]),
                                          to_double(grads.grad_h[l]), lr));
    out.push_back(std::move(row));
  }
  return out;
}

// ---- configuration driver ---------------------------------------------------------------------

namespace {

template <class T>
Theorem2ConfigResult run_config_typed(const Theorem2Config& config, const Dataset& train, std::uint64_t seed) {
  const auto start = std::chrono::steady_clock::now();
  MlpSpec spec;
  spec.input_dim = train.dim();
  spec.hidden = config.hidden;
  spec.output_dim = train.n_classes;
  spec.activation = config.activation;
  spec.bias = config.bias;
  spec.init = Init::pytorch;
  Mlp<T> model(spec, seed);
  const Dataset subset = first_samples(train, config.steps * config.batch);
  TrainOptions options;
  options.lr = config.lr;
  options.batch = config.batch;
  options.epochs = 1;
  options.seed = seed + 1;
  options.evaluate_initial = false;
  options.progress_label = "theorem2 " + config.name;
  Sgd<T> rule(SgdOptions{config.momentum, config.weight_decay});
  Trainer<T> trainer(options, rule);
  Theorem2StepObserver<T> observer;
  trainer.add_observer(observer);
  const Dataset empty_test;
  const TrainResult run = trainer.run(model, subset, empty_test, /*need_input_grad=*/true);
  if (run.diverged) throw std::runtime_error("theorem2 config " + config.name + ": " + run.divergence_message);

  Theorem2ConfigResult result;
  result.config = config;
  result.final_loss = run.epochs.empty() ? arma::datum::nan : run.epochs.back().train_loss;
  for (std::size_t l = 0; l < model.n_layers(); ++l) {
    std::vector<double> rel, err, err_gram;
    for (const auto& step : observer.steps()) {
      rel.push_back(step[l].relative_residual);
      err.push_back(step[l].identity_error);
      err_gram.push_back(step[l].identity_error_gram);
    }
    Theorem2LayerSummary s;
    s.layer = l;
    s.width = spec.width(l);
    s.relative_residual_median = median_of(rel);
    s.relative_residual_max = *std::max_element(rel.begin(), rel.end());
    s.identity_error_median = median_of(err);
    s.identity_error_max = *std::max_element(err.begin(), err.end());
    s.identity_error_gram_max = *std::max_element(err_gram.begin(), err_gram.end());
    result.layers.push_back(s);
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace

Theorem2ConfigResult run_theorem2_config(const Theorem2Config& config, const Dataset& train, std::uint64_t seed) {
  if (config.steps == 0 || config.batch == 0) throw std::invalid_argument("theorem2 config: steps and batch must be positive");
  return config.use_float ? run_config_typed<float>(config, train, seed) : run_config_typed<double>(config, train, seed);
}

#define VCLAB_INSTANTIATE(T)                                                                                      \
  template class Theorem2StepObserver<T>;                                                                         \
  template class Theorem2CumulativeObserver<T>;                                                                   \
  template std::vector<std::vector<Theorem2Step>> theorem2_lr_sweep<T>(                                           \
      const Mlp<T>&, const arma::Mat<T>&, const arma::Mat<T>&, Loss, const std::vector<double>&, const Sgd<T>&);
VCLAB_INSTANTIATE(float)
VCLAB_INSTANTIATE(double)
#undef VCLAB_INSTANTIATE

}  // namespace vclab
