// Dataset: samples as columns of a float matrix, integer labels, and where they came from.
#pragma once
#include <armadillo>
#include <cstdint>
#include <string>
#include <vector>

#include "util/enum_names.hpp"

namespace vclab {

// Preprocessing applied after decoding raw bytes (the unstated settings of Figure 1, docs/figure1.md).
enum class Normalization {
  unit,         // x / 255 in [0, 1] (default, as the paper)
  symmetric,    // 2 x / 255 - 1 in [-1, 1] (torchvision Normalize(0.5, 0.5))
  center,       // unit, then per-feature mean of the training set removed
  standardize,  // unit, then per-feature (x - mean) / std of the training set
  l2,           // unit, then each sample scaled to unit L2 norm
};
inline constexpr EnumName<Normalization> kNormalizationNames[] = {
    {"unit", Normalization::unit},               {"symmetric", Normalization::symmetric}, {"center", Normalization::center},
    {"standardize", Normalization::standardize}, {"l2", Normalization::l2}};
constexpr std::span<const EnumName<Normalization>> enum_names(Normalization) { return kNormalizationNames; }

struct Dataset {
  std::string name;                      // "cifar10", "mnist", ...
  arma::fmat x;                          // (d, N) one sample per column
  arma::uvec y;                          // (N) class labels in [0, n_classes)
  arma::fmat targets;                    // (C, N) real targets for regression; empty => one-hot(y)
  std::size_t n_classes = 0;
  std::vector<std::size_t> image_shape;  // {channels, height, width}; empty if not an image
  std::vector<std::string> class_names;  // may be empty
  std::vector<std::string> source_files; // files read, for config.json

  std::size_t size() const { return x.n_cols; }
  std::size_t dim() const { return x.n_rows; }
};

struct DatasetSplit {
  Dataset train;
  Dataset test;
  Dataset validation;  // the last val_fraction of the training set (DatasetRequest); empty unless asked for
};

}  // namespace vclab
