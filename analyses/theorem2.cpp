// Theorem 2 measurements (pure functions). Shapes: W_l (k = d_{l+1}, d = d_l), h_l and g_l (d, B), Grams (d, d).
// Large d×d products use BLAS syr2k/syrk on the upper triangle (the matrices are symmetric).
#include "analyses/theorem2.hpp"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "model/backprop.hpp"
#include "model/vc_shift.hpp"

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

void add_theorem2_residual(const arma::mat& grad_w, const arma::mat& g, double lr, arma::mat& upper) {
  add_gram_t(grad_w, lr * lr, upper);  // γ² ∇Wᵀ∇W
  add_outer(g, -lr * lr, upper);       // − γ² Σ_i g_i g_iᵀ
}

arma::mat theorem2_residual(const arma::mat& grad_w, const arma::mat& g, double lr) {
  arma::mat upper(grad_w.n_cols, grad_w.n_cols, arma::fill::zeros);
  add_theorem2_residual(grad_w, g, lr, upper);
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

// ---- γ sweep ----------------------------------------------------------------------------------

template <class T>
std::vector<std::vector<Theorem2Step>> theorem2_lr_sweep(const Network<T>& model, const arma::Mat<T>& x,
                                                         const arma::Mat<T>& targets, Loss loss,
                                                         const std::vector<double>& lrs, const Sgd<T>& rule) {
  NetworkForward<T> pass;
  NetworkBackward<T> grads;
  const double loss_value = loss_and_backward(model, x, targets, loss, pass, grads, true);
  std::vector<std::vector<Theorem2Step>> out;
  for (double lr : lrs) {
    Network<T> next = model;
    Sgd<T> step_rule = rule;  // copies momentum's velocity: every γ starts from the same optimiser state
    step_rule.update(next, StepState<T>{.lr = lr, .loss = loss_value, .pass = &pass, .grads = &grads});
    std::vector<Theorem2Step> row;
    for (std::size_t l = 0; l < model.n_layers(); ++l)
      row.push_back(measure_theorem2_step(to_double(model.weight(l)), to_double(next.weight(l)),
                                          to_double(grads.weight_grad(l)), to_double(pass.layer_input(l)),
                                          to_double(grads.input_grad(l)), lr));
    out.push_back(std::move(row));
  }
  return out;
}

#define VCLAB_INSTANTIATE(T)                                                                                      \
  template std::vector<std::vector<Theorem2Step>> theorem2_lr_sweep<T>(                                           \
      const Network<T>&, const arma::Mat<T>&, const arma::Mat<T>&, Loss, const std::vector<double>&, const Sgd<T>&);
VCLAB_INSTANTIATE(float)
VCLAB_INSTANTIATE(double)
#undef VCLAB_INSTANTIATE

}  // namespace vclab
