// `vclab analyze RUN` and `vclab plot RUN`: every analysis and figure that applies to a run directory.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "analyses/run_correlations.hpp"

namespace vclab {

// Writes RUN/analysis/correlations.{json,csv}; returns the rows.
std::vector<CorrelationRow> analyze_run(const std::filesystem::path& run_dir);

// Writes RUN/figures/: training curves, ρ over training, and (image data) Figure-1 heatmaps of layer 0.
// Returns the figure names written. `precomputed` (from analyze_run) avoids computing the correlations again.
std::vector<std::string> plot_run(const std::filesystem::path& run_dir, const std::vector<CorrelationRow>* precomputed = nullptr);

// Image shape {C, H, W} stored in recordings.h5 (empty if the data are not images).
std::vector<std::size_t> recorded_image_shape(const RecordingsReader& recordings);

}  // namespace vclab
