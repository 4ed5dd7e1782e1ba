// Raised when training produces NaN/Inf or an exploding loss; carries where it happened.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>

namespace vclab {

struct DivergenceError : std::runtime_error {
  DivergenceError(std::int64_t step_, std::string layer_, std::string quantity_, const std::string& detail)
      : std::runtime_error("training diverged at step " + std::to_string(step_) + ", " + layer_ + ", " + quantity_ +
                           ": " + detail + " (try a smaller --lr)"),
        step(step_), layer(std::move(layer_)), quantity(std::move(quantity_)) {}
  std::int64_t step;
  std::string layer;
  std::string quantity;
};

}  // namespace vclab
