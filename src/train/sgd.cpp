// SGD step: buf ← μ buf + (∇W + λ W);  W ← W − γ buf   (μ = λ = 0: W ← W − γ ∇W, one GEMM when ∇W is factored).
#include "train/sgd.hpp"

#include "io/state_archive.hpp"

namespace vclab {

template <class T> void Sgd<T>::update(Network<T>& model, const StepState<T>& state) {
  update_layers(model, state, 0, model.n_layers() - 1);
}

template <class T>
void Sgd<T>::update_layers(Network<T>& model, const StepState<T>& state, std::size_t first, std::size_t last) {
  const T lr = T(state.lr);
  const auto& grads = *state.grads;
  if (options_.momentum == 0 && options_.weight_decay == 0) {
    for (std::size_t l = first; l <= last; ++l) {
      if (grads.weight_grad_factored(l))  // ∇W = dz hᵀ: W −= γ dz hᵀ is one GEMM into W (α = −γ, β = 1)
        model.weight(l) -= lr * grads.preactivation_grad(l) * state.pass->layer_input(l).t();
      else
        model.weight(l) -= lr * grads.weight_grad(l);
      if (model.has_bias()) model.bias(l) -= lr * grads.bias_grad(l);
    }
    return;
  }
  if (velocity_w_.empty()) {
    for (std::size_t l = 0; l < model.n_layers(); ++l) {
      velocity_w_.emplace_back(arma::size(model.weight(l)), arma::fill::zeros);
      if (model.has_bias()) velocity_b_.emplace_back(model.bias(l).n_elem, arma::fill::zeros);
    }
  }
  const T mu = T(options_.momentum), wd = T(options_.weight_decay);
  for (std::size_t l = first; l <= last; ++l) {
    velocity_w_[l] = mu * velocity_w_[l] + grads.weight_grad(l) + wd * model.weight(l);
    model.weight(l) -= lr * velocity_w_[l];
    if (model.has_bias()) {
      velocity_b_[l] = mu * velocity_b_[l] + grads.bias_grad(l) + wd * model.bias(l);
      model.bias(l) -= lr * velocity_b_[l];
    }
  }
}

// Buffers are stored as float64 (exact for float32 too): prefix/velocity_w<l>, prefix/velocity_b<l>.
template <class T> void Sgd<T>::save_state(StateArchive& file, const std::string& prefix) const {
  file.create_group(prefix);
  file.set_attribute(prefix, "n_velocity_w", std::int64_t(velocity_w_.size()));
  file.set_attribute(prefix, "n_velocity_b", std::int64_t(velocity_b_.size()));
  for (std::size_t l = 0; l < velocity_w_.size(); ++l)
    file.write_matrix(prefix + "/velocity_w" + std::to_string(l), arma::conv_to<arma::mat>::from(velocity_w_[l]));
  for (std::size_t l = 0; l < velocity_b_.size(); ++l)
    file.write_vector(prefix + "/velocity_b" + std::to_string(l), arma::conv_to<arma::vec>::from(velocity_b_[l]));
}

template <class T> void Sgd<T>::load_state(const StateArchive& file, const std::string& prefix) {
  velocity_w_.clear();
  velocity_b_.clear();
  const std::int64_t n_w = file.get_attribute_int(prefix, "n_velocity_w"), n_b = file.get_attribute_int(prefix, "n_velocity_b");
  for (std::int64_t l = 0; l < n_w; ++l)
    velocity_w_.push_back(arma::conv_to<arma::Mat<T>>::from(file.read_matrix(prefix + "/velocity_w" + std::to_string(l))));
  for (std::int64_t l = 0; l < n_b; ++l)
    velocity_b_.push_back(arma::conv_to<arma::Col<T>>::from(arma::vec(file.read_matrix(prefix + "/velocity_b" + std::to_string(l)))));
}

template class Sgd<float>;
template class Sgd<double>;

}  // namespace vclab
