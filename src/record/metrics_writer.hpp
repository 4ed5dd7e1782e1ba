// DIR/metrics.csv: one row per epoch (losses, accuracies, wall time), rewritten atomically after every epoch so a
// killed run leaves a complete file. With a validation split (--val-fraction) every row also scores the model on
// it: val_loss, val_accuracy. An observer: it reads the model, never changes training.
#pragma once
#include <cstdint>
#include <filesystem>
#include <vector>

#include "data/dataset.hpp"
#include "io/csv_table.hpp"
#include "model/loss.hpp"
#include "train/observer.hpp"
#include "train/trainer.hpp"

namespace vclab {

template <class T> class MetricsWriter : public Observer<T> {
 public:
  MetricsWriter(std::filesystem::path path, const Dataset& validation, Loss loss);
  void on_epoch_end(const Network<T>& model, const EpochMetrics& m) override;
  // A resumed run rewrites metrics.csv from the checkpoint's rows, dropping rows of later epochs.
  void save_state(StateArchive& file, const std::string& prefix) const override;
  void load_state(const StateArchive& file, const std::string& prefix) override;
  void mark_diverged(std::int64_t steps);  // a last row with status "diverged"
  // Validation accuracy after the last epoch (NaN without a validation split or rows).
  double final_val_accuracy() const;

 private:
  bool has_validation() const { return validation_.size() > 0; }
  void append(const EpochMetrics& m, const Evaluation& val);

  std::filesystem::path path_;
  const Dataset& validation_;
  Loss loss_;
  CsvTable table_;
  std::vector<EpochMetrics> rows_;
  std::vector<Evaluation> val_rows_;  // one per row of rows_ (zeros without a validation split)
};

}  // namespace vclab
