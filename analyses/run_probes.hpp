// Reading a run's feature probes (analyses/feature_probe.hpp) back as tables, and the question of
// the successor paper: do the layers linearise toward the target in sequence?
#pragma once
#include <armadillo>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "io/recordings.hpp"

namespace vclab {

// One recorded probe vector (linearity: [T, S, S_rel, dim_used]; collapse: [NC1..NC4]).
struct ProbeRow {
  std::size_t layer = 0;
  std::size_t checkpoint = 0;
  std::int64_t step = 0;
  double epoch = 0;
  arma::vec values;
};

// All rows of "linearity" or "collapse", by layer then checkpoint; empty when not recorded.
std::vector<ProbeRow> read_probe_rows(const RecordingsReader& recordings, const std::string& quantity);

// T (or any probe field) as a matrix: rows = checkpoints (common to all layers), columns = layers.
struct ProbeSeries {
  std::vector<std::size_t> layers;
  arma::vec epochs;    // (n_checkpoints)
  arma::mat values;    // (n_checkpoints, n_layers)
};
// Field `field` of the rows (0 = T for linearity). Throws std::invalid_argument when the layers were
// recorded at different checkpoints or the field is out of range.
ProbeSeries probe_series(const std::vector<ProbeRow>& rows, std::size_t field);

// T of the hidden layers h_1 .. h_L only: the linearity rows without the input (the lowest layer, which
// training does not change) and the logits (the highest layer: C dimensions, so its T is not comparable
// with that of the hidden layers).
ProbeSeries hidden_layer_linearity(const std::vector<ProbeRow>& linearity_rows);

// When each layer linearises: for layer j, the first epoch at which T_j(t) − T_j(0) reaches
// `fraction` of its total change T_j(end) − T_j(0), interpolated linearly between checkpoints
// (NaN when the change is ≤ min_gain: the layer did not linearise).
struct LayerTiming {
  std::size_t layer = 0;
  double t_initial = 0, t_final = 0, t_max = 0;
  double epoch_half = 0;  // fraction 0.5
  double epoch_90 = 0;    // fraction 0.9
};
struct SequenceSummary {
  std::vector<LayerTiming> layers;      // the layers passed in, in order of depth
  bool final_increasing = false;        // T_end strictly increases with depth
  double fraction_increasing = 0;       // share of checkpoints after the first with T strictly increasing in depth
  bool half_times_ordered = false;      // epoch_half non-decreasing with depth (all finite)
  bool times90_ordered = false;         // epoch_90 non-decreasing with depth (all finite)
  double kendall_tau_half = 0;          // Kendall τ between depth and epoch_half (+1: deeper layers later)
};
SequenceSummary linearization_sequence(const ProbeSeries& t, double min_gain = 1e-3);
nlohmann::json to_json(const SequenceSummary& summary);

// First x at which y (sampled at x, ascending) reaches `level`, by linear interpolation between
// samples; NaN if never. y(0) ≥ level gives x(0).
double first_crossing(const arma::vec& x, const arma::vec& y, double level);

// Writes <dir>/linearity.csv and/or <dir>/collapse.csv (one row per layer and checkpoint) when
// recorded, and <dir>/linearization.json with the sequence summary of the hidden layers.
// Returns the file names written.
std::vector<std::string> write_probe_tables(const std::filesystem::path& dir, const RecordingsReader& recordings);

}  // namespace vclab
