// The shared training loop. One step: x_B → forward → ℒ, ∇ → on_backward → rule.update → on_step.
#include "train/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
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
    throw std::invalid_argument("--record-every '" + text + "': expected a positive count with an optional unit, e.g. 1, 2epochs, 500steps");
  schedule.every = value;
  if (unit.empty() || unit == "e" || unit == "epoch" || unit == "epochs") schedule.unit = Unit::epoch;
  else if (unit == "s" || unit == "step" || unit == "steps") schedule.unit = Unit::step;
  else throw std::invalid_argument("--record-every '" + text + "': unknown unit '" + unit + "' (use epochs or steps)");
  return schedule;
}

std::string RecordSchedule::to_string() const {
  return std::to_string(every) + (unit == Unit::epoch ? "epochs" : "steps");
}

template <class T> Evaluation evaluate(const Mlp<T>& model, const Dataset& data, Loss loss, std::size_t batch) {
  Evaluation result;
  if (data.size() == 0) return result;
  ForwardPass<T> pass;
  double loss_sum = 0;
  std::size_t correct = 0;
  for (std::size_t start = 0; start < data.size(); start += batch) {
    const std::size_t stop = std::min(data.size(), start + batch);
    const arma::uvec idx = arma::regspace<arma::uvec>(start, stop - 1);
    forward(model, batch_inputs<T>(data, idx), pass);
    const arma::Mat<T> targets = batch_targets<T>(data, idx, model.spec.output_dim);
    loss_sum += loss_and_gradient(loss, pass.logits, targets, nullptr) * double(idx.n_elem);
    correct += count_correct(pass.logits, data.y(idx));
  }
  result.loss = loss_sum / double(data.size());
  result.accuracy = double(correct) / double(data.size());
  return result;
}

template <class T>
void Trainer<T>::checkpoint(const Mlp<T>& model, std::size_t& index, std::int64_t step, double epoch, bool final) {
  CheckpointInfo info{index++, step, epoch, options_.lr, final};
  for (auto* o : observers_) o->on_checkpoint(model, info);
}

namespace {

template <class T> void check_finite_gradients(const BackwardPass<T>& grads, std::int64_t step) {
  for (std::size_t l = 0; l < grads.grad_w.size(); ++l)
    if (!grads.grad_w[l].is_finite())
      throw DivergenceError(step, "layer " + std::to_string(l), "gradient of W" + std::to_string(l), "NaN or Inf");
}

template <class T> void check_finite_weights(const Mlp<T>& model, std::int64_t step) {
  for (std::size_t l = 0; l < model.n_layers(); ++l)
    if (!model.weights[l].is_finite())
      throw DivergenceError(step, "layer " + std::to_string(l), "W" + std::to_string(l), "NaN or Inf after the update");
}

}  // namespace

