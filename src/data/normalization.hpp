// Input preprocessing (Normalization in dataset.hpp): names, parsing, and the in-place transform.
// Statistics (mean, std) always come from the training split and are applied to both splits.
#pragma once
#include <string>
#include <vector>

#include "data/dataset.hpp"

namespace vclab {

// What the decoded inputs hold before normalisation: image bytes 0..255, or real values (synthetic).
enum class InputScale { bytes, real };

// Standardize divides by the train std; features whose train std is below this floor are constant
// on the training set (e.g. MNIST's border pixels) and are divided by 1 instead (scikit-learn's
// StandardScaler convention), so they become exactly 0 on train and stay finite on test.
inline constexpr double kStdFloor = 1e-8;


// Applies `method` in place to split.train.x, split.test.x and split.validation.x (see Normalization):
//   bytes: unit x/255; symmetric 2x/255-1; center, standardize, l2 first divide by 255.
//   real:  unit leaves x as is; center, standardize, l2 act on x directly; symmetric throws
//          DataError (mapping bytes to [-1, 1] has no meaning for real-valued inputs).
// std is the population std (divide by N, as numpy's default); a zero-norm sample stays zero under l2.
void normalize_split(DatasetSplit& split, Normalization method, InputScale scale);

}  // namespace vclab
