// Correlations between a run's recorded quantities, per layer and checkpoint: Pearson, Spearman and
// cosine on diagonals (the VCL paper's Figure 1) and, in full mode, on upper triangles with the Neural
// Feature Ansatz variants G vs AGOP^α, α ∈ {1/2, 1} (Radhakrishnan et al. 2024).
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analyses/correlation.hpp"
#include "io/recordings.hpp"

namespace vclab {

struct CorrelationRow {
  std::size_t layer = 0;
  std::size_t checkpoint = 0;
  std::int64_t step = 0;
  double epoch = 0;
  std::string reference;  // gram | dgram | gram_dw
  std::string quantity;   // vc | agop | egop (with "^0.5" for the NFA square-root variant)
  std::string part;       // diagonal | upper_triangle
  Correlations value{};
};

struct RunCorrelationOptions {
  std::vector<std::string> references{"gram", "dgram", "gram_dw"};
  std::vector<std::string> quantities{"vc", "agop", "egop"};
  bool all_checkpoints = true;  // false: the last checkpoint only
};

// The diagonal of a recorded d×d quantity: diag-mode data as is, full-mode data's diagonal. (d)
arma::vec recording_diagonal(const Recording& recording);

// Every (reference, quantity) pair present in the recordings. Checkpoint 0 (initial model) is skipped
// for dgram/gram_dw/vc, which are zero there.
std::vector<CorrelationRow> run_correlations(const RecordingsReader& recordings, const RunCorrelationOptions& options = {});

// The row for one pair at the last checkpoint of a layer (diagonal part); NaN-filled if absent.
Correlations last_diagonal_correlation(const std::vector<CorrelationRow>& rows, std::size_t layer,
                                       const std::string& reference, const std::string& quantity);

nlohmann::json to_json(const std::vector<CorrelationRow>& rows);
// Writes <dir>/correlations.json and <dir>/correlations.csv atomically.
void write_correlations(const std::filesystem::path& dir, const std::vector<CorrelationRow>& rows);

}  // namespace vclab
