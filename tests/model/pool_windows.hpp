// Test helper shared by the pooling and conv-net tests: how far a batch is from a max-pooling tie.
#pragma once
#include <algorithm>
#include <armadillo>
#include <cmath>

#include "model/pool.hpp"

namespace vclab::test {

// Smallest gap between a 2 × 2 window's largest and second-largest value over all windows of h (c·H·W, B).
// A window whose top two are both exactly 0 is skipped: after ReLU that means all four pre-activations are negative
// (the conv-net test keeps them away from 0), so the pooled value stays 0 and the argmax stays top-left under a small
// step. Random inputs never have such a window.
inline double min_window_gap(const PoolGeometry& g, const arma::mat& h) {
  double gap = INFINITY;
  for (arma::uword b = 0; b < h.n_cols; ++b)
    for (std::size_t c = 0; c < g.channels; ++c)
      for (std::size_t y = 0; y + 1 < g.height; y += 2)
        for (std::size_t x = 0; x + 1 < g.width; x += 2) {
          const std::size_t i = (c * g.height + y) * g.width + x;
          const arma::vec window = arma::sort(arma::vec{h(i, b), h(i + 1, b), h(i + g.width, b), h(i + g.width + 1, b)},
                                              "descend");
          if (window(0) == 0.0 && window(1) == 0.0) continue;
          gap = std::min(gap, window(0) - window(1));
        }
  return gap;
}

}  // namespace vclab::test
