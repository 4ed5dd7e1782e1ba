// The policy that turns a step's gradients into new weights (SGD, VCL). The trainer loop is shared.
#pragma once
#include <string>

#include "train/observer.hpp"

namespace vclab {

template <class T> struct UpdateRule {
  virtual ~UpdateRule() = default;
  virtual std::string name() const = 0;
  // Whether g_0 = ∂ℒ/∂x is needed (VCL on layer 0 needs it).
  virtual bool needs_input_grad() const { return false; }
  // Whether update() can take a dense layer's ∇W = dz hᵀ as its two factors (NetworkBackward::weight_grad_factored)
  // instead of the formed matrix: then, unless an observer needs ∇W, the trainer never forms it.
  virtual bool takes_factored_weight_grads() const { return false; }
  virtual void on_epoch_begin(std::size_t /*epoch*/) {}
  virtual void update(Network<T>& model, const StepState<T>& state) = 0;
  // Training checkpoints: a rule with state across steps (momentum buffers, VCL's V) must write it
  // under `prefix` and read it back, or a resumed run differs; resumable() says the rule does so.
  virtual bool resumable() const { return false; }
  virtual void save_state(StateArchive&, const std::string& /*prefix*/) const {}
  virtual void load_state(const StateArchive&, const std::string& /*prefix*/) {}
};

}  // namespace vclab
