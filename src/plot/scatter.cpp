// Scatter figures with deterministic subsampling and reference curves (gnuplot expressions in x).
#include "plot/scatter.hpp"

#include <cmath>

#include <algorithm>
#include <sstream>
#include <stdexcept>

#include "plot/gnuplot.hpp"

namespace vclab {

arma::uvec subsample_indices(std::size_t n, std::size_t max_points) {
  if (max_points == 0) throw std::invalid_argument("subsample_indices: max_points must be positive");
  const std::size_t kept = std::min(n, max_points);
  arma::uvec indices(kept);
  for (std::size_t i = 0; i < kept; ++i) {
    // floor(i*n/kept) in integers (no overflow for n < 2^32); just i when n <= max_points.
    indices(i) = static_cast<arma::uword>((static_cast<unsigned long long>(i) * n) / kept);
  }
  return indices;
}

void plot_scatter(const std::filesystem::path& dir, const std::string& name, const arma::vec& x, const arma::vec& y,
                  const std::string& xlabel, const std::string& ylabel, const std::string& title,
                  const std::vector<std::pair<std::string, std::string>>& reference_lines, FigureSize size, std::size_t max_points) {
  if (x.n_elem != y.n_elem)
    throw std::invalid_argument("plot_scatter: x has " + std::to_string(x.n_elem) + " values but y has " + std::to_string(y.n_elem));
  if (x.is_empty()) throw std::invalid_argument("plot_scatter: no points");
  for (const auto& [label, expression] : reference_lines)
    if (expression.empty() || expression.find_first_of("\n;") != std::string::npos)
      throw std::invalid_argument("plot_scatter: reference line '" + label + "' needs a one-line gnuplot expression in x");
  const arma::uvec kept = subsample_indices(x.n_elem, max_points);

  std::ostringstream data;
  data << "# vclab scatter figure '" << name << "': " << kept.n_elem << " of " << x.n_elem
       << " points (evenly strided subsample, index floor(i*n/" << max_points << "))\n# x y\n";
  for (const arma::uword i : kept) data << gnuplot_number(x(i)) << " " << gnuplot_number(y(i)) << "\n";

  // At most ~5 x tick labels: a 1-2-5 step over the plotted range, so long labels never collide.
  const arma::vec kept_x = x.elem(kept);
  const double x_range = kept_x.max() - kept_x.min();
  std::string xtics;
  if (std::isfinite(x_range) && x_range > 0) {
    const double raw = x_range / 4.0;
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    double step = 10 * magnitude;
    for (double m : {1.0, 2.0, 5.0})
      if (m * magnitude >= raw) {
        step = m * magnitude;
        break;
      }
    xtics = "set xtics " + gnuplot_number(step) + "\nset format x '%g'\n";
  }

  std::ostringstream script;
  if (!title.empty()) script << "set title " << gnuplot_text(title) << "\n";
  script << xtics << "set xlabel " << gnuplot_text(xlabel) << "\n"
         << "set ylabel " << gnuplot_text(ylabel) << "\n"
         << "set grid xtics ytics back lc rgb '#e0e0e0' lw 0.5 dt solid\n"
         << "set key top left reverse Left samplen 1.5 spacing 0.9 font small_font nobox\n"
         << "set samples 500\n"
         // Small translucent dots (alpha 0x70 of 0xff transparent) so dense regions read darker.
         << "plot '" << name << ".dat' using 1:2 with points pt 7 ps 0.25 lc rgb '#700072B2' notitle";
  for (std::size_t i = 0; i < reference_lines.size(); ++i) {
    const auto& [label, expression] = reference_lines[i];
    script << ", \\\n     " << expression << " with lines lt " << (i % 7 + 2) << " dt 2 lw 1.2 "
           << (label.empty() ? "notitle" : "title " + gnuplot_text(label));
  }
  script << "\n";
  render_figure(dir, name, {{name + ".dat", data.str()}}, script.str(), size);
}

}  // namespace vclab
