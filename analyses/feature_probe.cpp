// Target Linearity, its surrogate and neural-collapse metrics on a fixed probe set at every checkpoint.
#include "analyses/feature_probe.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "analyses/neural_collapse.hpp"
#include "analyses/target_linearity.hpp"
#include "model/backprop.hpp"
#include "train/trainer.hpp"

namespace vclab {
namespace {

arma::mat centred(const arma::mat& m) { return m.each_row() - arma::mean(m, 0); }

template <class T> arma::mat rows_as_samples(const arma::Mat<T>& columns) { return arma::conv_to<arma::mat>::from(columns).t(); }

}  // namespace

arma::mat pca_scores(const arma::mat& features, std::size_t k) {
  const arma::mat h = centred(features);
  if (k == 0 || h.n_cols <= k) return h;
  // Eigenvectors of the (p, p) scatter matrix: cheaper than an SVD of (N, p) when N > p, and the
  // scores H V_k are the same (up to column signs, which T and S do not see).
  arma::vec values;
  arma::mat vectors;
  if (!arma::eig_sym(values, vectors, h.t() * h, "dc")) throw std::runtime_error("pca_scores: eigendecomposition failed");
  return h * arma::fliplr(vectors.tail_cols(k));
}

namespace {

// S and S_rel of centred features against centred targets (NaN without weights: the logits).
void add_surrogate(const arma::mat& features, const arma::mat& weights, const arma::mat& targets, LinearityValues& v) {
  if (weights.is_empty()) {
    v.s = v.s_rel = std::numeric_limits<double>::quiet_NaN();
    return;
  }
  const arma::mat h = centred(features);
  const arma::mat y = centred(targets);
  v.s = target_linearity_surrogate(h, weights, y);
  const double z_norm2 = arma::accu(arma::square(h * weights.t()));
  const double y_norm2 = arma::max(arma::eig_sym(arma::mat(y.t() * y)));  // ‖Y‖²_2 from the small (C, C) Gram
  v.s_rel = z_norm2 > 0 && y_norm2 > 0 ? v.s / (z_norm2 * y_norm2) : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace

LinearityValues linearity_values(const arma::mat& features, const arma::mat& weights, const arma::mat& targets,
                                 const ProbeOptions& options) {
  LinearityValues v;
  const arma::mat reduced = pca_scores(features, options.pca);
  v.t = target_linearity(reduced, targets, options.lambda);
  v.p_used = double(reduced.n_cols);
  add_surrogate(features, weights, targets, v);
  return v;
}

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

template <class T> void FeatureProbeRecorder<T>::on_checkpoint(const Mlp<T>& model, const CheckpointInfo& info) {
  const std::size_t every = options_.every_steps;
  if (every == 0) return probe(model, info);
  if (info.index == 0) return probe(model, info);  // the initial model (not fired again on resume)
  if (info.final && info.step % std::int64_t(every) != 0) {  // the end, off the probe grid
    CheckpointInfo end = info;
    end.index = std::size_t(info.step) / every + 1;
    probe(model, end);
  }
}

template <class T> void FeatureProbeRecorder<T>::on_step(const Mlp<T>& model, const StepState<T>& state) {
  const std::size_t every = options_.every_steps, done = state.step + 1;  // steps completed, this one included
  if (every == 0 || done % every != 0) return;
  probe(model, CheckpointInfo{done / every, std::int64_t(done), state.epoch_progress, state.lr, false});
}

template <class T> void FeatureProbeRecorder<T>::probe(const Mlp<T>& model, const CheckpointInfo& info) {
  ForwardPass<T> pass;
  forward(model, x_, pass);
  const CheckpointMeta meta{info.step, info.epoch, info.lr};
  const std::size_t n_layers = model.n_layers();
  if (options_.linearity) {
    for (std::size_t l = 0; l <= n_layers; ++l) {
      const bool logits = l == n_layers;
      const arma::mat h = rows_as_samples(logits ? pass.logits : pass.h[l]);
      const arma::mat w = logits ? arma::mat() : arma::conv_to<arma::mat>::from(model.weights[l]);
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
    const arma::mat h = rows_as_samples(pass.h[last]);
    const NeuralCollapse nc = neural_collapse(h, labels_, arma::conv_to<arma::mat>::from(model.weights[last]));
    writer_.add("collapse", last, info.index, meta, arma::vec{nc.nc1, nc.nc2, nc.nc3, nc.nc4}, true);
  }
  writer_.flush();
}

template class FeatureProbeRecorder<float>;
template class FeatureProbeRecorder<double>;

}  // namespace vclab
