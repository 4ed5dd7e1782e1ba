// Colour maps for heatmaps: viridis (perceptually uniform, for magnitudes) and a blue-white-red
// diverging map (ColorBrewer RdBu, for signed quantities centred on zero).
#pragma once
#include <string>

namespace vclab {

enum class Palette {
  viridis,    // sequential; colour range = data range
  diverging,  // signed; colour range symmetric about 0 so white means zero
};

// The gnuplot `set palette ...` commands for a palette (one line, newline-terminated).
std::string gnuplot_palette(Palette palette);

}  // namespace vclab
