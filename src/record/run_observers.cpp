// Builds and attaches a training run's observers (run_observers.hpp).
#include "record/run_observers.hpp"

#include <stdexcept>

#include "io/usage_error.hpp"
#include "record/feature_probe_recorder.hpp"
#include "record/recorders.hpp"
#include "record/recordings_snapshot.hpp"
#include "record/vcl_stats_writer.hpp"
#include "train/vcl.hpp"

namespace vclab {
namespace {

bool any_of(const std::set<std::string>& q, std::initializer_list<const char*> names) {
  for (const char* n : names)
    if (q.count(n)) return true;
  return false;
}

// The AGOP/EGOP recorder on its own schedule (--agop-every): checkpoints off the schedule write nothing for
// agop/egop (the analyses pair quantities by checkpoint index and skip the missing ones).
template <class T> class ScheduledAgopRecorder : public AgopRecorder<T> {
 public:
  ScheduledAgopRecorder(AgopSchedule schedule, RecordingWriter& writer, const Dataset& data, Loss loss, AgopOptions options,
                        bool agop, bool egop)
      : AgopRecorder<T>(writer, data, loss, options, agop, egop), schedule_(schedule) {}
  void on_checkpoint(const Network<T>& model, const CheckpointInfo& info) override {
    if (schedule_.due(info)) AgopRecorder<T>::on_checkpoint(model, info);
  }

 private:
  AgopSchedule schedule_;
};

template <class T>
std::unique_ptr<FeatureProbeRecorder<T>> make_probes(const ObserverSettings& s, const Dataset& train, RecordingWriter& writer, bool resume) {
  ProbeOptions options = s.probes;
  options.linearity = s.quantities.count("linearity") > 0;
  options.collapse = s.quantities.count("collapse") > 0;
  std::unique_ptr<FeatureProbeRecorder<T>> probes;
  try {
    probes = std::make_unique<FeatureProbeRecorder<T>>(writer, train, options);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  if (!resume) {
    writer.set_root_attribute("probe_samples", std::int64_t(probes->probe_size()));
    writer.set_root_attribute("linearity_lambda", options.lambda);
    writer.set_root_attribute("linearity_pca", std::int64_t(options.pca));
    writer.set_root_attribute("probe_every_steps", std::int64_t(options.every_steps));
  }
  return probes;
}

}  // namespace

template <class T>
RunObservers<T>::RunObservers(const ObserverSettings& s, const DatasetSplit& data, RecordingWriter& writer, const UpdateRule<T>& rule,
                              bool resume) {
  const auto& q = s.quantities;
  owned_.push_back(std::make_unique<RecordingsSnapshot<T>>(writer));
  auto metrics = std::make_unique<MetricsWriter<T>>(s.dir / "metrics.csv", data.validation, s.loss);
  metrics_ = metrics.get();
  owned_.push_back(std::move(metrics));
  if (any_of(q, {"gram", "dgram", "gram_dw", "sv"})) owned_.push_back(std::make_unique<GramRecorder<T>>(writer, s.mode, q));
  if (q.count("vc")) owned_.push_back(std::make_unique<VcShiftRecorder<T>>(&writer, s.mode));
  if (any_of(q, {"agop", "egop"})) {
    AgopOptions agop = s.agop;
    agop.mode = s.mode;
    owned_.push_back(std::make_unique<ScheduledAgopRecorder<T>>(s.agop_every, writer, data.train, s.loss, agop, q.count("agop") > 0,
                                                                q.count("egop") > 0));
  }
  if (any_of(q, {"linearity", "collapse"})) owned_.push_back(make_probes<T>(s, data.train, writer, resume));
  if (const auto* vcl = dynamic_cast<const Vcl<T>*>(&rule))  // DIR/vcl_stats.csv (clipped eigenvalues, solver cost)
    owned_.push_back(std::make_unique<VclStatsWriter<T>>(s.dir / "vcl_stats.csv", *vcl));
}

template <class T> void RunObservers<T>::attach(Trainer<T>& trainer) {
  for (auto& o : owned_) trainer.add_observer(*o);
}

template class RunObservers<float>;
template class RunObservers<double>;

}  // namespace vclab
