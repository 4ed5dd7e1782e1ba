// --agop-every: which recording checkpoints compute the AGOP/EGOP (record/agop_schedule.hpp).
#include <doctest/doctest.h>

#include <stdexcept>

#include "record/agop_schedule.hpp"

using namespace vclab;

namespace {

CheckpointInfo at(std::int64_t step, double epoch, bool final = false) {
  CheckpointInfo info;
  info.step = step;
  info.epoch = epoch;
  info.final = final;
  return info;
}

}  // namespace

TEST_CASE("AgopSchedule parses checkpoint, final and --record-every's forms, and prints them back") {
  CHECK(AgopSchedule{}.kind == AgopSchedule::Kind::checkpoint);  // the default: every recording checkpoint
  for (const char* text : {"checkpoint", "final", "4", "500steps"}) CHECK(AgopSchedule::parse(text).to_string() == text);
  CHECK(AgopSchedule::parse("2epochs").to_string() == "2");
  CHECK(AgopSchedule::parse("final").kind == AgopSchedule::Kind::final);
  for (const char* bad : {"", "0", "never", "3weeks"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(AgopSchedule::parse(bad), std::invalid_argument);
  }
  try {
    AgopSchedule::parse("never");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).find("checkpoint (every recording checkpoint) or final") != std::string::npos);
  }
}

TEST_CASE("AgopSchedule::due: every checkpoint, the final one only, or the checkpoints on its own schedule") {
  const CheckpointInfo init = at(0, 0), epoch1 = at(10, 1), epoch2 = at(20, 2), mid = at(15, 1.5), end = at(30, 3, true);
  const AgopSchedule every = AgopSchedule::parse("checkpoint"), final = AgopSchedule::parse("final");
  const AgopSchedule two = AgopSchedule::parse("2"), steps = AgopSchedule::parse("15steps");
  for (const auto& info : {init, epoch1, epoch2, mid, end}) CHECK(every.due(info));
  CHECK_FALSE(final.due(init));
  CHECK_FALSE(final.due(epoch2));
  CHECK(final.due(end));
  CHECK(two.due(init));  // epoch 0 is on every schedule
  CHECK_FALSE(two.due(epoch1));
  CHECK(two.due(epoch2));
  CHECK_FALSE(two.due(mid));  // inside an epoch: not on an epoch schedule
  CHECK(two.due(end));        // the end always (epoch 3 is off the schedule)
  CHECK(steps.due(init));
  CHECK_FALSE(steps.due(epoch1));
  CHECK(steps.due(mid));
  CHECK(steps.due(end));
}
