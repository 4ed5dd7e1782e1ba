// Training checkpoints (vclab train --checkpoint-every / --resume): everything the loop needs to continue an
// interrupted run bit-identically — weights, the update rule's and observers' state, counters, the shuffle stream.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "train/observer.hpp"
#include "train/update_rule.hpp"

namespace vclab {

// The loop's own state at the end of an epoch.
struct TrainState {
  std::size_t epochs_done = 0;             // completed epochs
  std::int64_t steps = 0;                  // optimiser steps completed
  std::size_t next_checkpoint = 0;         // index of the next recording checkpoint
  std::int64_t last_checkpoint_step = 0;   // step of the last recording checkpoint
  std::string shuffle_rng;                 // std::mt19937_64 streamed with operator<<
  std::vector<arma::uword> order;          // sample order after the last shuffle (the next epoch shuffles it again)
  std::vector<EpochMetrics> epochs;        // metrics so far, epoch 0 first
};

// Writes `path` atomically (a temporary in the same directory, renamed when complete), so a process
// killed at any moment leaves either the previous checkpoint or the new one, and its SHA-256 sidecar
// `path`.sha256 (io/sha256_sidecar.hpp). Throws IoError.
template <class T>
void save_checkpoint(const std::filesystem::path& path, const Network<T>& model, const TrainState& state,
                     const UpdateRule<T>& rule, const std::vector<Observer<T>*>& observers);

// Reads a checkpoint into `model` (whose shapes must match), the rule and the observers (the same
// kinds, in the same order, as when it was saved), once the file matches its sidecar. Throws IoError
// naming the file and what disagrees (a damaged file, or no sidecar, included).
template <class T>
TrainState load_checkpoint(const std::filesystem::path& path, Network<T>& model, UpdateRule<T>& rule,
                           const std::vector<Observer<T>*>& observers);

}  // namespace vclab
