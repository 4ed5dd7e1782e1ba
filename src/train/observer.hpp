// Observer hooks fired by the trainer (STYLE.md): recorders read through const views and never change training.
#pragma once
#include <armadillo>
#include <cstdint>
#include <string>

#include "model/network.hpp"

namespace vclab {

class StateArchive;

// What one optimiser step saw. Fired twice: on_backward with the model before the update,
// on_step with the model after it.
template <class T> struct StepState {
  std::size_t step = 0;          // index of this step (0-based) = steps completed before it
  std::size_t epoch = 0;         // 0-based epoch this step belongs to
  double epoch_progress = 0;     // fractional epochs completed after this step
  double lr = 0;                 // γ of this step
  double loss = 0;               // batch loss ℒ before the update
  const arma::uvec* indices = nullptr;          // training-set indices of this batch
  const NetworkForward<T>* pass = nullptr;      // each weight layer's input columns (layer_input) of this batch
  const NetworkBackward<T>* grads = nullptr;    // ∇W_i (or its factors), the input columns' gradients g (carrying 1/B)
};

// A recording checkpoint: index 0 is the initial model, then the schedule, always the end.
struct CheckpointInfo {
  std::size_t index = 0;
  std::int64_t step = 0;  // optimiser steps completed
  double epoch = 0;       // fractional epochs completed
  double lr = 0;
  bool final = false;
};

struct EpochMetrics {
  std::size_t epoch = 0;           // epochs completed (0 = before training)
  std::int64_t steps = 0;          // optimiser steps completed
  double train_loss = 0;           // mean of the mini-batch losses seen during the epoch (epoch 0: full pass)
  double train_accuracy = 0;
  double test_loss = 0;            // full pass over the test set after the epoch
  double test_accuracy = 0;
  double seconds = 0;              // wall time of the epoch's training steps
};

template <class T> struct Observer {
  virtual ~Observer() = default;
  virtual void on_begin(const Network<T>&) {}
  virtual void on_backward(const Network<T>&, const StepState<T>&) {}
  virtual void on_step(const Network<T>&, const StepState<T>&) {}
  virtual void on_checkpoint(const Network<T>&, const CheckpointInfo&) {}
  virtual void on_epoch_end(const Network<T>&, const EpochMetrics&) {}
  virtual void on_end(const Network<T>&) {}
  // Whether this observer reads g_0 = ∂ℒ/∂x of a dense first layer (StepState::grads->input_grad(0)); the trainer
  // computes it only when the rule or an attached observer asks (an extra (d_0, B) product per step). A conv first
  // layer's patch gradients g_p are always there.
  virtual bool needs_input_grad() const { return false; }
  // Whether this observer reads ∇W_i (StepState::grads->weight_grad). Under plain SGD the trainer leaves a dense
  // layer's ∇W unformed unless an observer asks (weight_grad then throws): it saves a (d_{l+1}, d_l) matrix's write,
  // read and finite check every step.
  virtual bool needs_weight_grads() const { return false; }
  // Training checkpoints (vclab train --checkpoint-every / --resume): an observer that keeps state
  // across steps writes it under `prefix` (a group path) and reads it back after on_begin, so a
  // resumed run continues bit-identically. Stateless observers keep the no-op defaults.
  virtual void save_state(StateArchive&, const std::string& /*prefix*/) const {}
  virtual void load_state(const StateArchive&, const std::string& /*prefix*/) {}
};

}  // namespace vclab
