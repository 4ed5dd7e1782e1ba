// Physical figure sizes for papers: column (~3.3 in) and full text width (~6.9 in), plus height.
// The PNG renders are a 300-dpi equivalent of the same physical size.
#pragma once
#include <cmath>
#include <cstddef>
#include <utility>

namespace vclab {

enum class FigureWidth { column, full };

constexpr double kColumnWidthIn = 3.3;  // one column of a two-column paper (NeurIPS/ICML ~3.25 in)
constexpr double kFullWidthIn = 6.9;    // full text width of a two-column paper (~6.75-7.0 in)
constexpr double kPngDpi = 300.0;       // PNG pixels per inch: crisp in print and on screen

struct FigureSize {
  FigureWidth width = FigureWidth::column;
  double height_in = 2.4;  // inches
  double font_pt = 8.0;    // base font size in points (titles, labels); tick labels use font_pt - 1

  double width_in() const { return width == FigureWidth::column ? kColumnWidthIn : kFullWidthIn; }
};

// Pixel size of the PNG render of a figure: (width, height), rounded to the nearest pixel.
inline std::pair<std::size_t, std::size_t> png_pixel_size(const FigureSize& size) {
  return {static_cast<std::size_t>(std::lround(size.width_in() * kPngDpi)),
          static_cast<std::size_t>(std::lround(size.height_in * kPngDpi))};
}

}  // namespace vclab
