// The feature-probe observer: Target Linearity, its surrogate and neural-collapse metrics on a fixed probe set.
#include "record/feature_probe_recorder.hpp"

#include <stdexcept>
#include <string>

#include "analyses/neural_collapse.hpp"
#include "model/backprop.hpp"
#include "train/batch.hpp"

namespace vclab {
namespace {

template <class T> arma::mat rows_as_samples(const arma::Mat<T>& columns) { return arma::conv_to<arma::mat>::from(columns).t(); }

}  // namespace

template <class T>
FeatureProbeRecorder<T>::FeatureProbeRecorder(RecordingWriter& writer, const Dataset& train, ProbeOptions options)
    : writer_(writer), options_(options) {
  const std::size_t n = options.samples == 0 ? train.size() : std::min(options.samples, train.size());
  if (n < 2) throw std::invalid_argument("feature probes need at least 2 training samples (--probe-samples)");
  const arma::uvec indices = arma::regspace<arma::uvec>(0, n - 1);
  x_ = batch_inputs<T>(train, indices);
  const std::size_t outputs = train.targets.is_empty() ? train.n_classes : train.targets.n_rows;
  y_ = arma::conv_to<arma::mat>::from(batch_targets<float>(train, indices, outputs)).t();
  if (options.collapse) {
    if (!train.targets.is_empty())
      throw std::invalid_argument("--record collapse: neural-collapse metrics need class labels; '" + train.name +
                                  "' is a regression dataset (drop collapse from --record)");
    labels_ = train.y(indices);
    for (std::size_t c = 0; c < train.n_classes; ++c)
      if (!arma::any(labels_ == c))
        throw std::invalid_argument("--record collapse: the probe set (first " + std::to_string(n) + " training samples) has no sample of class " +
                                    std::to_string(c) + "; raise --probe-samples");
  }
}

template <class T> void FeatureProbeRecorder<T>::on_checkpoint(const Network<T>& model, const CheckpointInfo& info) {
  const std::size_t every = options_.every_steps;
  if (every == 0) return probe(model, info);
  if (info.index == 0) return probe(model, info);  // the initial model (not fired again on resume)
  if (info.final && info.step % std::int64_t(every) != 0) {  // the end, off the probe grid
    CheckpointInfo end = info;
    end.index = std::size_t(info.step) / every + 1;
    probe(model, end);
  }
}

template <class T> void FeatureProbeRecorder<T>::on_step(const Network<T>& model, const StepState<T>& state) {
  const std::size_t every = options_.every_steps, done = state.step + 1;  // steps completed, this one included
  if (every == 0 || done % every != 0) return;
  probe(model, CheckpointInfo{done / every, std::int64_t(done), state.epoch_progress, state.lr, false});
}

template <class T> void FeatureProbeRecorder<T>::probe(const Network<T>& model, const CheckpointInfo& info) {
  NetworkForward<T> pass;
  forward(model, x_, pass);
  const CheckpointMeta meta{info.step, info.epoch, info.lr};
  const std::size_t n_layers = model.n_layers();
  if (options_.linearity) {
    // The dense layers' inputs (one row per sample); a conv layer's columns are patches, not samples.
    for (std::size_t l = model.n_conv_layers(); l <= n_layers; ++l) {
      const bool logits = l == n_layers;
      const arma::mat h = rows_as_samples(logits ? pass.logits() : pass.layer_input(l));
      const arma::mat w = logits ? arma::mat() : arma::conv_to<arma::mat>::from(model.weight(l));
      LinearityValues v;
      if (l == 0 && have_input_) {  // the inputs do not change: T is reused, only S (which depends on W_0) is new
        v = input_;
        add_surrogate(h, w, y_, v);
      } else {
        v = linearity_values(h, w, y_, options_);
        if (l == 0) {
          input_ = v;
          have_input_ = true;
        }
      }
      writer_.add("linearity", l, info.index, meta, arma::vec{v.t, v.s, v.s_rel, v.p_used}, true);
    }
  }
  if (options_.collapse) {
    const std::size_t last = n_layers - 1;  // h_L, the input of the classifier W_L
    const arma::mat h = rows_as_samples(pass.layer_input(last));
    const NeuralCollapse nc = neural_collapse(h, labels_, arma::conv_to<arma::mat>::from(model.weight(last)));
    writer_.add("collapse", last, info.index, meta, arma::vec{nc.nc1, nc.nc2, nc.nc3, nc.nc4}, true);
  }
  writer_.flush();
}

template class FeatureProbeRecorder<float>;
template class FeatureProbeRecorder<double>;

}  // namespace vclab
