// `vclab train` as a library call: settings → data → model → trainer + recorders → run directory.
#pragma once
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "app/train_settings.hpp"
#include "data/dataset.hpp"
#include "train/trainer.hpp"

namespace vclab {

struct TrainOutcome {
  std::filesystem::path run_dir;
  TrainResult result;
  double final_test_accuracy = 0;
  double seconds = 0;
};

// Validates settings (UsageError naming the flag), loads the data, trains and writes
// DIR/config.json, DIR/metrics.csv, DIR/recordings.h5, DIR/weights_init.h5, DIR/weights_final.h5.
TrainOutcome run_training(const TrainSettings& settings);

// Same, on data already loaded (sweeps load a dataset once and train many times).
TrainOutcome run_training(const TrainSettings& settings, const DatasetSplit& data);

// `vclab train --resume DIR`: reads DIR/config.json's settings and DIR/checkpoint.h5 and finishes the
// run; the result equals an uninterrupted run's (metrics except seconds, every recorded dataset).
// Throws UsageError when DIR holds no interrupted run.
TrainOutcome resume_training(const std::filesystem::path& dir);

DatasetSplit load_training_data(const TrainSettings& settings);

// The config.json of a finished run (completed or diverged, with a result) in settings.out that was
// trained with exactly these settings; nullopt otherwise. Lets reproduce commands reuse finished runs.
std::optional<nlohmann::json> finished_run_config(const TrainSettings& settings);

// Sets OpenBLAS's thread count (0 = all cores); returns the count in use.
std::size_t set_blas_threads(std::size_t threads);

}  // namespace vclab
