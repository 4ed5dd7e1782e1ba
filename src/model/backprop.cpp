// Forward/backward kernels. Shapes: W_l (d_{l+1}, d_l), h_l (d_l, B), z_{l+1} (d_{l+1}, B).
#include "model/backprop.hpp"

#include <type_traits>

namespace vclab {

namespace {
// The layers after the input: h_0 is read from `h0`, which is pass.h[0] or the caller's columns.
template <class T> void forward_from(const Mlp<T>& model, const arma::Mat<T>& h0, ForwardPass<T>& pass) {
  const std::size_t n_layers = model.n_layers();  // L + 1
  pass.h.resize(n_layers);
  pass.z.resize(n_layers);
  pass.slope.resize(pass.with_slopes ? n_layers : 0);
  for (std::size_t l = 0; l + 1 < n_layers; ++l) {
    pass.z[l + 1] = model.weights[l] * (l == 0 ? h0 : pass.h[l]);  // z_{l+1} = W_l h_l      (d_{l+1}, B)
    if (model.has_bias()) pass.z[l + 1].each_col() += model.biases[l];
    if (pass.with_slopes)  // h_{l+1} = σ(z_{l+1}), and σ'(z_{l+1}) for backward
      activate_with_derivative(model.spec.activation, pass.z[l + 1], pass.h[l + 1], pass.slope[l + 1]);
    else activate(model.spec.activation, pass.z[l + 1], pass.h[l + 1]);  // h_{l+1} = σ(z_{l+1})
  }
  pass.logits = model.weights.back() * (n_layers == 1 ? h0 : pass.h.back());  // f = W_L h_L   (C, B)
  if (model.has_bias()) pass.logits.each_col() += model.biases.back();
}
}  // namespace

template <class T> void forward(const Mlp<T>& model, arma::Mat<T> x, ForwardPass<T>& pass) {
  pass.h.resize(model.n_layers());
  pass.h[0] = std::move(x);  // a caller's temporary batch becomes h_0 without a copy
  forward_from(model, pass.h[0], pass);
}

template <class T>
void forward_columns(const Mlp<T>& model, const arma::fmat& x, arma::uword first, arma::uword count, ForwardPass<T>& pass) {
  if constexpr (std::is_same_v<T, float>) {
    // A read-only view of the columns (never assigned to, so the data cannot change through it): W_0 reads them in
    // place, as it would read a copy, so z_1 has the same bits.
    const arma::fmat columns(const_cast<float*>(x.colptr(first)), x.n_rows, count, false, true);
    pass.h.resize(model.n_layers());
    pass.h[0].reset();
    forward_from(model, columns, pass);
  } else {
    forward(model, arma::conv_to<arma::Mat<T>>::from(x.cols(first, first + count - 1)), pass);
  }
}

template <class T>
void backward(const Mlp<T>& model, const ForwardPass<T>& pass, const arma::Mat<T>& grad_logits,
              BackwardPass<T>& grads, bool need_input_grad) {
  const std::size_t n_layers = model.n_layers();
  grads.grad_w.resize(n_layers);
  grads.grad_h.resize(n_layers);
  grads.grad_z.resize(n_layers);
  grads.grad_b.resize(model.has_bias() ? n_layers : 0);
  grads.grad_z[n_layers - 1] = grad_logits;
  for (std::size_t l = n_layers; l-- > 0;) {
    const arma::Mat<T>& dz = grads.grad_z[l];          // ∂ℒ/∂z_{l+1}  (d_{l+1}, B)
    if (grads.factored_weight_grads) grads.grad_w[l].reset();
    else grads.grad_w[l] = dz * pass.h[l].t();         // z_{l+1} = W_l h_l  ⇒  ∇W_l = dz h_lᵀ
    if (model.has_bias()) grads.grad_b[l] = arma::sum(dz, 1);
    if (l > 0 || need_input_grad) grads.grad_h[l] = model.weights[l].t() * dz;  // g_l = W_lᵀ dz
    else grads.grad_h[l].reset();
    if (l > 0 && !pass.slope.empty()) grads.grad_z[l - 1] = grads.grad_h[l] % pass.slope[l];  // as below, σ' kept
    else if (l > 0) {  // h_l = σ(z_l)  ⇒  ∂ℒ/∂z_l = g_l ∘ σ'(z_l)
      grads.grad_z[l - 1] = grads.grad_h[l] % activate_derivative(model.spec.activation, pass.z[l]);
    }
  }
}

template <class T>
double loss_and_backward(const Mlp<T>& model, arma::Mat<T> x, const arma::Mat<T>& targets, Loss loss,
                         ForwardPass<T>& pass, BackwardPass<T>& grads, bool need_input_grad) {
  pass.with_slopes = true;
  forward(model, std::move(x), pass);
  arma::Mat<T> grad_logits;
  const double value = loss_and_gradient(loss, pass.logits, targets, &grad_logits);
  backward(model, pass, grad_logits, grads, need_input_grad);
  return value;
}

template <class T>
void backpropagate_to_preactivations(const Mlp<T>& model, const ForwardPass<T>& pass, const arma::Mat<T>& seed,
                                     std::vector<arma::Mat<T>>& grad_z) {
  const std::size_t n_layers = model.n_layers();
  grad_z.resize(n_layers);
  grad_z[n_layers - 1] = seed;
  for (std::size_t l = n_layers - 1; l > 0; --l) {
    const arma::Mat<T> g = model.weights[l].t() * grad_z[l];  // ∂/∂h_l
    if (pass.slope.empty()) grad_z[l - 1] = g % activate_derivative(model.spec.activation, pass.z[l]);
    else grad_z[l - 1] = g % pass.slope[l];  // σ'(z_l) kept by forward
  }
}

template <class T> std::size_t count_correct(const arma::Mat<T>& logits, const arma::uvec& labels) {
  const arma::urowvec predicted = arma::index_max(logits, 0);
  std::size_t correct = 0;
  for (arma::uword i = 0; i < labels.n_elem; ++i) correct += predicted(i) == labels(i);
  return correct;
}

#define VCLAB_INSTANTIATE(T)                                                                                   \
  template void forward<T>(const Mlp<T>&, arma::Mat<T>, ForwardPass<T>&);                                    \
  template void forward_columns<T>(const Mlp<T>&, const arma::fmat&, arma::uword, arma::uword, ForwardPass<T>&);                                    \
  template void backward<T>(const Mlp<T>&, const ForwardPass<T>&, const arma::Mat<T>&, BackwardPass<T>&, bool); \
  template double loss_and_backward<T>(const Mlp<T>&, arma::Mat<T>, const arma::Mat<T>&, Loss,               \
                                       ForwardPass<T>&, BackwardPass<T>&, bool);                             \
  template void backpropagate_to_preactivations<T>(const Mlp<T>&, const ForwardPass<T>&, const arma::Mat<T>&, \
                                                   std::vector<arma::Mat<T>>&);                              \
  template std::size_t count_correct<T>(const arma::Mat<T>&, const arma::uvec&);
VCLAB_INSTANTIATE(float)
VCLAB_INSTANTIATE(double)
#undef VCLAB_INSTANTIATE

}  // namespace vclab
