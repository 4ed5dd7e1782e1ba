// Entry point of the dataset module: DatasetRequest -> DatasetSplit (decode, subset, normalise).
#pragma once
#include <cstdint>
#include <string>

#include "data/data_dir.hpp"
#include "data/dataset.hpp"
#include "data/dataset_catalog.hpp"
#include "data/normalization.hpp"
#include "data/synthetic.hpp"

namespace vclab {

struct DatasetRequest {
  std::string name;            // see dataset_names(): mnist | fashion-mnist | cifar10 | cifar100 | svhn |
                               // synthetic-teacher | synthetic-single-index (aliases like "cifar-10" accepted)
  std::string data_dir;        // explicit --data-dir; empty => resolve_data_dir's search order
  std::size_t train_size = 0;  // 0 = all; else the FIRST train_size samples in file order
  std::size_t test_size = 0;   // 0 = all; else the first test_size samples
  Normalization normalize = Normalization::unit;
  std::uint64_t seed = 0;      // synthetic data only
  SyntheticSpec synthetic;     // synthetic data only: input_dim, n_train, n_test, n_classes, target, ...
  bool cifar100_coarse = false;  // CIFAR-100: the 20 coarse labels instead of the 100 fine ones
  double val_fraction = 0;     // > 0: the last round(val_fraction * N) training samples become `validation`,
                               // and train_size then counts from the samples before them
};

// Loads both splits. Real data: x holds pixels (d = C*H*W, index c*H*W + row*W + col), y labels,
// image_shape {C, H, W}, class_names, source_files; then `normalize` with train statistics.
// Synthetic data: generated from `seed` and `synthetic` (train_size/test_size then subset it too).
// With val_fraction > 0 the whole training set is decoded, its last round(val_fraction * N) samples
// become split.validation (normalised with the training part's statistics, never trained on), and
// train_size picks the first samples before them.
// Throws DataError when the data is not found, a file is malformed, or more samples are requested
// than exist.
DatasetSplit load_dataset(const DatasetRequest& request);

}  // namespace vclab
