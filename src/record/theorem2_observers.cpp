// Theorem 2 observers: per-step and cumulative measurements along a training run.
#include "record/theorem2_observers.hpp"

#include <stdexcept>

#include "model/vc_shift.hpp"

namespace vclab {
namespace {

double fro(const arma::mat& m) { return arma::norm(m, "fro"); }

template <class T> arma::mat to_double(const arma::Mat<T>& m) { return arma::conv_to<arma::mat>::from(m); }

}  // namespace

// ---- per-step observer ------------------------------------------------------------------------

template <class T> void Theorem2StepObserver<T>::on_backward(const Network<T>& model, const StepState<T>& state) {
  pending_ = steps_.size() < max_steps_;
  if (!pending_) return;
  const std::size_t n = model.n_layers();
  w_.assign(n, {});
  grad_w_.assign(n, {});
  h_.assign(n, {});
  g_.assign(n, {});
  lr_ = state.lr;
  for (std::size_t l = 0; l < n; ++l) {
    w_[l] = to_double(model.weight(l));
    grad_w_[l] = to_double(state.grads->weight_grad(l));
    h_[l] = to_double(state.pass->layer_input(l));
    g_[l] = to_double(state.grads->input_grad(l));  // empty for a dense layer 0 without need_input_grad
  }
}

template <class T> void Theorem2StepObserver<T>::on_step(const Network<T>& model, const StepState<T>&) {
  if (!pending_) return;
  pending_ = false;
  std::vector<Theorem2Step> row(model.n_layers());
  for (std::size_t l = 0; l < model.n_layers(); ++l) {
    if (g_[l].is_empty()) {
      const double nan = arma::datum::nan;
      row[l] = Theorem2Step{nan, nan, nan, nan, nan, nan, nan, nan};
      continue;
    }
    row[l] = measure_theorem2_step(w_[l], to_double(model.weight(l)), grad_w_[l], h_[l], g_[l], lr_);
  }
  steps_.push_back(std::move(row));
}

// ---- cumulative observer ----------------------------------------------------------------------

template <class T> void Theorem2CumulativeObserver<T>::on_begin(const Network<T>& model) {
  w0_.clear();
  v_upper_.clear();
  r_upper_.clear();
  points_.clear();
  steps_done_ = last_measured_ = 0;
  for (std::size_t l = 0; l < model.n_layers(); ++l) {
    const arma::Mat<T>& w = model.weight(l);
    w0_.push_back(to_double(w));
    v_upper_.emplace_back(w.n_cols, w.n_cols, arma::fill::zeros);
    if (track_residual_) r_upper_.emplace_back(w.n_cols, w.n_cols, arma::fill::zeros);
  }
}

template <class T>
void Theorem2CumulativeObserver<T>::on_backward(const Network<T>& model, const StepState<T>& state) {
  for (std::size_t l = 0; l < model.n_layers(); ++l) {
    const arma::Mat<T>& g = state.grads->input_grad(l);
    if (g.is_empty()) throw std::invalid_argument("Theorem2CumulativeObserver: g_0 missing; run the trainer with need_input_grad");
    add_vc_shift(state.pass->layer_input(l), g, state.lr, VcStorage::upper, v_upper_[l]);
    if (track_residual_) add_theorem2_residual(to_double(state.grads->weight_grad(l)), to_double(g), state.lr, r_upper_[l]);
  }
}

template <class T> void Theorem2CumulativeObserver<T>::on_step(const Network<T>& model, const StepState<T>&) {
  ++steps_done_;
  if (steps_done_ % stride_ == 0) measure(model, steps_done_);
}

template <class T> void Theorem2CumulativeObserver<T>::on_end(const Network<T>& model) {
  if (steps_done_ > 0 && last_measured_ != steps_done_) measure(model, steps_done_);
}

template <class T>
arma::mat Theorem2CumulativeObserver<T>::gram_change_matrix(const Network<T>& model, std::size_t layer) const {
  return gram_change(w0_.at(layer), to_double(model.weight(layer)));
}
template <class T> arma::mat Theorem2CumulativeObserver<T>::vc_shift_total(std::size_t layer) const {
  return arma::symmatu(v_upper_.at(layer));
}
template <class T> arma::mat Theorem2CumulativeObserver<T>::residual_total(std::size_t layer) const {
  if (!track_residual_) throw std::logic_error("residual_total: constructed without track_residual_sum");
  return arma::symmatu(r_upper_.at(layer));
}

template <class T> void Theorem2CumulativeObserver<T>::measure(const Network<T>& model, std::size_t steps_done) {
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

template class Theorem2StepObserver<float>;
template class Theorem2StepObserver<double>;
template class Theorem2CumulativeObserver<float>;
template class Theorem2CumulativeObserver<double>;

}  // namespace vclab
