// The observers of one `vclab train` run, built in one place from typed settings: metrics.csv, the recordings
// (Gram, ΔG, V, AGOP/EGOP, singular values), the feature probes and, for VCL, vcl_stats.csv. Each observer says
// what it needs from the trainer (e.g. g_0 = ∂ℒ/∂x for V of layer 0); the caller only attaches them.
#pragma once
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "analyses/feature_probe.hpp"
#include "data/load_dataset.hpp"
#include "io/recordings.hpp"
#include "model/loss.hpp"
#include "record/agop.hpp"
#include "record/agop_schedule.hpp"
#include "record/metrics_writer.hpp"
#include "record/record_mode.hpp"
#include "train/trainer.hpp"
#include "train/update_rule.hpp"

namespace vclab {

struct ObserverSettings {
  std::filesystem::path dir;          // the run directory: metrics.csv, vcl_stats.csv
  std::set<std::string> quantities;   // --record (record/recorders.hpp recordable_quantities)
  RecordMode mode = RecordMode::diag;
  Loss loss = Loss::cross_entropy;
  AgopOptions agop;                   // mode is taken from `mode`
  AgopSchedule agop_every;            // which recording checkpoints compute the AGOP/EGOP (--agop-every)
  ProbeOptions probes;                // linearity / collapse are taken from `quantities`
};

template <class T> class RunObservers {
 public:
  // In attachment order: the recordings snapshot first (a resume restores the recordings before anything else),
  // then metrics, recorders, probes, VCL statistics. `resume`: the recordings' root attributes already exist.
  RunObservers(const ObserverSettings& settings, const DatasetSplit& data, RecordingWriter& writer, const UpdateRule<T>& rule,
               bool resume);
  void attach(Trainer<T>& trainer);
  MetricsWriter<T>& metrics() { return *metrics_; }

 private:
  std::vector<std::unique_ptr<Observer<T>>> owned_;
  MetricsWriter<T>* metrics_ = nullptr;
};

}  // namespace vclab
