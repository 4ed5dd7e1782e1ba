// Training checkpoint (a StateArchive, io/state_archive.hpp): /meta attributes, /model/W<l>, /model/b<l>, /loop/order, /loop/metrics,
// /rule, /observers/<i>. Weights and buffers are stored as float64, exact for float32 models too.
#include "train/checkpoint.hpp"

#include <sstream>

#include "io/io_error.hpp"
#include "io/sha256_sidecar.hpp"
#include "io/state_archive.hpp"

namespace vclab {
namespace {

constexpr const char* kFormat = "vclab-training-checkpoint";
constexpr std::int64_t kFormatVersion = 1;
constexpr std::size_t kMetricsColumns = 7;  // epoch, steps, train loss/acc, test loss/acc, seconds

arma::mat metrics_matrix(const std::vector<EpochMetrics>& epochs) {
  arma::mat m(epochs.size(), kMetricsColumns);
  for (std::size_t i = 0; i < epochs.size(); ++i) {
    const EpochMetrics& e = epochs[i];
    m.row(i) = arma::rowvec{double(e.epoch), double(e.steps), e.train_loss, e.train_accuracy, e.test_loss, e.test_accuracy, e.seconds};
  }
  return m;
}

std::string observer_prefix(std::size_t i) { return "/observers/" + std::to_string(i); }

}  // namespace

template <class T>
void save_checkpoint(const std::filesystem::path& path, const Network<T>& model, const TrainState& state,
                     const UpdateRule<T>& rule, const std::vector<Observer<T>*>& observers) {
  write_atomically_with_sha256(path, [&](const std::filesystem::path& tmp) {
    const auto archive = create_state_archive(tmp);
    StateArchive& file = *archive;
    file.create_group("/meta");
    file.set_attribute("/meta", "format", kFormat);
    file.set_attribute("/meta", "format_version", kFormatVersion);
    file.set_attribute("/meta", "epochs_done", std::int64_t(state.epochs_done));
    file.set_attribute("/meta", "steps", state.steps);
    file.set_attribute("/meta", "next_checkpoint", std::int64_t(state.next_checkpoint));
    file.set_attribute("/meta", "last_checkpoint_step", state.last_checkpoint_step);
    file.set_attribute("/meta", "shuffle_rng", state.shuffle_rng);
    file.set_attribute("/meta", "rule", rule.name());
    file.set_attribute("/meta", "n_observers", std::int64_t(observers.size()));
    file.set_attribute("/meta", "n_layers", std::int64_t(model.n_layers()));
    file.set_attribute("/meta", "bias", std::int64_t(model.has_bias()));
    for (std::size_t l = 0; l < model.n_layers(); ++l) {
      file.write_matrix("/model/W" + std::to_string(l), arma::conv_to<arma::mat>::from(model.weight(l)));
      if (model.has_bias()) file.write_vector("/model/b" + std::to_string(l), arma::conv_to<arma::vec>::from(model.bias(l)));
    }
    file.write_vector("/loop/order", arma::conv_to<arma::vec>::from(arma::uvec(state.order)));  // indices < 2^53: exact
    file.write_matrix("/loop/metrics", metrics_matrix(state.epochs));
    file.create_group("/rule");
    rule.save_state(file, "/rule");
    for (std::size_t i = 0; i < observers.size(); ++i) {
      file.create_group(observer_prefix(i));
      observers[i]->save_state(file, observer_prefix(i));
    }
    file.close();
  });
}

template <class T>
TrainState load_checkpoint(const std::filesystem::path& path, Network<T>& model, UpdateRule<T>& rule,
                           const std::vector<Observer<T>*>& observers) {
  verify_sha256_sidecar(path, Sidecar::required);  // before the archive is parsed
  const auto archive = open_state_archive(path);
  const StateArchive& file = *archive;
  const std::string fix = "Resume with the settings the checkpoint was written with (DIR/config.json), or start a new run";
  if (!file.has_attribute("/meta", "format") || file.get_attribute_string("/meta", "format") != kFormat)
    throw IoError(path, "not a vclab training checkpoint (no /meta format attribute '" + std::string(kFormat) + "')", fix);
  if (file.get_attribute_int("/meta", "format_version") != kFormatVersion)
    throw IoError(path, "checkpoint format version " + std::to_string(file.get_attribute_int("/meta", "format_version")) +
                            ", this vclab reads version " + std::to_string(kFormatVersion), fix);
  if (file.get_attribute_string("/meta", "rule") != rule.name())
    throw IoError(path, "written by update rule '" + file.get_attribute_string("/meta", "rule") + "', resuming with '" + rule.name() + "'", fix);
  if (file.get_attribute_int("/meta", "n_observers") != std::int64_t(observers.size()) ||
      file.get_attribute_int("/meta", "n_layers") != std::int64_t(model.n_layers()) ||
      file.get_attribute_int("/meta", "bias") != std::int64_t(model.has_bias()))
    throw IoError(path, "its layers, biases or recorders differ from this run's", fix);

  for (std::size_t l = 0; l < model.n_layers(); ++l) {
    const arma::mat w = file.read_matrix("/model/W" + std::to_string(l));
    arma::Mat<T>& weight = model.weight(l);
    if (w.n_rows != weight.n_rows || w.n_cols != weight.n_cols)
      throw IoError(path, "W" + std::to_string(l) + " has shape (" + std::to_string(w.n_rows) + ", " + std::to_string(w.n_cols) +
                              "), the model needs (" + std::to_string(weight.n_rows) + ", " + std::to_string(weight.n_cols) + ")",
                    fix);
    weight = arma::conv_to<arma::Mat<T>>::from(w);
    if (model.has_bias()) {
      const arma::vec b = file.read_matrix("/model/b" + std::to_string(l));
      if (b.n_elem != model.bias(l).n_elem) throw IoError(path, "b" + std::to_string(l) + " has the wrong length", fix);
      model.bias(l) = arma::conv_to<arma::Col<T>>::from(b);
    }
  }

  TrainState state;
  state.epochs_done = std::size_t(file.get_attribute_int("/meta", "epochs_done"));
  state.steps = file.get_attribute_int("/meta", "steps");
  state.next_checkpoint = std::size_t(file.get_attribute_int("/meta", "next_checkpoint"));
  state.last_checkpoint_step = file.get_attribute_int("/meta", "last_checkpoint_step");
  state.shuffle_rng = file.get_attribute_string("/meta", "shuffle_rng");
  const arma::vec order = file.read_matrix("/loop/order");
  state.order.assign(order.begin(), order.end());
  const arma::mat metrics = file.read_matrix("/loop/metrics");
  if (metrics.n_elem > 0 && metrics.n_cols != kMetricsColumns)
    throw IoError(path, "/loop/metrics has " + std::to_string(metrics.n_cols) + " columns, expected " + std::to_string(kMetricsColumns), fix);
  for (std::size_t i = 0; i < metrics.n_rows; ++i)
    state.epochs.push_back(EpochMetrics{std::size_t(metrics(i, 0)), std::int64_t(metrics(i, 1)), metrics(i, 2), metrics(i, 3),
                                        metrics(i, 4), metrics(i, 5), metrics(i, 6)});
  rule.load_state(file, "/rule");
  for (std::size_t i = 0; i < observers.size(); ++i) observers[i]->load_state(file, observer_prefix(i));
  return state;
}

#define VCLAB_INSTANTIATE(T)                                                                                        \
  template void save_checkpoint<T>(const std::filesystem::path&, const Network<T>&, const TrainState&, const UpdateRule<T>&, \
                                   const std::vector<Observer<T>*>&);                                                \
  template TrainState load_checkpoint<T>(const std::filesystem::path&, Network<T>&, UpdateRule<T>&, const std::vector<Observer<T>*>&);
VCLAB_INSTANTIATE(float)
VCLAB_INSTANTIATE(double)
#undef VCLAB_INSTANTIATE

}  // namespace vclab
