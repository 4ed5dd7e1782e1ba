// The Figure 2 report (README.md, summary.json, figures/) built only from the runs' small result files (config.json,
// metrics.csv), so it can be rebuilt on any clone that holds them: per dataset, mean ± 2 std over seeds per epoch,
// γ picked by test accuracy (the paper) and by the validation split, and a holds / does not hold line per claim.
#pragma once
#include <nlohmann/json.hpp>
#include <vector>

#include "app/reproduce/figure2_sweep.hpp"
#include "app/reproduce/provenance.hpp"

namespace vclab {

struct Figure2ReportContext {
  nlohmann::json invocations = nlohmann::json::array();  // invocations.json: the ones that trained runs here
  double wall_seconds = 0;                              // this invocation so far
  Provenance provenance;                                // of the report
};

// Writes OUT/README.md, OUT/summary.json and OUT/figures/; returns the number of runs that have not finished
// (the report then says it is partial and lists them).
std::size_t write_figure2_report(const Figure2Options& o, const std::vector<Figure2Dataset>& grid,
                                 const Figure2ReportContext& context);

}  // namespace vclab
