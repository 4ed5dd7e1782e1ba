// Probe tables and the sequential-linearization summary.
#include "analyses/run_probes.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>

#include "analyses/feature_probe.hpp"
#include "io/csv_table.hpp"
#include "io/json_io.hpp"

namespace vclab {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool strictly_increasing(const arma::rowvec& v) {
  for (std::size_t j = 1; j < v.n_elem; ++j)
    if (!(v(j) > v(j - 1))) return false;
  return true;
}

bool non_decreasing_finite(const std::vector<double>& v) {
  for (std::size_t j = 0; j < v.size(); ++j) {
    if (!std::isfinite(v[j])) return false;
    if (j > 0 && v[j] < v[j - 1]) return false;
  }
  return true;
}

// Kendall τ_b between depth (0, 1, 2, ...) and v, over finite entries; NaN with fewer than 2.
double kendall_tau_with_depth(const std::vector<double>& v) {
  double concordant = 0, discordant = 0, ties = 0;
  for (std::size_t i = 0; i < v.size(); ++i)
    for (std::size_t j = i + 1; j < v.size(); ++j) {
      if (!std::isfinite(v[i]) || !std::isfinite(v[j])) continue;
      if (v[j] > v[i]) ++concordant;
      else if (v[j] < v[i]) ++discordant;
      else ++ties;
    }
  const double pairs = concordant + discordant + ties;
  if (pairs == 0) return kNaN;
  // depth has no ties, so τ_b = (C − D) / sqrt(n0 · (n0 − ties))
  return (concordant - discordant) / std::sqrt(pairs * (pairs - ties));
}

}  // namespace

std::vector<ProbeRow> read_probe_rows(const RecordingsReader& recordings, const std::string& quantity) {
  std::vector<ProbeRow> rows;
  if (!recordings.has(quantity)) return rows;
  for (auto layer : recordings.layers(quantity))
    for (const Recording& r : recordings.series(quantity, layer))
      rows.push_back(ProbeRow{layer, r.checkpoint, r.meta.step, r.meta.epoch, arma::vec(r.data.col(0))});
  return rows;
}

ProbeSeries probe_series(const std::vector<ProbeRow>& rows, std::size_t field) {
  ProbeSeries series;
  std::vector<std::vector<const ProbeRow*>> by_layer;
  for (const auto& r : rows) {
    if (field >= r.values.n_elem)
      throw std::invalid_argument("probe_series: field " + std::to_string(field) + " out of range (rows have " +
                                  std::to_string(r.values.n_elem) + ")");
    if (series.layers.empty() || series.layers.back() != r.layer) {
      series.layers.push_back(r.layer);
      by_layer.emplace_back();
    }
    by_layer.back().push_back(&r);
  }
  if (by_layer.empty()) return series;
  const std::size_t n = by_layer.front().size();
  series.epochs.set_size(n);
  series.values.set_size(n, by_layer.size());
  for (std::size_t j = 0; j < by_layer.size(); ++j) {
    if (by_layer[j].size() != n)
      throw std::invalid_argument("probe_series: layer " + std::to_string(series.layers[j]) + " has " +
                                  std::to_string(by_layer[j].size()) + " checkpoints, layer " + std::to_string(series.layers[0]) +
                                  " has " + std::to_string(n));
    for (std::size_t i = 0; i < n; ++i) {
      if (by_layer[j][i]->checkpoint != by_layer[0][i]->checkpoint)
        throw std::invalid_argument("probe_series: layers were recorded at different checkpoints");
      series.values(i, j) = by_layer[j][i]->values(field);
      series.epochs(i) = by_layer[j][i]->epoch;
    }
  }
  return series;
}

ProbeSeries hidden_layer_linearity(const std::vector<ProbeRow>& linearity_rows) {
  ProbeSeries t = probe_series(linearity_rows, 0);
  if (t.layers.size() < 2) return ProbeSeries{};
  t.layers = std::vector<std::size_t>(t.layers.begin() + 1, t.layers.end() - 1);
  t.values = t.layers.empty() ? arma::mat() : arma::mat(t.values.cols(1, t.values.n_cols - 2));
  if (t.layers.empty()) t.epochs.reset();
  return t;
}

