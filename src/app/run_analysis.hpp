// `vclab analyze RUN` and `vclab plot RUN`: every analysis and figure that applies to a run directory.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "analyses/run_correlations.hpp"
#include "analyses/run_spectra.hpp"

namespace vclab {

struct RunAnalysis {
  std::vector<CorrelationRow> correlations;
  RunSpectra spectra;
  std::vector<std::string> files;  // names written under RUN/analysis/
};

// Writes RUN/analysis/: correlations.{json,csv}; linearity.csv, collapse.csv, linearization.json when
// the probes were recorded; spectra.csv, outliers.csv, subspace_angles.csv when singular values or
// full-mode matrices were recorded.
RunAnalysis analyze_run(const std::filesystem::path& run_dir);

// Writes RUN/figures/: training curves, ρ over training, and (image data) Figure-1 heatmaps of layer 0.
// Returns the figure names written. `precomputed` (from analyze_run) avoids computing the correlations again.
std::vector<std::string> plot_run(const std::filesystem::path& run_dir, const std::vector<CorrelationRow>* precomputed = nullptr);

// Image shape {C, H, W} stored in recordings.h5 (empty if the data are not images).
std::vector<std::size_t> recorded_image_shape(const RecordingsReader& recordings);

}  // namespace vclab
