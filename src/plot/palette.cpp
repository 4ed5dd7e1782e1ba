// Colour maps for heatmaps as gnuplot palette definitions (anchors sampled from matplotlib's
// viridis and ColorBrewer's RdBu; gnuplot interpolates linearly in RGB between anchors).
#include "plot/palette.hpp"

namespace vclab {

std::string gnuplot_palette(Palette palette) {
  switch (palette) {
    case Palette::viridis:
      return "set palette defined (0 '#440154', 1 '#472c7a', 2 '#3b518b', 3 '#2c718e', "
             "4 '#21908d', 5 '#27ad81', 6 '#5cc863', 7 '#aadc32', 8 '#fde725')\n";
    case Palette::diverging:
      return "set palette defined (0 '#2166ac', 1 '#4393c3', 2 '#92c5de', 3 '#d1e5f0', "
             "4 '#f7f7f7', 5 '#fddbc7', 6 '#f4a582', 7 '#d6604d', 8 '#b2182b')\n";
  }
  return {};
}

}  // namespace vclab
