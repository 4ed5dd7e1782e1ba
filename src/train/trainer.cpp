// The shared training loop. One step: x_B → forward → ℒ, ∇ → on_backward → rule.update → on_step.
#include "train/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <sstream>
#include <stdexcept>

#include "train/checkpoint.hpp"
#include "train/divergence.hpp"
#include "train/progress.hpp"

namespace vclab {

RecordSchedule RecordSchedule::parse(const std::string& text) {
  RecordSchedule schedule;
  std::size_t pos = 0;
  unsigned long long value = 0;
  try {
    value = std::stoull(text, &pos);
  } catch (const std::exception&) {
    pos = 0;
  }
  const std::string unit = text.substr(pos);
  if (pos == 0 || value == 0)
    throw std::invalid_argument("'" + text + "': expected a positive count with an optional unit, e.g. 1, 2epochs, 500steps");
  schedule.every = value;
  if (unit.empty() || unit == "e" || unit == "epoch" || unit == "epochs") schedule.unit = Unit::epoch;
  else if (unit == "s" || unit == "step" || unit == "steps") schedule.unit = Unit::step;
  else throw std::invalid_argument("'" + text + "': unknown unit '" + unit + "' (use epochs or steps)");
  return schedule;
}

std::string RecordSchedule::to_string() const {  // epochs are the default unit: "2", "500steps"
  return std::to_string(every) + (unit == Unit::epoch ? "" : "steps");
}

// A conv net's evaluation batches: the widest per-sample block within 8 MiB (conv 32,64 on CIFAR-10: 28 samples).
constexpr std::size_t kEvaluationBatchBytes = std::size_t(8) << 20;

template <class T> Evaluation evaluate(const Network<T>& model, const Dataset& data, Loss loss, std::size_t batch) {
  Evaluation result;
  if (data.size() == 0) return result;
  batch = memory_capped_batch(model, batch, kEvaluationBatchBytes);  // conv nets only; MLPs keep theirs
  NetworkForward<T> pass;
  double loss_sum = 0;
  std::size_t correct = 0;
  for (std::size_t start = 0; start < data.size(); start += batch) {
    const std::size_t stop = std::min(data.size(), start + batch);
    const arma::uvec idx = arma::regspace<arma::uvec>(start, stop - 1);
    if (model.n_conv_layers() == 0) forward_columns(model.head, data.x, start, stop - start, pass.head);  // no copy
    else forward(model, batch_inputs<T>(data, idx), pass);
    const arma::Mat<T> targets = batch_targets<T>(data, idx, model.spec.output_dim);
    loss_sum += loss_and_gradient(loss, pass.logits(), targets, nullptr) * double(idx.n_elem);
    correct += count_correct(pass.logits(), data.y(idx));
  }
  result.loss = loss_sum / double(data.size());
  result.accuracy = double(correct) / double(data.size());
  return result;
}

template <class T> Evaluation evaluate(const Mlp<T>& model, const Dataset& data, Loss loss, std::size_t batch) {
  return evaluate(Network<T>(model), data, loss, batch);
}

namespace {

// A factored ∇W_l = dz hᵀ (entries Σ_b dz h, every partial sum at most B·max|dz|·max|h| in size) is finite when dz
// is and that bound is below the type's largest value. Past the bound, which only a diverging run reaches, ∇W_l is
// formed here, so that it is checked like any other and the update uses it. `data_abs_max` ≥ 0 bounds |h| of weight
// layer 0 when its input is the batch itself (the training set's max |x|, computed once: the batch's own maximum
// cost 4.5 % of the training thread's samples at d = 3072).
template <class T>
void check_finite_gradients(const Network<T>& model, const NetworkForward<T>& pass, NetworkBackward<T>& grads,
                            double data_abs_max, std::int64_t step) {
  for (std::size_t l = 0; l < model.n_layers(); ++l) {
    if (grads.weight_grad_factored(l)) {
      const arma::Mat<T>& dz = grads.preactivation_grad(l);
      const arma::Mat<T>& h = pass.layer_input(l);
      const double h_max = l == 0 && data_abs_max >= 0 ? data_abs_max : double(arma::abs(h).max());
      const bool bounded = dz.is_finite() && double(h.n_cols) * double(arma::abs(dz).max()) * h_max <
                                                 double(std::numeric_limits<T>::max());
      if (bounded) continue;
      grads.head.grad_w[l - model.n_conv_layers()] = dz * h.t();
    }
    if (!grads.weight_grad(l).is_finite())
      throw DivergenceError(step, "layer " + std::to_string(l), "gradient of W" + std::to_string(l), "NaN or Inf");
  }
}

template <class T> void check_finite_weights(const Network<T>& model, std::int64_t step) {
  for (std::size_t l = 0; l < model.n_layers(); ++l)
    if (!model.weight(l).is_finite())
      throw DivergenceError(step, "layer " + std::to_string(l), "W" + std::to_string(l), "NaN or Inf after the update");
}

void check_batch_loss(double loss, double limit, std::int64_t step) {
  if (!std::isfinite(loss) || loss > limit)
    throw DivergenceError(step, "output", "batch loss",
                          std::isfinite(loss) ? "loss " + std::to_string(loss) + " exceeds " + std::to_string(limit) : "NaN or Inf");
}

template <class T> void check_run_inputs(const TrainOptions& options, const Network<T>& model, const Dataset& train) {
  if (options.lr <= 0) throw std::invalid_argument("learning rate must be positive");
  if (options.batch == 0) throw std::invalid_argument("batch size must be positive");
  if (train.size() == 0) throw std::invalid_argument("training set is empty");
  if (train.dim() != model.spec.input_dim())
    throw std::invalid_argument("model input width " + std::to_string(model.spec.input_dim()) +
                                " does not match the data's dimension " + std::to_string(train.dim()));
}

// One run of the loop: where it stands (what a training checkpoint saves) and the stages of an epoch. Every hook
// is fired from here, one line each.
template <class T> struct Loop {
  const TrainOptions& options;
  UpdateRule<T>& rule;
  const std::vector<Observer<T>*>& observers;
  Network<T>& model;
  const Dataset& train;
  const Dataset& test;
  bool need_input_grad = false;
  double data_abs_max = -1;  // max |x| over the training set when weight layer 0 reads the batch (no conv layer)
  std::size_t n = 0, steps_per_epoch = 0;
  TrainState state;        // sample order, counters and metrics so far
  std::mt19937_64 shuffle_rng;
  TrainResult result;
  ProgressBar* progress = nullptr;
  NetworkForward<T> pass;
  NetworkBackward<T> grads;

  std::int64_t& step() { return state.steps; }

  void checkpoint(double epoch, bool final) {  // a recording checkpoint
    const CheckpointInfo info{state.next_checkpoint++, state.steps, epoch, options.lr, final};
    for (auto* o : observers) o->on_checkpoint(model, info);
    state.last_checkpoint_step = state.steps;
  }

  void resume() {
    if (!rule.resumable()) throw std::invalid_argument("update rule '" + rule.name() + "' cannot resume from a checkpoint");
    state = load_checkpoint(options.resume_from, model, rule, observers);
    std::istringstream rng_text(state.shuffle_rng);
    rng_text >> shuffle_rng;
    const std::size_t size = n;
    const bool order_ok = std::all_of(state.order.begin(), state.order.end(), [size](arma::uword i) { return i < size; });
    if (!rng_text || state.order.size() != n || !order_ok || state.epochs_done > options.epochs)
      throw std::invalid_argument(options.resume_from.string() + ": checkpoint does not fit this run (" +
                                  std::to_string(state.order.size()) + " samples, " + std::to_string(state.epochs_done) +
                                  " epochs done; this run has " + std::to_string(n) + " samples, " +
                                  std::to_string(options.epochs) + " epochs)");
    result.epochs = state.epochs;
  }

  // The initial model: recording checkpoint 0 and the epoch-0 metrics row (full passes over train and test).
  void start() {
    checkpoint(0.0, false);
    if (!options.evaluate_initial) return;
    const Evaluation tr = evaluate(model, train, options.loss), te = evaluate(model, test, options.loss);
    const EpochMetrics m{0, 0, tr.loss, tr.accuracy, te.loss, te.accuracy, 0.0};
    result.epochs.push_back(m);
    for (auto* o : observers) o->on_epoch_end(model, m);
  }

  // One optimiser step on batch b of the epoch: x_B → forward → ℒ, ∇ → on_backward → rule.update → on_step.
  void batch(std::size_t epoch, std::size_t b, double& loss_sum, std::size_t& correct) {
    const std::size_t begin = b * options.batch, end = std::min(n, begin + options.batch);
    const arma::uvec idx(state.order.data() + begin, end - begin);
    const arma::Mat<T> targets = batch_targets<T>(train, idx, model.spec.output_dim);
    // x_B moves into the forward pass (an MLP's h_0) without a copy
    const double loss = loss_and_backward(model, batch_inputs<T>(train, idx), targets, options.loss, pass, grads, need_input_grad);
    check_batch_loss(loss, options.divergence_loss, step());
    check_finite_gradients(model, pass, grads, data_abs_max, step());
    loss_sum += loss * double(idx.n_elem);
    correct += count_correct(pass.logits(), train.y(idx));

    StepState<T> step_state;
    step_state.step = std::size_t(step());
    step_state.epoch = epoch;
    step_state.epoch_progress = double(epoch) + double(b + 1) / double(steps_per_epoch);
    step_state.lr = options.lr;
    step_state.loss = loss;
    step_state.indices = &idx;
    step_state.pass = &pass;
    step_state.grads = &grads;
    for (auto* o : observers) o->on_backward(model, step_state);
    rule.update(model, step_state);
    ++step();
    for (auto* o : observers) o->on_step(model, step_state);
    progress->update(std::size_t(step()), "loss " + std::to_string(loss).substr(0, 6));

    if (options.schedule.unit == RecordSchedule::Unit::step && step() % std::int64_t(options.schedule.every) == 0) {
      check_finite_weights(model, step());
      checkpoint(step_state.epoch_progress, std::size_t(step()) == options.epochs * steps_per_epoch);
    }
  }

  void epoch(std::size_t epoch) {
    rule.on_epoch_begin(epoch);
    std::shuffle(state.order.begin(), state.order.end(), shuffle_rng);
    const auto start_time = std::chrono::steady_clock::now();
    double loss_sum = 0;
    std::size_t correct = 0;
    for (std::size_t b = 0; b < steps_per_epoch; ++b) batch(epoch, b, loss_sum, correct);
    check_finite_weights(model, step());
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_time).count();
    const Evaluation te = evaluate(model, test, options.loss);
    const EpochMetrics m{epoch + 1, step(), loss_sum / double(n), double(correct) / double(n), te.loss, te.accuracy, seconds};
    result.epochs.push_back(m);
    for (auto* o : observers) o->on_epoch_end(model, m);
    const bool last = epoch + 1 == options.epochs;
    if (options.schedule.unit == RecordSchedule::Unit::epoch && (epoch + 1) % options.schedule.every == 0 && !last)
      checkpoint(double(epoch + 1), false);
    if (options.checkpoint_every > 0 && !options.checkpoint_path.empty() && (epoch + 1) % options.checkpoint_every == 0 && !last)
      save_training_checkpoint(epoch + 1);
  }

