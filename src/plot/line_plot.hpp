// Line figures: training curves, ρ over training, VCL-vs-SGD accuracy (mean with ±2 std bands,
// one panel per dataset) and log-log residual-vs-learning-rate plots with fitted lines.
#pragma once
#include <armadillo>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "plot/figure_size.hpp"

namespace vclab {

struct Series {
  std::string label;  // key entry (plain text, UTF-8 allowed); empty = not in the key
  arma::vec x, y;
  arma::vec lo, hi;     // optional shaded band (e.g. mean ± 2 std); both empty = none
  bool points = false;  // draw markers as well as the line
};

struct LinePanel {
  std::string title, xlabel, ylabel;
  bool logx = false, logy = false;
  std::vector<Series> series;
  std::optional<double> ymin, ymax;
  std::string key = "top right";  // gnuplot key placement ("bottom right", "outside", ...) or "off"
};

// One panel. Writes <dir>/<name>.dat (one index block per series: x y [lo hi]), <name>.gp and
// the renders. Throws std::invalid_argument when a series' x and y (or lo/hi) lengths differ, or
// when a log axis would get no positive value.
void plot_lines(const std::filesystem::path& dir, const std::string& name, const LinePanel& panel,
                FigureSize size);

// Several panels in a grid of `columns` columns (row-major), e.g. one per dataset.
void plot_line_panels(const std::filesystem::path& dir, const std::string& name,
                      const std::vector<LinePanel>& panels, FigureSize size, std::size_t columns);

}  // namespace vclab
