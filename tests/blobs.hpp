// Three Gaussian blobs for training tests: 6 features of noise N(0, 0.3²), class c shifting feature c by 1, from one
// seeded stream. Labels are drawn at random (before the features, from the same stream) or cycle 0, 1, 2, 0, ...
#pragma once
#include <armadillo>
#include <cstdint>

#include "data/dataset.hpp"

namespace vclab::test {

enum class BlobLabels { random, cyclic };

inline Dataset blobs(std::size_t n, std::uint64_t seed, BlobLabels labels = BlobLabels::random) {
  arma::arma_rng::set_seed(seed);
  Dataset d;
  d.name = "blobs";
  d.n_classes = 3;
  if (labels == BlobLabels::random) {
    d.y = arma::randi<arma::uvec>(n, arma::distr_param(0, 2));
  } else {
    d.y = arma::regspace<arma::uvec>(0, n - 1);
    d.y.transform([](arma::uword i) { return i % 3; });
  }
  d.x = arma::randn<arma::fmat>(6, n) * 0.3f;
  for (std::size_t i = 0; i < n; ++i) d.x(d.y(i), i) += 1.0f;
  return d;
}

}  // namespace vclab::test
