// Observers that write Gram G_l, ΔG_l, the Gram of W_l − W_l(0), the singular values of W_l, the cumulative virtual covariance shift V_l,
// the AGOP and the loss EGOP to recordings.h5 at every checkpoint.
#pragma once
#include <set>
#include <string>
#include <vector>

#include "io/recordings.hpp"
#include "record/agop.hpp"
#include "record/vc_shift_accumulator.hpp"
#include "train/observer.hpp"

namespace vclab {

// Quantity names as they appear in recordings.h5 and on the command line.
inline const std::vector<std::string>& recordable_quantities() {
  // sv: singular values of W_l (descending, any mode). linearity, collapse: feature probes
  // (record/feature_probe_recorder.hpp).
  static const std::vector<std::string> names{"gram", "dgram", "gram_dw", "vc", "agop", "egop", "sv", "linearity", "collapse"};
  return names;
}
std::set<std::string> parse_quantities(const std::string& comma_list);  // throws listing valid names

template <class T> class GramRecorder : public Observer<T> {
 public:
  GramRecorder(RecordingWriter& writer, RecordMode mode, std::set<std::string> quantities);
  void on_begin(const Network<T>& model) override;
  void on_checkpoint(const Network<T>& model, const CheckpointInfo& info) override;
  void save_state(StateArchive& file, const std::string& prefix) const override;  // W_l(0)
  void load_state(const StateArchive& file, const std::string& prefix) override;

 private:
  RecordingWriter& writer_;
  RecordMode mode_;
  std::set<std::string> quantities_;
  std::vector<RecordMode> modes_;  // per layer (layer_mode)
  std::vector<arma::mat> w0_;     // W_l(0) in double
  std::vector<arma::mat> gram0_;  // G_l(0): diag (d,1) or full
  // Kept between checkpoints so that their memory is reused: a fresh 75 MB matrix (d = 3072) costs page faults.
  std::vector<arma::mat> w_;      // W_l at this checkpoint, in double
  std::vector<arma::mat> gram_;   // G_l
  std::vector<arma::mat> delta_;  // ΔG_l, then the Gram of W_l − W_l(0); same shape as G_l
};

template <class T> class VcShiftRecorder : public Observer<T> {
 public:
  VcShiftRecorder(RecordingWriter* writer, RecordMode mode);  // writer may be null (in-process use)
  bool needs_input_grad() const override { return true; }      // V_0 is built from g_0 = ∂ℒ/∂x
  void on_begin(const Network<T>& model) override;
  void on_backward(const Network<T>& model, const StepState<T>& state) override;
  void on_checkpoint(const Network<T>& model, const CheckpointInfo& info) override;
  void save_state(StateArchive& file, const std::string& prefix) const override;  // the V_l accumulators
  void load_state(const StateArchive& file, const std::string& prefix) override;
  const VcShiftAccumulator& accumulator() const { return accumulator_; }

 private:
  RecordingWriter* writer_;
  RecordMode mode_;
  VcShiftAccumulator accumulator_;
};

template <class T> class AgopRecorder : public Observer<T> {
 public:
  AgopRecorder(RecordingWriter& writer, const Dataset& data, Loss loss, AgopOptions options, bool agop, bool egop);
  void on_checkpoint(const Network<T>& model, const CheckpointInfo& info) override;

 private:
  RecordingWriter& writer_;
  const Dataset& data_;
  Loss loss_;
  AgopOptions options_;
  bool agop_, egop_;
};

}  // namespace vclab
