// Heatmap figures: Figure-1-style diagonal images (one colour bar per panel) and labelled
// matrices with their values printed in the cells. Layout is computed inside the gnuplot script
// from width_in/height_in, so a restyled size (-e "width_in=6.9") reflows the panels.
#include "plot/heatmap.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <stdexcept>

#include "plot/gnuplot.hpp"

namespace vclab {
namespace {

struct ColorRange {
  double lo = 0.0;
  double hi = 1.0;
};

// Colour range of a set of values: the data range (viridis) or symmetric about zero (diverging).
// Non-finite values are ignored; a constant or empty input gets a unit-wide range so gnuplot
// never sees lo == hi.
ColorRange color_range(const arma::mat& values, Palette palette) {
  const arma::vec finite = values.elem(arma::find_finite(values));
  if (finite.is_empty()) return palette == Palette::diverging ? ColorRange{-1.0, 1.0} : ColorRange{};
  if (palette == Palette::diverging) {
    const double m = arma::abs(finite).max();
    return m > 0.0 ? ColorRange{-m, m} : ColorRange{-1.0, 1.0};
  }
  const double lo = finite.min();
  const double hi = finite.max();
  if (hi > lo) return {lo, hi};
  const double pad = std::abs(lo) > 0.0 ? 0.5 * std::abs(lo) : 0.5;
  return {lo - pad, hi + pad};
}

std::string format_tick(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3g", value);
  std::string text(buffer);
  return text == "-0" ? "0" : text;
}

// "Nice" ticks (multiples of 1, 2 or 5 times a power of ten) inside [lo, hi], about
// kTargetTicks of them: colour bars are short, so few ticks keep their labels apart.
std::vector<double> nice_ticks(const ColorRange& range) {
  constexpr double kTargetTicks = 3.5;
  const double raw_step = (range.hi - range.lo) / kTargetTicks;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw_step)));
  const double normalized = raw_step / magnitude;
  const double step = (normalized < 1.5 ? 1.0 : normalized < 3.0 ? 2.0 : normalized < 7.0 ? 5.0 : 10.0) * magnitude;
  std::vector<double> ticks;
  // A small slack keeps ticks that sit on the range ends despite rounding.
  const double slack = 1e-9 * (range.hi - range.lo);
  for (double k = std::ceil((range.lo - slack) / step); k * step <= range.hi + slack; k += 1.0)
    ticks.push_back(std::abs(k * step) < slack ? 0.0 : k * step);
  return ticks;
}

struct ColorbarTicks {
  std::string commands;    // set cbrange / set cbtics
  std::string multiplier;  // "" or the common factor, e.g. "×10^{-3}" (enhanced text)
  std::size_t widest = 1;  // characters of the widest tick label
};

// Colour range and explicit ticks. Very small or large scales get short tick labels and one
// common factor (×10^k), as matplotlib does, so a colour bar never needs wide labels.
ColorbarTicks colorbar_ticks(const ColorRange& range) {
  ColorbarTicks out;
  const std::vector<double> ticks = nice_ticks(range);
  double largest = 0.0;
  for (const double t : ticks) largest = std::max(largest, std::abs(t));
  int exponent = 0;
  if (largest > 0.0 && (largest < 0.01 || largest >= 1e4)) {
    exponent = static_cast<int>(std::floor(std::log10(largest)));
    out.multiplier = "×10^{" + std::to_string(exponent) + "}";
  }
  std::ostringstream s;
  s << "set cbrange [" << gnuplot_number(range.lo) << ":" << gnuplot_number(range.hi) << "]\nset cbtics (";
  for (std::size_t i = 0; i < ticks.size(); ++i) {
    const std::string label = format_tick(ticks[i] / std::pow(10.0, exponent));
    out.widest = std::max(out.widest, label.size());
    s << (i ? ", " : "") << "'" << label << "' " << gnuplot_number(ticks[i]);
  }
  s << ") scale 0.4 font small_font\n";
  out.commands = s.str();
  return out;
}

