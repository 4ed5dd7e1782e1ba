// The paper's SGD setting (Figure 1: γ = 0.05, batch 64): `vclab train`, VCL's predictor and every reproduce protocol start from it.
#pragma once
#include <cstddef>

namespace vclab {

inline constexpr double kPaperLearningRate = 0.05;
inline constexpr std::size_t kPaperBatch = 64;

}  // namespace vclab
