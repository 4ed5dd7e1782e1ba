// Synthetic datasets for tests and theory checks: Gaussian inputs x ~ N(0, I_d / d) (so ||x|| ~ 1,
// matching unit-norm inputs in Theorem 3) with (a) a random one-hidden-layer teacher MLP whose
// argmax gives C classes, or (b) a single-index target y = g(sqrt(d) beta^T x), |beta| = 1.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.hpp"

namespace vclab {

struct SyntheticSpec {
  std::size_t input_dim = 32;      // d
  std::size_t n_train = 1024;
  std::size_t n_test = 1024;       // may be 0
  std::size_t n_classes = 10;      // teacher only (C >= 2); the single-index task always has 2
  std::size_t teacher_width = 64;  // teacher only: hidden width k
  std::string target = "tanh";     // single-index only: g in {tanh, relu, he2}
};

// What generated the labels, for analyses that compare learned features with the truth.
struct SyntheticTruth {
  arma::mat teacher_w1;  // (k, d) teacher first layer, entries N(0, 1): W1 x ~ N(0, |x|^2) ~ N(0, 1)
  arma::mat teacher_w2;  // (C, k) teacher readout, entries N(0, 1/k)
  arma::vec beta;        // (d) single-index direction, unit norm
};

std::vector<std::string> single_index_targets();  // tanh, relu, he2
// g(z) for a single-index target name: tanh(z), max(z, 0), He2(z) = z^2 - 1.
double single_index_link(const std::string& target, double z);

// Teacher task: labels y_i = argmax_c (W2 tanh(W1 x_i))_c, targets left empty (one-hot of y).
// Same spec and seed => bit-identical data (std::mt19937_64 + Box-Muller, both fully specified).
DatasetSplit make_teacher_dataset(const SyntheticSpec& spec, std::uint64_t seed, SyntheticTruth* truth = nullptr);

// Single-index task: z_i = sqrt(d) beta^T x_i ~ N(0, 1) exactly (so He2 has mean 0), targets
// (1, N) = g(z_i), labels y_i = 1 if g(z_i) > 0 else 0 (2 classes) so classification also works.
DatasetSplit make_single_index_dataset(const SyntheticSpec& spec, std::uint64_t seed,
                                       SyntheticTruth* truth = nullptr);

}  // namespace vclab
