// Plain SGD W ← W − γ ∇W (the setting of Theorem 2), with optional momentum and weight decay (PyTorch's convention).
#pragma once
#include <vector>

#include "train/update_rule.hpp"

namespace vclab {

struct SgdOptions {
  double momentum = 0;      // breaks Theorem 2's exact identity when > 0
  double weight_decay = 0;  // breaks Theorem 2's exact identity when > 0
};

template <class T> class Sgd : public UpdateRule<T> {
 public:
  explicit Sgd(SgdOptions options = {}) : options_(options) {}
  std::string name() const override { return "sgd"; }
  void update(Network<T>& model, const StepState<T>& state) override;
  // Plain SGD applies W −= γ dz hᵀ as one GEMM; momentum and weight decay keep ∇W in their buffers.
  bool takes_factored_weight_grads() const override { return options_.momentum == 0 && options_.weight_decay == 0; }
  // Momentum buffers (empty until the first step with momentum or weight decay).
  bool resumable() const override { return true; }
  void save_state(StateArchive& file, const std::string& prefix) const override;
  void load_state(const StateArchive& file, const std::string& prefix) override;

  // Updates only layers [first, last] (used by VCL's warm-up of the last layer).
  void update_layers(Network<T>& model, const StepState<T>& state, std::size_t first, std::size_t last);

 private:
  SgdOptions options_;
  std::vector<arma::Mat<T>> velocity_w_;
  std::vector<arma::Col<T>> velocity_b_;
};

}  // namespace vclab
