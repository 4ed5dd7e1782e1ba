// The AGOP/EGOP's own checkpoint schedule (agop_schedule.hpp).
#include "record/agop_schedule.hpp"

#include <cmath>
#include <stdexcept>

namespace vclab {

AgopSchedule AgopSchedule::parse(const std::string& text) {
  AgopSchedule schedule;
  if (text == "checkpoint") return schedule;
  if (text == "final") {
    schedule.kind = Kind::final;
    return schedule;
  }
  try {
    schedule.every = RecordSchedule::parse(text);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string(e.what()) + ", or checkpoint (every recording checkpoint) or final");
  }
  schedule.kind = Kind::schedule;
  return schedule;
}

std::string AgopSchedule::to_string() const {
  if (kind == Kind::checkpoint) return "checkpoint";
  if (kind == Kind::final) return "final";
  return every.to_string();
}

bool AgopSchedule::due(const CheckpointInfo& info) const {
  if (kind == Kind::checkpoint || info.final) return true;
  if (kind == Kind::final) return false;
  if (every.unit == RecordSchedule::Unit::step) return info.step % std::int64_t(every.every) == 0;
  const double epochs = std::round(info.epoch);  // a checkpoint inside an epoch (a step schedule) is not on it
  return epochs == info.epoch && std::int64_t(epochs) % std::int64_t(every.every) == 0;
}

}  // namespace vclab
