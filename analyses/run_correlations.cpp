// Pairwise correlations of recorded quantities over layers and checkpoints.
#include "analyses/run_correlations.hpp"

#include <cmath>
#include <limits>

#include "io/csv_table.hpp"
#include "io/json_io.hpp"

namespace vclab {
namespace {

bool zero_at_init(const std::string& quantity) { return quantity == "dgram" || quantity == "gram_dw" || quantity == "vc"; }

}  // namespace

arma::vec recording_diagonal(const Recording& r) { return r.diag ? arma::vec(r.data.col(0)) : arma::vec(r.data.diag()); }

std::vector<CorrelationRow> run_correlations(const RecordingsReader& rec, const RunCorrelationOptions& options) {
  std::vector<CorrelationRow> rows;
  for (const auto& reference : options.references) {
    if (!rec.has(reference)) continue;
    for (const auto& quantity : options.quantities) {
      if (!rec.has(quantity)) continue;
      for (auto layer : rec.layers(reference)) {
        const auto layers_q = rec.layers(quantity);
        if (std::find(layers_q.begin(), layers_q.end(), layer) == layers_q.end()) continue;
        auto checkpoints = rec.checkpoints(reference, layer);
        if (!options.all_checkpoints && !checkpoints.empty()) checkpoints = {checkpoints.back()};
        for (auto k : checkpoints) {
          if (k == 0 && (zero_at_init(reference) || zero_at_init(quantity))) continue;
          const auto a = rec.at(reference, layer, k);
          const auto b = rec.at(quantity, layer, k);
          if (!a || !b) continue;
          CorrelationRow row{layer, k, a->meta.step, a->meta.epoch, reference, quantity, "diagonal",
                             correlate(recording_diagonal(*a), recording_diagonal(*b))};
          rows.push_back(row);
          if (!a->diag && !b->diag) {
            row.part = "upper_triangle";
            row.value = correlate_matrices(a->data, b->data, MatrixPart::upper_triangle);
            rows.push_back(row);
            if (quantity == "agop" || quantity == "egop") {  // NFA: G ∝ A^{1/2}
              row.quantity = quantity + "^0.5";
              row.value = correlate_matrices(a->data, psd_power(b->data, 0.5), MatrixPart::upper_triangle);
              rows.push_back(row);
              row.part = "diagonal";
              row.value = correlate(recording_diagonal(*a), arma::vec(psd_power(b->data, 0.5).diag()));
              rows.push_back(row);
            }
          }
        }
      }
    }
  }
  return rows;
}

Correlations last_diagonal_correlation(const std::vector<CorrelationRow>& rows, std::size_t layer, const std::string& reference,
                                       const std::string& quantity) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Correlations best{nan, nan, nan};
  std::size_t best_checkpoint = 0;
  bool found = false;
  for (const auto& r : rows)
    if (r.layer == layer && r.reference == reference && r.quantity == quantity && r.part == "diagonal" &&
        (!found || r.checkpoint > best_checkpoint)) {
      best = r.value;
      best_checkpoint = r.checkpoint;
      found = true;
    }
  return best;
}

nlohmann::json to_json(const std::vector<CorrelationRow>& rows) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : rows)
    out.push_back({{"layer", r.layer}, {"checkpoint", r.checkpoint}, {"step", r.step}, {"epoch", r.epoch},
                   {"reference", r.reference}, {"quantity", r.quantity}, {"part", r.part},
                   {"pearson", json_number(r.value.pearson)}, {"spearman", json_number(r.value.spearman)},
                   {"cosine", json_number(r.value.cosine)}});
  return out;
}

void write_correlations(const std::filesystem::path& dir, const std::vector<CorrelationRow>& rows) {
  std::filesystem::create_directories(dir);
  write_json(dir / "correlations.json",
             {{"description", "Correlations between recorded quantities (reference vs quantity) per layer and checkpoint. "
                              "part=diagonal compares diagonals (VCL paper Fig. 1); upper_triangle compares full "
                              "matrices (Neural Feature Ansatz). quantity X^0.5 is the PSD square root of X."},
              {"rows", to_json(rows)}});
  CsvTable table({"layer", "checkpoint", "step", "epoch", "reference", "quantity", "part", "pearson", "spearman", "cosine"});
  for (const auto& r : rows)
    table.append_row({std::int64_t(r.layer), std::int64_t(r.checkpoint), r.step, r.epoch, r.reference, r.quantity, r.part,
                      r.value.pearson, r.value.spearman, r.value.cosine});
  table.write(dir / "correlations.csv");
}

}  // namespace vclab
