// DIR/vcl_stats.csv: per epoch and hidden layer, VCL's eigen-steps, clipped eigenvalues (Algorithm 1's
// W_lᵀW_l + V_l can be indefinite) and solver cost. An observer: it reads the rule, never changes training.
#pragma once
#include <filesystem>

#include "io/csv_table.hpp"
#include "train/observer.hpp"
#include "train/vcl.hpp"

namespace vclab {

template <class T> class VclStatsWriter : public Observer<T> {
 public:
  VclStatsWriter(std::filesystem::path path, const Vcl<T>& rule);
  void on_epoch_end(const Network<T>& model, const EpochMetrics& m) override;  // rewrites the file atomically
  // A resumed run rewrites vcl_stats.csv from the checkpoint's rows (phase stored as 0 = warmup, 1 = vcl).
  void save_state(StateArchive& file, const std::string& prefix) const override;
  void load_state(const StateArchive& file, const std::string& prefix) override;

 private:
  std::filesystem::path path_;
  const Vcl<T>& rule_;
  CsvTable table_;
};

}  // namespace vclab