// Greedy word wrap to lines of at most max_chars UTF-8 characters (a longer word keeps its line).
std::string wrap_text(const std::string& text, std::size_t max_chars, std::size_t& n_lines) {
  auto length = [](const std::string& w) {
    std::size_t n = 0;
    for (const unsigned char ch : w) n += (ch & 0xC0) != 0x80;  // count code points
    return n;
  };
  // Words; "=" glues to its neighbours so "ρ = 0.71" never breaks.
  std::vector<std::string> tokens;
  std::istringstream stream(text);
  for (std::string w; stream >> w;) {
    if (!tokens.empty() && (w == "=" || tokens.back().back() == '='))
      tokens.back() += " " + w;
    else
      tokens.push_back(w);
  }
  std::string line, out;
  n_lines = 0;
  for (const std::string& word : tokens) {
    if (!line.empty() && length(line) + 1 + length(word) > max_chars) {
      out += (n_lines++ ? "\n" : "") + line;
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  if (!line.empty() || n_lines == 0) out += (n_lines++ ? "\n" : "") + line;
  return out;
}

// One image as a gnuplot matrix block: H lines of W numbers.
void write_image_block(std::ostringstream& s, const arma::mat& image) {
  for (arma::uword r = 0; r < image.n_rows; ++r) {
    for (arma::uword c = 0; c < image.n_cols; ++c) s << (c ? " " : "") << gnuplot_number(image(r, c));
    s << "\n";
  }
}

}  // namespace

arma::mat diagonal_to_image(const arma::vec& diag, std::size_t channels, std::size_t height, std::size_t width, int channel) {
  if (channels == 0 || height == 0 || width == 0)
    throw std::invalid_argument("diagonal_to_image: channels, height and width must be positive");
  const std::size_t plane = height * width;
  if (diag.n_elem != channels * plane)
    throw std::invalid_argument("diagonal_to_image: " + std::to_string(diag.n_elem) + " values do not fill " + std::to_string(channels) +
                                " x " + std::to_string(height) + " x " + std::to_string(width));
  if (channel < -1 || channel >= static_cast<int>(channels))
    throw std::invalid_argument("diagonal_to_image: channel " + std::to_string(channel) + " out of range (-1 = sum, 0.." +
                                std::to_string(channels - 1) + ")");
  arma::mat image(height, width, arma::fill::zeros);
  for (std::size_t c = 0; c < channels; ++c) {
    if (channel != -1 && static_cast<int>(c) != channel) continue;
    // Element c*H*W + row*W + col: the plane of channel c is row-major, Armadillo is
    // column-major, so read it as a W x H matrix and transpose.
    const arma::vec plane_values = diag.subvec(c * plane, (c + 1) * plane - 1);
    image += arma::reshape(plane_values, width, height).t();
  }
  return image;
}

namespace {

// One figure of diagonal heatmaps: a grid of (panel, channel) cells, channel -1 = the sum over channels, each cell
// an image block in the data file with its colour-bar ticks.
struct DiagonalCell {
  std::size_t panel, row, col, block;
  int channel;
  ColorbarTicks ticks;
};

struct DiagonalGrid {
  std::size_t channels = 1, height = 0, width = 0;
  std::vector<int> columns;  // the channel of each grid column (-1 = sum)
  bool grid = false;         // several columns: panels are rows, channels columns
  std::size_t n_rows = 1, n_cols = 1;
  std::vector<DiagonalCell> cells;
  std::size_t widest_tick = 1;
  bool any_multiplier = false;

  std::string column_name(int c) const {
    if (c == -1) return channels > 1 ? "sum" : "";
    if (channels == 3) return std::string(1, "RGB"[c]);
    return "channel " + std::to_string(c);
  }
};

DiagonalGrid diagonal_grid(std::vector<std::size_t> image_shape, std::size_t n_panels, bool per_channel) {
  if (image_shape.size() == 2) image_shape.insert(image_shape.begin(), 1);  // {H, W} = one channel
  if (image_shape.size() != 3) throw std::invalid_argument("plot_diagonal_heatmaps: image_shape must be {C, H, W}");
  DiagonalGrid g;
  g.channels = image_shape[0];
  g.height = image_shape[1];
  g.width = image_shape[2];
  if (per_channel && g.channels > 1)
    for (std::size_t c = 0; c < g.channels; ++c) g.columns.push_back(static_cast<int>(c));
  g.columns.push_back(-1);
  g.grid = g.columns.size() > 1;
  g.n_rows = g.grid ? n_panels : 1;
  g.n_cols = g.grid ? g.columns.size() : n_panels;
  return g;
}

// The data file: one image block per cell. Fills the cells and the widest colour-bar tick label, which sizes the layout.
std::string diagonal_data(const std::string& name, const std::vector<HeatmapPanel>& panels, Palette palette, DiagonalGrid& g) {
  std::ostringstream data;
  data << "# vclab diagonal heatmaps for figure '" << name << "': one " << g.height << " x " << g.width
       << " image per block (gnuplot `index`), blocks separated by two blank lines.\n"
       << "# Each line is an image row (row 0 = top); diagonal element c*H*W + row*W + col is\n"
       << "# pixel (row, col) of channel c. Read a block with: plot '" << name << ".dat' index k matrix with image\n";
  for (std::size_t p = 0; p < panels.size(); ++p) {
    for (std::size_t j = 0; j < g.columns.size(); ++j) {
      const int channel = g.columns[j];
      const arma::mat image = diagonal_to_image(panels[p].values, g.channels, g.height, g.width, channel);
      const std::size_t block = g.cells.size();
      data << (block ? "\n\n" : "") << "# index " << block << ": panel " << p << " '" << panels[p].title << "', "
           << (channel == -1 ? (g.channels > 1 ? "sum over channels" : "image") : "channel " + std::to_string(channel)) << "\n";
      write_image_block(data, image);
      DiagonalCell cell{p, g.grid ? p : 0, g.grid ? j : p, block, channel, colorbar_ticks(color_range(image, palette))};
      g.widest_tick = std::max(g.widest_tick, cell.ticks.widest);
      g.any_multiplier = g.any_multiplier || !cell.ticks.multiplier.empty();
      g.cells.push_back(std::move(cell));
    }
  }
  return data.str();
}

// Titles wrapped to the image width the script's layout will give at this size (the same formulas as
// diagonal_layout, with font_pt); a restyled size keeps this wrapping. Returns the most lines of any title.
std::size_t wrap_panel_titles(const std::vector<HeatmapPanel>& panels, const DiagonalGrid& g, const FigureSize& size,
                              std::vector<std::string>& titles) {
  constexpr double kCharWidthEm = 0.62;  // mean advance of DejaVu Sans text (a wide font), in em
  const double font_in = size.font_pt / 72.0;
  const double cb_label_w = (g.widest_tick * 0.62 + 1.0) * (size.font_pt - 1.0) / 72.0;
  const double row_label_w = g.grid ? 1.8 * font_in : 0.0;
  const double cell_w_est = (size.width_in() - 0.06 - row_label_w) / g.n_cols;
  const double img_w_est = std::max(0.2, cell_w_est - 0.08 - 0.04 - 0.07 - cb_label_w);
  const auto chars_per_line = static_cast<std::size_t>(std::max(4.0, (img_w_est + 0.1) / (kCharWidthEm * font_in)));
  titles.assign(panels.size(), "");
  std::size_t title_lines = 1;
  for (std::size_t p = 0; p < panels.size(); ++p) {
    std::size_t lines = 1;
    titles[p] = g.grid ? panels[p].title : wrap_text(panels[p].title, chars_per_line, lines);
    title_lines = std::max(title_lines, lines);
  }
  return title_lines;
}

// The script's layout, in inches recomputed from width_in/height_in.
void diagonal_layout(std::ostringstream& body, const DiagonalGrid& g, std::size_t title_lines, Palette palette) {
  body << gnuplot_palette(palette)
       << "# Layout in inches, recomputed from width_in/height_in: a grid of " << g.n_rows << " x " << g.n_cols
       << " cells, each an image (square pixels) with its colour bar to the right.\n"
       << "n_rows = " << g.n_rows << "; n_cols = " << g.n_cols << "\n"
       << "img_aspect = " << g.height << ".0/" << g.width << "   # image height / width\n"
       << "min2(a, b) = a < b ? a : b\n"
       << "pad = 0.03\n"
       << "line_h = 1.25*font_pt/72.0   # one line of text\n"
       << "title_lines = " << title_lines << "\n"
       << "title_h = title_lines*line_h + 0.06   # titles above the top row\n"
       << "row_label_w = " << (g.grid ? "1.8" : "0") << "*font_pt/72.0\n"
       << "cb_gap = 0.04; cb_w = 0.07\n"
       << "cb_label_w = (" << g.widest_tick << "*0.62 + 1.0)*(font_pt - 1)/72.0\n"
       << "panel_gap = 0.08\n"
       << "cell_w = (width_in - 2*pad - row_label_w)/n_cols\n"
       << "cell_h = (height_in - 2*pad - title_h)/n_rows\n"
       << "img_w = min2(cell_w - panel_gap - cb_gap - cb_w - cb_label_w, (cell_h - "
       << (g.any_multiplier && g.grid ? "line_h - " : "") << "0.06)/img_aspect)\n"
       << "img_h = img_w*img_aspect\n"
       << "img_x0(c) = pad + row_label_w + c*cell_w + (cell_w - (img_w + cb_gap + cb_w + cb_label_w))/2\n"
       << "img_top(r) = height_in - pad - title_h - r*cell_h - (cell_h - img_h)/2\n"
       << "unset key; unset xtics; unset ytics\n"
       << "set border 15 lw 0.5 lc rgb '#333333'\n"
       << "set colorbox border\n"
       << "set xrange [-0.5:" << g.width << "-0.5]\n"
       << "set yrange [" << g.height << "-0.5:-0.5]   # reversed: image row 0 at the top\n"
       << "set multiplot\n";
}

// One cell: its margins, colour bar, title or row label, and the plot of its image block.
void diagonal_cell(std::ostringstream& body, const std::string& name, const DiagonalGrid& g, const DiagonalCell& cell,
                   const std::vector<HeatmapPanel>& panels, const std::vector<std::string>& titles) {
  body << "\n# panel " << cell.panel << ", " << (cell.channel == -1 ? "sum" : g.column_name(cell.channel)) << "\n"
       << "r = " << cell.row << "; c = " << cell.col << "\n"
       << "set lmargin at screen img_x0(c)/width_in\n"
       << "set rmargin at screen (img_x0(c) + img_w)/width_in\n"
       << "set tmargin at screen img_top(r)/height_in\n"
       << "set bmargin at screen (img_top(r) - img_h)/height_in\n"
       << "set colorbox user origin screen (img_x0(c) + img_w + cb_gap)/width_in, "
          "screen (img_top(r) - img_h)/height_in size screen cb_w/width_in, "
          "screen img_h/height_in\n"
       << cell.ticks.commands;
  std::string title;
  std::size_t lines = 1;
  if (!g.grid) {
    title = titles[cell.panel];
    lines = static_cast<std::size_t>(std::count(title.begin(), title.end(), '\n')) + 1;
  } else if (cell.row == 0) {
    title = g.column_name(cell.channel);
  }
  // gnuplot centres a label's first line on its position and stacks the rest below it.
  if (!title.empty())
    body << "set label 1 " << gnuplot_text(title) << " at screen (img_x0(c) + img_w/2)/width_in, screen (img_top(r) + 0.03 + ("
         << lines << " - 0.5)*line_h)/height_in center front\n";
  if (!cell.ticks.multiplier.empty())
    body << "set label 3 '" << cell.ticks.multiplier
         << "' at screen (img_x0(c) + img_w + cb_gap)/width_in, screen (img_top(r) + 0.04 + 0.5*line_h)/height_in left font small_font\n";
  if (g.grid && cell.col == 0)
    body << "set label 2 " << gnuplot_text(panels[cell.panel].title)
         << " at screen (img_x0(c) - 0.5*row_label_w)/width_in, screen (img_top(r) - img_h/2)/height_in center rotate by 90 front\n";
  body << "plot '" << name << ".dat' index " << cell.block << " matrix with image\n"
       << "unset label 1; unset label 2; unset label 3\n";
}

}  // namespace

void plot_diagonal_heatmaps(const std::filesystem::path& dir, const std::string& name, const std::vector<HeatmapPanel>& panels,
                            std::vector<std::size_t> image_shape, FigureSize size, bool per_channel, Palette palette) {
  if (panels.empty()) throw std::invalid_argument("plot_diagonal_heatmaps: no panels");
  DiagonalGrid g = diagonal_grid(std::move(image_shape), panels.size(), per_channel);
  const std::string data = diagonal_data(name, panels, palette, g);  // images first: the widest tick sizes the layout
  std::vector<std::string> titles;
  const std::size_t title_lines = wrap_panel_titles(panels, g, size, titles);
  std::ostringstream body;
  diagonal_layout(body, g, title_lines, palette);
  for (const DiagonalCell& cell : g.cells) diagonal_cell(body, name, g, cell, panels, titles);
  body << "unset multiplot\n";
  render_figure(dir, name, {{name + ".dat", data}}, body.str(), size);
}

void plot_matrix_heatmap(const std::filesystem::path& dir, const std::string& name, const arma::mat& values,
                         const std::vector<std::string>& row_labels, const std::vector<std::string>& col_labels,
                         const std::string& title, const std::string& colorbar_label, FigureSize size,
                         const MatrixHeatmapOptions& options) {
  if (values.is_empty()) throw std::invalid_argument("plot_matrix_heatmap: empty matrix");
  if (row_labels.size() != values.n_rows || col_labels.size() != values.n_cols)
    throw std::invalid_argument("plot_matrix_heatmap: need one label per row and per column (" + std::to_string(values.n_rows) +
                                " x " + std::to_string(values.n_cols) + ")");
  ColorRange range = color_range(values, options.palette);
  if (std::isfinite(options.color_min)) range.lo = options.color_min;
  if (std::isfinite(options.color_max)) range.hi = options.color_max;
  if (!(range.hi > range.lo)) throw std::invalid_argument("plot_matrix_heatmap: color_max <= color_min");

  std::ostringstream data;
  data << "# vclab matrix heatmap for figure '" << name << "': " << values.n_rows << " rows x " << values.n_cols
       << " columns, row 0 drawn at the top.\n# rows:";
  for (const auto& label : row_labels) data << " '" << label << "'";
  data << "\n# columns:";
  for (const auto& label : col_labels) data << " '" << label << "'";
  data << "\n";
  write_image_block(data, values);

  // Cell labels: column, row, text, text colour (white on dark cells, black on light ones).
  std::ostringstream labels;
  labels << "# vclab cell labels for figure '" << name << "': column  row  \"text\"  text colour (0xRRGGBB)\n";
  for (arma::uword r = 0; r < values.n_rows; ++r) {
    for (arma::uword c = 0; c < values.n_cols; ++c) {
      const double v = values(r, c);
      std::string text = "n/a";
      int colour = 0x000000;
      if (std::isfinite(v)) {
        char buffer[64];
        std::snprintf(buffer, sizeof buffer, options.cell_format.c_str(), v);
        text = buffer;
        const double t = std::clamp((v - range.lo) / (range.hi - range.lo), 0.0, 1.0);
        // viridis is dark below about 55% of its range; RdBu is dark at both ends.
        const bool dark = options.palette == Palette::viridis ? t < 0.55 : std::abs(t - 0.5) > 0.32;
        colour = dark ? 0xFFFFFF : 0x000000;
      }
      std::string quoted;
      for (const char ch : text) quoted += ch == '"' ? '\'' : ch;
      labels << c << " " << r << " \"" << quoted << "\" " << colour << "\n";
    }
  }

  std::ostringstream body;
  body << gnuplot_palette(options.palette);
  if (!title.empty()) body << "set title " << gnuplot_text(title) << "\n";
  body << "unset key\nset border 0\n"
       << "set xrange [-0.5:" << values.n_cols << "-0.5]\n"
       << "set yrange [" << values.n_rows << "-0.5:-0.5]   # reversed: row 0 at the top\n"
       << "set xtics (";
  for (std::size_t c = 0; c < col_labels.size(); ++c) body << (c ? ", " : "") << gnuplot_text(col_labels[c]) << " " << c;
  body << ") scale 0\nset ytics (";
  for (std::size_t r = 0; r < row_labels.size(); ++r) body << (r ? ", " : "") << gnuplot_text(row_labels[r]) << " " << r;
  body << ") scale 0\n";
  if (!options.col_axis_label.empty()) body << "set xlabel " << gnuplot_text(options.col_axis_label) << "\n";
  if (!options.row_axis_label.empty()) body << "set ylabel " << gnuplot_text(options.row_axis_label) << "\n";
  if (!colorbar_label.empty()) body << "set cblabel " << gnuplot_text(colorbar_label) << "\n";
  const ColorbarTicks ticks = colorbar_ticks(range);
  if (!ticks.multiplier.empty()) body << "set label 3 '" << ticks.multiplier << "' at graph 1.02, graph 1.06 left font small_font\n";
  body << ticks.commands << "set colorbox noborder\n"
       << "plot '" << name << ".dat' matrix with image, \\\n"
       << "     '" << name << "_labels.dat' using 1:2:3:4 with labels textcolor rgb variable font small_font\n";

  render_figure(dir, name, {{name + ".dat", data.str()}, {name + "_labels.dat", labels.str()}}, body.str(), size);
}

}  // namespace vclab
