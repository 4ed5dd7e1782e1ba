// Cross-entropy (stable log-softmax) and MSE losses with their logit gradients.
#include "model/loss.hpp"

#include <stdexcept>

namespace vclab {

template <class T>
arma::Col<T> per_sample_loss_gradient(Loss loss, const arma::Mat<T>& logits, const arma::Mat<T>& targets,
                                      std::type_identity_t<arma::Mat<T>>* grad) {
  const arma::uword n_classes = logits.n_rows;
  const arma::uword batch = logits.n_cols;
  arma::Col<T> losses(batch);
  if (loss == Loss::cross_entropy) {
    // ℓ_i = logsumexp(f_i) − ⟨y_i, f_i⟩ ; ∂ℓ_i/∂f_i = softmax(f_i) − y_i
    arma::Mat<T> prob(n_classes, batch);
    for (arma::uword i = 0; i < batch; ++i) {
      const T peak = logits.col(i).max();
      const arma::Col<T> e = arma::exp(logits.col(i) - peak);
      const T total = arma::accu(e);
      losses(i) = peak + std::log(total) - arma::dot(targets.col(i), logits.col(i));
      prob.col(i) = e / total;
    }
    if (grad) *grad = prob - targets;
  } else {
    // ℓ_i = (1/C) ‖f_i − y_i‖² ; ∂ℓ_i/∂f_i = (2/C)(f_i − y_i)
    const arma::Mat<T> diff = logits - targets;
    losses = arma::sum(arma::square(diff), 0).t() / T(n_classes);
    if (grad) *grad = diff * (T(2) / T(n_classes));
  }
  return losses;
}

template <class T>
double loss_and_gradient(Loss loss, const arma::Mat<T>& logits, const arma::Mat<T>& targets,
                         std::type_identity_t<arma::Mat<T>>* grad) {
  const arma::Col<T> losses = per_sample_loss_gradient(loss, logits, targets, grad);
  if (grad) *grad /= T(logits.n_cols);
  return arma::mean(arma::conv_to<arma::vec>::from(losses));
}

template <class T> arma::Mat<T> one_hot(const arma::uvec& labels, std::size_t n_classes) {
  arma::Mat<T> y(n_classes, labels.n_elem, arma::fill::zeros);
  for (arma::uword i = 0; i < labels.n_elem; ++i) {
    if (labels(i) >= n_classes) throw std::out_of_range("label " + std::to_string(labels(i)) + " >= n_classes");
    y(labels(i), i) = T(1);
  }
  return y;
}

template double loss_and_gradient<float>(Loss, const arma::fmat&, const arma::fmat&, arma::fmat*);
template double loss_and_gradient<double>(Loss, const arma::mat&, const arma::mat&, arma::mat*);
template arma::fvec per_sample_loss_gradient<float>(Loss, const arma::fmat&, const arma::fmat&, arma::fmat*);
template arma::vec per_sample_loss_gradient<double>(Loss, const arma::mat&, const arma::mat&, arma::mat*);
template arma::fmat one_hot<float>(const arma::uvec&, std::size_t);
template arma::mat one_hot<double>(const arma::uvec&, std::size_t);

}  // namespace vclab
