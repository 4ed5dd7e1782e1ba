// When the AGOP/EGOP recorder computes (`--agop-every`): the AGOP is a full pass over the training set, 1.0-1.25 s on
// CIFAR-10 (reports/performance §6), so a run may ask for it at fewer recording checkpoints than Gram, ΔG and V.
#pragma once
#include <string>

#include "train/observer.hpp"
#include "train/trainer.hpp"

namespace vclab {

struct AgopSchedule {
  enum class Kind {
    checkpoint,  // at every recording checkpoint (--record-every), as before --agop-every existed
    final,       // at the final checkpoint only (what the Figure 1 heatmaps and the last-checkpoint ρ read)
    schedule,    // at the recording checkpoints that fall on `every` (the initial model does), and the final one
  };
  Kind kind = Kind::checkpoint;
  RecordSchedule every;  // Kind::schedule only

  // "checkpoint" | "final" | a schedule as --record-every takes it: "4", "4epochs", "500steps". Throws
  // std::invalid_argument naming the valid forms.
  static AgopSchedule parse(const std::string& text);
  std::string to_string() const;
  // Whether the AGOP/EGOP is computed at this recording checkpoint.
  bool due(const CheckpointInfo& info) const;
};

}  // namespace vclab