double first_crossing(const arma::vec& x, const arma::vec& y, double level) {
  for (std::size_t i = 0; i < y.n_elem; ++i) {
    if (y(i) >= level) {
      if (i == 0) return x(0);
      const double f = (level - y(i - 1)) / (y(i) - y(i - 1));
      return x(i - 1) + f * (x(i) - x(i - 1));
    }
  }
  return kNaN;
}

SequenceSummary linearization_sequence(const ProbeSeries& t, double min_gain) {
  SequenceSummary out;
  const std::size_t n = t.values.n_rows;
  if (n == 0) return out;
  std::vector<double> half, ninety;
  for (std::size_t j = 0; j < t.values.n_cols; ++j) {
    const arma::vec y = t.values.col(j);
    LayerTiming timing{t.layers[j], y(0), y(n - 1), y.max(), kNaN, kNaN};
    const double gain = y(n - 1) - y(0);
    if (gain > min_gain) {
      timing.epoch_half = first_crossing(t.epochs, y, y(0) + 0.5 * gain);
      timing.epoch_90 = first_crossing(t.epochs, y, y(0) + 0.9 * gain);
    }
    half.push_back(timing.epoch_half);
    ninety.push_back(timing.epoch_90);
    out.layers.push_back(timing);
  }
  out.final_increasing = strictly_increasing(t.values.row(n - 1));
  std::size_t increasing = 0;
  for (std::size_t i = 1; i < n; ++i) increasing += strictly_increasing(t.values.row(i));
  out.fraction_increasing = n > 1 ? double(increasing) / double(n - 1) : kNaN;
  out.half_times_ordered = non_decreasing_finite(half);
  out.times90_ordered = non_decreasing_finite(ninety);
  out.kendall_tau_half = kendall_tau_with_depth(half);
  return out;
}

nlohmann::json to_json(const SequenceSummary& s) {
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& l : s.layers)
    layers.push_back({{"layer", l.layer},
                      {"t_initial", json_number(l.t_initial)},
                      {"t_final", json_number(l.t_final)},
                      {"t_max", json_number(l.t_max)},
                      {"epoch_half_gain", json_number(l.epoch_half)},
                      {"epoch_90pct_gain", json_number(l.epoch_90)}});
  return {{"layers", layers},
          {"final_t_increases_with_depth", s.final_increasing},
          {"fraction_of_checkpoints_t_increasing_with_depth", json_number(s.fraction_increasing)},
          {"half_gain_epochs_ordered_by_depth", s.half_times_ordered},
          {"ninety_pct_gain_epochs_ordered_by_depth", s.times90_ordered},
          {"kendall_tau_depth_vs_half_gain_epoch", json_number(s.kendall_tau_half)}};
}

std::vector<std::string> write_probe_tables(const std::filesystem::path& dir, const RecordingsReader& recordings) {
  std::vector<std::string> written;
  std::filesystem::create_directories(dir);
  for (const auto& [quantity, names, count] :
       {std::tuple{std::string("linearity"), kLinearityNames, kLinearityFields}, std::tuple{std::string("collapse"), kCollapseNames, kCollapseFields}}) {
    const auto rows = read_probe_rows(recordings, quantity);
    if (rows.empty()) continue;
    std::vector<std::string> header{"layer", "checkpoint", "step", "epoch"};
    for (std::size_t f = 0; f < count; ++f) header.push_back(names[f]);
    CsvTable table(header);
    for (const auto& r : rows) {
      std::vector<CsvCell> cells{std::int64_t(r.layer), std::int64_t(r.checkpoint), r.step, r.epoch};
      for (std::size_t f = 0; f < count; ++f) cells.push_back(f < r.values.n_elem ? r.values(f) : kNaN);
      table.append_row(std::move(cells));
    }
    table.write(dir / (quantity + ".csv"));
    written.push_back(quantity + ".csv");
    if (quantity == "linearity") {
      const ProbeSeries t = hidden_layer_linearity(rows);
      if (t.values.n_cols >= 2) {
        write_json(dir / "linearization.json",
                   {{"description", "Target Linearity T of the hidden layers h_1..h_L: when each layer's T reaches half / 90% "
                                    "of its change over training, and whether T increases with depth."},
                    {"summary", to_json(linearization_sequence(t))}});
        written.push_back("linearization.json");
      }
    }
  }
  return written;
}

}  // namespace vclab
