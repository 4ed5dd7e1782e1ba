// Feature probes over training (issue 8): Target Linearity T_λ and its surrogate S per layer, and the
// neural-collapse metrics NC1–NC4 at the last hidden layer, computed at every recording checkpoint on a
// fixed probe set (the first N training samples) and written to recordings.h5 as small vectors:
//   /linearity/layer<l>/<k> = [T_λ, S, S_rel, p_used]   for the features h_l, l = 0..L, and the logits (l = L+1)
//   /collapse/layer<L>/<k>  = [NC1, NC2, NC3, NC4]       for h_L with the classifier W_L
// (definitions in docs/feature_probes.md, analyses/target_linearity.hpp and analyses/neural_collapse.hpp).
#pragma once
#include <armadillo>
#include <cstddef>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "io/recordings.hpp"
#include "train/observer.hpp"

namespace vclab {

struct ProbeOptions {
  std::size_t samples = 5000;  // probe set: the first N training samples (0 = all)
  double lambda = 0;           // ridge λ of T_λ; 0 = pseudo-inverse projection (the λ → 0⁺ limit)
  std::size_t pca = 0;         // 0 = off; k > 0: features wider than k are replaced by their top-k principal components
  bool linearity = true;
  bool collapse = true;
  // 0: probe at the recording checkpoints. N > 0: at the initial model, after every N-th optimiser step
  // and at the end, on a schedule of their own (probe k = step / N; the end, off the grid, gets the next k).
  std::size_t every_steps = 0;
};

// The values stored per layer and checkpoint (rows = samples in every argument).
struct LinearityValues {
  double t = 0;       // T_λ of the (possibly PCA-reduced) centred features against the centred targets
  double s = 0;       // S = tr(YᵀZZᵀY) = ‖ZᵀY‖²_F, Z = H W_lᵀ, with H and Y centred (NaN for the logits)
  double s_rel = 0;   // S / (‖Z‖²_F ‖Y‖²_2) ∈ [0, 1]: 1 when every column of Z lies in Y's top singular direction(s)
  double p_used = 0;  // feature dimension entering T (p, or k after PCA)
};
inline constexpr std::size_t kLinearityFields = 4;
inline const char* const kLinearityNames[kLinearityFields] = {"target_linearity", "surrogate", "surrogate_rel", "dim_used"};
inline constexpr std::size_t kCollapseFields = 4;
inline const char* const kCollapseNames[kCollapseFields] = {"nc1", "nc2", "nc3", "nc4"};

// Top-k principal component scores of centred features H (N, p): U_k Σ_k, (N, k). p ≤ k: H centred, unchanged.
arma::mat pca_scores(const arma::mat& features, std::size_t k);

// T_λ, S and S_rel of features H (N, p) against targets Y (N, C); `weights` W_l (k, p), or empty for the
// logits (S, S_rel = NaN). Throws std::invalid_argument on shape mismatches (as target_linearity).
LinearityValues linearity_values(const arma::mat& features, const arma::mat& weights, const arma::mat& targets,
                                 const ProbeOptions& options);

// Writes the probes at every checkpoint (never during steps). The probe set, its targets and the
// input layer's values (constant over training) are prepared once.
template <class T> class FeatureProbeRecorder : public Observer<T> {
 public:
  // Throws std::invalid_argument when options.collapse is asked for a regression dataset (no labels)
  // or the probe set misses a class.
  FeatureProbeRecorder(RecordingWriter& writer, const Dataset& train, ProbeOptions options);
  void on_checkpoint(const Mlp<T>& model, const CheckpointInfo& info) override;
  void on_step(const Mlp<T>& model, const StepState<T>& state) override;
  std::size_t probe_size() const { return x_.n_cols; }

 private:
  void probe(const Mlp<T>& model, const CheckpointInfo& info);

  RecordingWriter& writer_;
  ProbeOptions options_;
  arma::Mat<T> x_;      // (d_0, N) probe inputs, samples as columns
  arma::mat y_;         // (N, C) targets, rows = samples (one-hot or regression targets)
  arma::uvec labels_;   // (N), empty for regression
  bool have_input_ = false;
  LinearityValues input_{};  // T of h_0 (S depends on W_0, recomputed)
};

}  // namespace vclab