template <class T>
TrainResult Trainer<T>::run(Mlp<T>& model, const Dataset& train, const Dataset& test, bool need_input_grad) {
  if (options_.lr <= 0) throw std::invalid_argument("learning rate must be positive");
  if (options_.batch == 0) throw std::invalid_argument("batch size must be positive");
  if (train.size() == 0) throw std::invalid_argument("training set is empty");
  if (train.dim() != model.spec.input_dim)
    throw std::invalid_argument("model input width " + std::to_string(model.spec.input_dim) +
                                " does not match the data's dimension " + std::to_string(train.dim()));
  need_input_grad = need_input_grad || rule_.needs_input_grad();
  for (const auto* o : observers_) need_input_grad = need_input_grad || o->needs_input_grad();

  TrainResult result;
  const std::size_t n = train.size();
  const std::size_t steps_per_epoch = (n + options_.batch - 1) / options_.batch;
  std::mt19937_64 shuffle_rng(options_.seed);
  TrainState state;
  state.order.resize(n);
  std::iota(state.order.begin(), state.order.end(), 0);

  for (auto* o : observers_) o->on_begin(model);
  const bool resuming = !options_.resume_from.empty();
  if (resuming) {
    if (!rule_.resumable()) throw std::invalid_argument("update rule '" + rule_.name() + "' cannot resume from a checkpoint");
    state = load_checkpoint(options_.resume_from, model, rule_, observers_);
    std::istringstream rng_text(state.shuffle_rng);
    rng_text >> shuffle_rng;
    const bool order_ok = std::all_of(state.order.begin(), state.order.end(), [n](arma::uword i) { return i < n; });
    if (!rng_text || state.order.size() != n || !order_ok || state.epochs_done > options_.epochs)
      throw std::invalid_argument(options_.resume_from.string() + ": checkpoint does not fit this run (" +
                                  std::to_string(state.order.size()) + " samples, " + std::to_string(state.epochs_done) +
                                  " epochs done; this run has " + std::to_string(n) + " samples, " +
                                  std::to_string(options_.epochs) + " epochs)");
    result.epochs = state.epochs;
  }
  std::vector<arma::uword>& order = state.order;
  std::size_t checkpoint_index = state.next_checkpoint;
  std::int64_t step = state.steps;
  std::int64_t last_checkpoint_step = state.last_checkpoint_step;

  ProgressBar progress(options_.progress_label, options_.epochs * steps_per_epoch);
  ForwardPass<T> pass;
  BackwardPass<T> grads;
  try {
    if (!resuming) {
      checkpoint(model, checkpoint_index, 0, 0.0, false);
      if (options_.evaluate_initial) {
        const Evaluation tr = evaluate(model, train, options_.loss), te = evaluate(model, test, options_.loss);
        EpochMetrics m{0, 0, tr.loss, tr.accuracy, te.loss, te.accuracy, 0.0};
        result.epochs.push_back(m);
        for (auto* o : observers_) o->on_epoch_end(model, m);
      }
    }
    for (std::size_t epoch = state.epochs_done; epoch < options_.epochs; ++epoch) {
      rule_.on_epoch_begin(epoch);
      std::shuffle(order.begin(), order.end(), shuffle_rng);
      const auto start_time = std::chrono::steady_clock::now();
      double loss_sum = 0;
      std::size_t correct = 0;
      for (std::size_t b = 0; b < steps_per_epoch; ++b) {
        const std::size_t begin = b * options_.batch, end = std::min(n, begin + options_.batch);
        const arma::uvec idx(order.data() + begin, end - begin);
        const arma::Mat<T> x = batch_inputs<T>(train, idx);
        const arma::Mat<T> targets = batch_targets<T>(train, idx, model.spec.output_dim);
        const double loss = loss_and_backward(model, x, targets, options_.loss, pass, grads, need_input_grad);
        if (!std::isfinite(loss) || loss > options_.divergence_loss)
          throw DivergenceError(step, "output", "batch loss",
                                std::isfinite(loss) ? "loss " + std::to_string(loss) + " exceeds " +
                                                          std::to_string(options_.divergence_loss)
                                                    : "NaN or Inf");
        check_finite_gradients(grads, step);
        loss_sum += loss * double(idx.n_elem);
        correct += count_correct(pass.logits, train.y(idx));

        StepState<T> step_state;
        step_state.step = std::size_t(step);
        step_state.epoch = epoch;
        step_state.epoch_progress = double(epoch) + double(b + 1) / double(steps_per_epoch);
        step_state.lr = options_.lr;
        step_state.loss = loss;
        step_state.indices = &idx;
        step_state.pass = &pass;
        step_state.grads = &grads;
        for (auto* o : observers_) o->on_backward(model, step_state);
        rule_.update(model, step_state);
        ++step;
        for (auto* o : observers_) o->on_step(model, step_state);
        progress.update(std::size_t(step), "loss " + std::to_string(loss).substr(0, 6));

        if (options_.schedule.unit == RecordSchedule::Unit::step && step % std::int64_t(options_.schedule.every) == 0) {
          check_finite_weights(model, step);
          checkpoint(model, checkpoint_index, step, step_state.epoch_progress,
                     std::size_t(step) == options_.epochs * steps_per_epoch);
          last_checkpoint_step = step;
        }
      }
      check_finite_weights(model, step);
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_time).count();
      const Evaluation te = evaluate(model, test, options_.loss);
      EpochMetrics m{epoch + 1, step, loss_sum / double(n), double(correct) / double(n), te.loss, te.accuracy, seconds};
      result.epochs.push_back(m);
      for (auto* o : observers_) o->on_epoch_end(model, m);
      if (options_.schedule.unit == RecordSchedule::Unit::epoch && (epoch + 1) % options_.schedule.every == 0 &&
          epoch + 1 < options_.epochs) {
        checkpoint(model, checkpoint_index, step, double(epoch + 1), false);
        last_checkpoint_step = step;
      }
      if (options_.checkpoint_every > 0 && !options_.checkpoint_path.empty() &&
          (epoch + 1) % options_.checkpoint_every == 0 && epoch + 1 < options_.epochs) {
        std::ostringstream rng_text;
        rng_text << shuffle_rng;
        state.epochs_done = epoch + 1;
        state.steps = step;
        state.next_checkpoint = checkpoint_index;
        state.last_checkpoint_step = last_checkpoint_step;
        state.shuffle_rng = rng_text.str();
        state.epochs = result.epochs;
        save_checkpoint(options_.checkpoint_path, model, state, rule_, observers_);
      }
    }
    // The final checkpoint: always, unless the schedule just wrote this very state.
    if (last_checkpoint_step != step)
      checkpoint(model, checkpoint_index, step, double(result.epochs.empty() ? 0 : result.epochs.back().epoch), true);
    progress.finish();
  } catch (const DivergenceError& e) {
    // The recordings end at the last checkpoint whose quantities were all finite.
    progress.finish();
    result.diverged = true;
    result.divergence_message = e.what();
  }
  result.steps = step;
  for (auto* o : observers_) o->on_end(model);
  return result;
}

#define VCLAB_INSTANTIATE(T)                                                                     \
  template class Trainer<T>;                                                                     \
  template Evaluation evaluate<T>(const Mlp<T>&, const Dataset&, Loss, std::size_t);
VCLAB_INSTANTIATE(float)
VCLAB_INSTANTIATE(double)
#undef VCLAB_INSTANTIATE

}  // namespace vclab
