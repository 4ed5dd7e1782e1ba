// Line figures with optional shaded bands, one panel or a multiplot grid of panels.
// Data: one gnuplot index block per (panel, series) with columns x y lo hi (NaN = no band).
#include "plot/line_plot.hpp"

#include <algorithm>
#include <sstream>
#include <stdexcept>

#include "plot/gnuplot.hpp"

namespace vclab {
namespace {

bool has_band(const Series& series) { return !series.lo.is_empty() || !series.hi.is_empty(); }

void check_series(const Series& series, const LinePanel& panel) {
  const std::string where = "series '" + series.label + "' of panel '" + panel.title + "'";
  if (series.x.n_elem != series.y.n_elem)
    throw std::invalid_argument("plot_lines: " + where + " has " + std::to_string(series.x.n_elem) + " x values but " +
                                std::to_string(series.y.n_elem) + " y values");
  if (has_band(series) && (series.lo.n_elem != series.x.n_elem || series.hi.n_elem != series.x.n_elem))
    throw std::invalid_argument("plot_lines: " + where + ": band lo and hi must both have one value per x (or both be empty)");
}

// True when the values hold at least one finite value that a log axis can show.
bool any_positive(const arma::vec& v) { return arma::any(v > 0.0) && !arma::find_finite(v.elem(arma::find(v > 0.0))).is_empty(); }

void check_panel(const LinePanel& panel) {
  bool any_points = false, positive_x = false, positive_y = false;
  for (const Series& series : panel.series) {
    check_series(series, panel);
    if (!arma::find_finite(series.x).is_empty() && !arma::find_finite(series.y).is_empty()) any_points = true;
    positive_x = positive_x || any_positive(series.x);
    positive_y = positive_y || any_positive(series.y);
  }
  if (!any_points) throw std::invalid_argument("plot_lines: panel '" + panel.title + "' has no data");
  if (panel.logx && !positive_x) throw std::invalid_argument("plot_lines: panel '" + panel.title + "' has a log x axis but no positive x");
  if (panel.logy && !positive_y) throw std::invalid_argument("plot_lines: panel '" + panel.title + "' has a log y axis but no positive y");
}

std::string range_bound(const std::optional<double>& bound) { return bound ? gnuplot_number(*bound) : "*"; }

// Appends the data blocks and the plot commands of one panel; `block` counts index blocks.
void add_panel(const std::string& name, const LinePanel& panel, std::size_t panel_index, std::size_t& block, std::ostringstream& data,
               std::ostringstream& script) {
  script << "\n# panel " << panel_index << "\n"
         << "set title " << gnuplot_text(panel.title) << "\n"
         << "set xlabel " << gnuplot_text(panel.xlabel) << "\n"
         << "set ylabel " << gnuplot_text(panel.ylabel) << "\n";
  script << (panel.logx ? "set logscale x 10; set format x '10^{%L}'\n" : "unset logscale x; set format x '%g'\n");
  script << (panel.logy ? "set logscale y 10; set format y '10^{%L}'\n" : "unset logscale y; set format y '%g'\n");
  script << "set xrange [*:*]\nset yrange [" << range_bound(panel.ymin) << ":" << range_bound(panel.ymax) << "]\n";
  if (panel.key == "off" || panel.key.empty())
    script << "unset key\n";
  else
    script << "set key " << panel.key << " reverse Left samplen 1.5 spacing 0.9 font small_font nobox\n";

  std::vector<std::string> bands, lines;
  for (std::size_t s = 0; s < panel.series.size(); ++s) {
    const Series& series = panel.series[s];
    const bool band = has_band(series);
    data << (block ? "\n\n" : "") << "# index " << block << ": panel " << panel_index << " '" << panel.title << "', series " << s
         << " '" << series.label << "'\n# x y lo hi" << (band ? "" : "   (no band: lo, hi = NaN)") << "\n";
    for (arma::uword i = 0; i < series.x.n_elem; ++i)
      data << gnuplot_number(series.x(i)) << " " << gnuplot_number(series.y(i)) << " "
           << gnuplot_number(band ? series.lo(i) : arma::datum::nan) << " " << gnuplot_number(band ? series.hi(i) : arma::datum::nan)
           << "\n";
    if (series.x.is_empty()) data << "NaN NaN NaN NaN\n";  // keeps the block (and indices) in place
    const std::string lt = std::to_string(s % 8 + 1);
    const std::string source = "'" + name + ".dat' index " + std::to_string(block);
    if (band)
      bands.push_back(source + " using 1:3:4 with filledcurves fillcolor lt " + lt + " fillstyle transparent solid 0.2 noborder notitle");
    lines.push_back(source + " using 1:2 with " + (series.points ? "linespoints" : "lines") + " lt " + lt +
                    (series.label.empty() ? " notitle" : " title " + gnuplot_text(series.label)));
    ++block;
  }
  // Bands first so every line is drawn on top of every band.
  script << "plot ";
  bool first = true;
  for (const auto* group : {&bands, &lines})
    for (const std::string& element : *group) {
      script << (first ? "" : ", \\\n     ") << element;
      first = false;
    }
  script << "\n";
}

std::string axes_style() {
  return "set grid xtics ytics back lc rgb '#e0e0e0' lw 0.5 dt solid\nset xtics out nomirror\nset ytics out nomirror\n";
}

}  // namespace

void plot_lines(const std::filesystem::path& dir, const std::string& name, const LinePanel& panel, FigureSize size) {
  plot_line_panels(dir, name, {panel}, size, 1);
}

void plot_line_panels(const std::filesystem::path& dir, const std::string& name, const std::vector<LinePanel>& panels, FigureSize size,
                      std::size_t columns) {
  if (panels.empty()) throw std::invalid_argument("plot_line_panels: no panels");
  if (columns == 0) throw std::invalid_argument("plot_line_panels: columns must be positive");
  for (const LinePanel& panel : panels) check_panel(panel);
  columns = std::min(columns, panels.size());
  const std::size_t rows = (panels.size() + columns - 1) / columns;

  std::ostringstream data;
  data << "# vclab line figure '" << name << "': one block per series (gnuplot `index`), blocks separated by two blank lines; "
       << "columns x y lo hi (the shaded band; NaN = none).\n";
  std::ostringstream script;
  script << axes_style();
  const bool multi = panels.size() > 1;
  if (multi) script << "set multiplot layout " << rows << "," << columns << "\n";
  std::size_t block = 0;
  for (std::size_t p = 0; p < panels.size(); ++p) add_panel(name, panels[p], p, block, data, script);
  if (multi) script << "unset multiplot\n";
  render_figure(dir, name, {{name + ".dat", data.str()}}, script.str(), size);
}

}  // namespace vclab
