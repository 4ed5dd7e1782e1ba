// Feature probes over training (issue 8): Target Linearity T_λ and its surrogate S per layer, and the
// neural-collapse metrics NC1–NC4 at the last hidden layer, computed at every recording checkpoint on a
// fixed probe set (the first N training samples) and written to recordings.h5 as small vectors:
//   /linearity/layer<l>/<k> = [T_λ, S, S_rel, p_used]   for the features h_l, l = 0..L, and the logits (l = L+1)
//   /collapse/layer<L>/<k>  = [NC1, NC2, NC3, NC4]       for h_L with the classifier W_L
// (the values: analyses/feature_probe.hpp, analyses/neural_collapse.hpp; docs/feature_probes.md).
#pragma once
#include <armadillo>
#include <cstddef>

#include "analyses/feature_probe.hpp"
#include "data/dataset.hpp"
#include "io/recordings.hpp"
#include "train/observer.hpp"

namespace vclab {

// Writes the probes at every checkpoint (never during steps). The probe set, its targets and the
// input layer's values (constant over training) are prepared once.
template <class T> class FeatureProbeRecorder : public Observer<T> {
 public:
  // Throws std::invalid_argument when options.collapse is asked for a regression dataset (no labels)
  // or the probe set misses a class.
  FeatureProbeRecorder(RecordingWriter& writer, const Dataset& train, ProbeOptions options);
  void on_checkpoint(const Network<T>& model, const CheckpointInfo& info) override;
  void on_step(const Network<T>& model, const StepState<T>& state) override;
  std::size_t probe_size() const { return x_.n_cols; }

 private:
  void probe(const Network<T>& model, const CheckpointInfo& info);

  RecordingWriter& writer_;
  ProbeOptions options_;
  arma::Mat<T> x_;      // (d_0, N) probe inputs, samples as columns
  arma::mat y_;         // (N, C) targets, rows = samples (one-hot or regression targets)
  arma::uvec labels_;   // (N), empty for regression
  bool have_input_ = false;
  LinearityValues input_{};  // T of h_0 (S depends on W_0, recomputed)
};

}  // namespace vclab
