// Heatmap figures: diagonals of d x d feature matrices shown as images (the paper's Figure 1:
// diag of W^T W, AGOP and virtual covariance reshaped to 32x32 pictures) and labelled matrices.
#pragma once
#include <armadillo>
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "plot/figure_size.hpp"
#include "plot/palette.hpp"

namespace vclab {

// Reshapes a diagonal of length C*H*W (input layout: element c*H*W + row*W + col, i.e. CHW as
// in CIFAR's binary files and PyTorch tensors) to an H x W image: image(row, col) of channel
// `channel`, or the sum over channels when channel == -1. Throws std::invalid_argument when
// diag.n_elem != C*H*W or the channel is out of range.
arma::mat diagonal_to_image(const arma::vec& diag, std::size_t channels, std::size_t height,
                            std::size_t width, int channel);

struct HeatmapPanel {
  std::string title;  // plain text, may hold UTF-8 ("AGOP ρ = 0.71"); escaped for gnuplot
  arma::vec values;   // C*H*W values in the layout of diagonal_to_image
};

// Panels side by side, each with its own colour bar; image row 0 at the top, square pixels, no
// ticks. image_shape = {C, H, W} (or {H, W} for one channel). C = 1: the plain image. C > 1:
// each panel summed over channels, or with per_channel a grid with one row per panel and columns
// R, G, B (channel c for C != 3), sum. Long titles wrap to the image width; tiny or huge colour
// scales get a common ×10^k factor above the bar. Diverging: colour range symmetric about 0.
// Writes <dir>/<name>.dat (one image per index block), <name>.gp and the renders.
void plot_diagonal_heatmaps(const std::filesystem::path& dir, const std::string& name,
                            const std::vector<HeatmapPanel>& panels,
                            std::vector<std::size_t> image_shape, FigureSize size,
                            bool per_channel, Palette palette = Palette::viridis);

struct MatrixHeatmapOptions {
  Palette palette = Palette::viridis;
  std::string cell_format = "%.2f";     // printf format of the number printed in each cell
  std::string row_axis_label;           // e.g. "activation" (empty: none)
  std::string col_axis_label;           // e.g. "batch size"
  double color_min = arma::datum::nan;  // colour range; NaN = from the data
  double color_max = arma::datum::nan;
};

// A labelled matrix (e.g. "violation rate over activation x batch size") with its value printed
// in every cell (white on dark cells, black on light ones; "n/a" for NaN). Row 0 at the top.
void plot_matrix_heatmap(const std::filesystem::path& dir, const std::string& name,
                         const arma::mat& values, const std::vector<std::string>& row_labels,
                         const std::vector<std::string>& col_labels, const std::string& title,
                         const std::string& colorbar_label, FigureSize size,
                         const MatrixHeatmapOptions& options = {});

}  // namespace vclab
