// RawImages: decoded image files before conversion to float, in vclab's flattening.
// Image i occupies pixels[i*dim, (i+1)*dim) with index c*H*W + row*W + col (PyTorch ToTensor().flatten()).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace vclab {

struct RawImages {
  std::size_t channels = 0;
  std::size_t height = 0;
  std::size_t width = 0;
  std::vector<std::uint8_t> pixels;  // (count * dim) bytes in [0, 255], one image after another
  std::vector<std::uint8_t> labels;  // (count) class labels; empty for an IDX image file alone

  std::size_t dim() const { return channels * height * width; }
  std::size_t count() const { return dim() == 0 ? 0 : pixels.size() / dim(); }
};

}  // namespace vclab
