// Carries recordings.h5 through training checkpoints: the recordings written so far are embedded in the
// checkpoint and restored on resume, so the finished file holds the datasets of an uninterrupted run.
#pragma once
#include "io/recordings.hpp"
#include "train/observer.hpp"

namespace vclab {

template <class T> class RecordingsSnapshot : public Observer<T> {
 public:
  explicit RecordingsSnapshot(RecordingWriter& writer) : writer_(writer) {}
  // prefix/recordings: the .partial file's bytes (uint8), as flushed at the checkpoint.
  void save_state(StateArchive& file, const std::string& prefix) const override;
  void load_state(const StateArchive& file, const std::string& prefix) override;

 private:
  RecordingWriter& writer_;
};

}  // namespace vclab
