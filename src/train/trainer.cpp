// The shared training loop. One step: x_B → forward → ℒ, ∇ → on_backward → rule.update → on_step.
#include "train/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <random>
#include <stdexcept>

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

template <class T> arma::Mat<T> batch_inputs(const Dataset& data, const arma::uvec& indices) {
  if constexpr (std::is_same_v<T, float>) return data.x.cols(indices);
  else return arma::conv_to<arma::Mat<T>>::from(arma::fmat(data.x.cols(indices)));
}

template <class T> arma::Mat<T> batch_targets(const Dataset& data, const arma::uvec& indices, std::size_t n_outputs) {
  if (!data.targets.is_empty()) return arma::conv_to<arma::Mat<T>>::from(arma::fmat(data.targets.cols(indices)));
  return one_hot<T>(data.y(indices), n_outputs);
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

  TrainResult result;
  const std::size_t n = train.size();
  const std::size_t steps_per_epoch = (n + options_.batch - 1) / options_.batch;
  std::mt19937_64 shuffle_rng(options_.seed);
  std::vector<arma::uword> order(n);
  std::iota(order.begin(), order.end(), 0);

  for (auto* o : observers_) o->on_begin(model);
  std::size_t checkpoint_index = 0;
  checkpoint(model, checkpoint_index, 0, 0.0, false);
  if (options_.evaluate_initial) {
    const Evaluation tr = evaluate(model, train, options_.loss), te = evaluate(model, test, options_.loss);
    EpochMetrics m{0, 0, tr.loss, tr.accuracy, te.loss, te.accuracy, 0.0};
    result.epochs.push_back(m);
    for (auto* o : observers_) o->on_epoch_end(model, m);
  }

  ProgressBar progress(options_.progress_label, options_.epochs * steps_per_epoch);
  ForwardPass<T> pass;
  BackwardPass<T> grads;
  std::int64_t step = 0;
  std::int64_t last_checkpoint_step = 0;
  try {
    for (std::size_t epoch = 0; epoch < options_.epochs; ++epoch) {
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

        StepState<T> state;
        state.step = std::size_t(step);
        state.epoch = epoch;
        state.epoch_progress = double(epoch) + double(b + 1) / double(steps_per_epoch);
        state.lr = options_.lr;
        state.loss = loss;
        state.indices = &idx;
        state.pass = &pass;
        state.grads = &grads;
        for (auto* o : observers_) o->on_backward(model, state);
        rule_.update(model, state);
        ++step;
        for (auto* o : observers_) o->on_step(model, state);
        progress.update(std::size_t(step), "loss " + std::to_string(loss).substr(0, 6));

        if (options_.schedule.unit == RecordSchedule::Unit::step && step % std::int64_t(options_.schedule.every) == 0) {
          check_finite_weights(model, step);
          checkpoint(model, checkpoint_index, step, state.epoch_progress,
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
    }
    progress.finish();
  } catch (const DivergenceError& e) {
    progress.finish();
    result.diverged = true;
    result.divergence_message = e.what();
  }
  result.steps = step;
  // The final checkpoint: always, unless the schedule just wrote this very state (or training diverged:
  // then the recordings end at the last finite checkpoint).
  if (!result.diverged && last_checkpoint_step != step)
    checkpoint(model, checkpoint_index, step, double(result.epochs.empty() ? 0 : result.epochs.back().epoch), true);
  for (auto* o : observers_) o->on_end(model);
  return result;
}

#define VCLAB_INSTANTIATE(T)                                                                     \
  template class Trainer<T>;                                                                     \
  template Evaluation evaluate<T>(const Mlp<T>&, const Dataset&, Loss, std::size_t);             \
  template arma::Mat<T> batch_targets<T>(const Dataset&, const arma::uvec&, std::size_t);        \
  template arma::Mat<T> batch_inputs<T>(const Dataset&, const arma::uvec&);
VCLAB_INSTANTIATE(float)
VCLAB_INSTANTIATE(double)
#undef VCLAB_INSTANTIATE

}  // namespace vclab
