// Scatter figures, e.g. Theorem 3's actual activation change a against the virtual change v with
// the bounds |a| = L²|v| drawn as reference lines.
#pragma once
#include <armadillo>
#include <cstddef>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "plot/figure_size.hpp"

namespace vclab {

// Indices of at most max_points of n points, evenly strided (floor(i*n/max_points)), so the
// same input always gives the same subsample and its order is preserved.
arma::uvec subsample_indices(std::size_t n, std::size_t max_points);

// Points (x, y), subsampled to max_points, plus reference curves given as (key label, gnuplot
// expression in x), e.g. {"|a| = L^2|v|", "x"}. Writes <dir>/<name>.dat (x y), <name>.gp and
// the renders. Throws std::invalid_argument when x and y differ in length or max_points == 0.
void plot_scatter(const std::filesystem::path& dir, const std::string& name, const arma::vec& x,
                  const arma::vec& y, const std::string& xlabel, const std::string& ylabel,
                  const std::string& title,
                  const std::vector<std::pair<std::string, std::string>>& reference_lines,
                  FigureSize size, std::size_t max_points);

}  // namespace vclab