  void save_training_checkpoint(std::size_t epochs_done) {
    std::ostringstream rng_text;
    rng_text << shuffle_rng;
    state.epochs_done = epochs_done;
    state.shuffle_rng = rng_text.str();
    state.epochs = result.epochs;
    save_checkpoint(options.checkpoint_path, model, state, rule, observers);
  }

  // The final recording checkpoint: always, unless the schedule just wrote this very state.
  void finish() {
    if (state.last_checkpoint_step != step())
      checkpoint(double(result.epochs.empty() ? 0 : result.epochs.back().epoch), true);
  }
};

}  // namespace

template <class T> TrainResult Trainer<T>::run(Mlp<T>& model, const Dataset& train, const Dataset& test) {
  Network<T> network(std::move(model));
  try {
    TrainResult result = run(network, train, test);
    model = std::move(network.head);
    return result;
  } catch (...) {
    model = std::move(network.head);
    throw;
  }
}

template <class T>
TrainResult Trainer<T>::run(Network<T>& model, const Dataset& train, const Dataset& test) {
  check_run_inputs(options_, model, train);
  Loop<T> loop{options_, rule_, observers_, model, train, test};
  loop.need_input_grad = rule_.needs_input_grad();
  loop.grads.head.factored_weight_grads = rule_.takes_factored_weight_grads();
  for (const auto* o : observers_) {
    loop.need_input_grad = loop.need_input_grad || o->needs_input_grad();
    loop.grads.head.factored_weight_grads = loop.grads.head.factored_weight_grads && !o->needs_weight_grads();
  }
  if (model.n_conv_layers() == 0 && loop.grads.head.factored_weight_grads) loop.data_abs_max = arma::abs(train.x).max();
  loop.n = train.size();
  loop.steps_per_epoch = (loop.n + options_.batch - 1) / options_.batch;
  loop.shuffle_rng.seed(options_.seed);
  loop.state.order.resize(loop.n);
  std::iota(loop.state.order.begin(), loop.state.order.end(), 0);

  for (auto* o : observers_) o->on_begin(model);
  const bool resuming = !options_.resume_from.empty();
  if (resuming) loop.resume();
  ProgressBar progress(options_.progress_label, options_.epochs * loop.steps_per_epoch);
  loop.progress = &progress;
  try {
    if (!resuming) loop.start();
    for (std::size_t epoch = loop.state.epochs_done; epoch < options_.epochs; ++epoch) loop.epoch(epoch);
    loop.finish();
    progress.finish();
  } catch (const DivergenceError& e) {
    // The recordings end at the last checkpoint whose quantities were all finite.
    progress.finish();
    loop.result.diverged = true;
    loop.result.divergence_message = e.what();
  }
  loop.result.steps = loop.step();
  for (auto* o : observers_) o->on_end(model);
  return loop.result;
}

#define VCLAB_INSTANTIATE(T)                                                                     \
  template class Trainer<T>;                                                                     \
  template Evaluation evaluate<T>(const Network<T>&, const Dataset&, Loss, std::size_t);             \
  template Evaluation evaluate<T>(const Mlp<T>&, const Dataset&, Loss, std::size_t);
VCLAB_INSTANTIATE(float)
VCLAB_INSTANTIATE(double)
#undef VCLAB_INSTANTIATE

}  // namespace vclab
