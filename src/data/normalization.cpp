// Input preprocessing: per-feature train statistics accumulated in double, applied to both splits.
#include "data/normalization.hpp"

#include <cmath>

#include "data/data_error.hpp"

namespace vclab {
namespace {

// Per-feature mean over the columns of x, in double (float sums lose digits over 60000 samples).
arma::vec feature_mean(const arma::fmat& x) {  // x: (d, N)
  arma::vec sum(x.n_rows, arma::fill::zeros);
  for (arma::uword j = 0; j < x.n_cols; ++j) {
    const float* col = x.colptr(j);
    for (arma::uword i = 0; i < x.n_rows; ++i) sum[i] += col[i];
  }
  return x.n_cols ? arma::vec(sum / double(x.n_cols)) : sum;
}

// Per-feature population std around `mean` (two-pass, numerically stable).
arma::vec feature_std(const arma::fmat& x, const arma::vec& mean) {
  arma::vec sum_sq(x.n_rows, arma::fill::zeros);
  for (arma::uword j = 0; j < x.n_cols; ++j) {
    const float* col = x.colptr(j);
    for (arma::uword i = 0; i < x.n_rows; ++i) {
      const double centered = col[i] - mean[i];
      sum_sq[i] += centered * centered;
    }
  }
  return x.n_cols ? arma::vec(arma::sqrt(sum_sq / double(x.n_cols))) : sum_sq;
}

// x_ij <- (x_ij - shift_i) * scale_i, computed in double and stored as float.
void affine_per_feature(arma::fmat& x, const arma::vec& shift, const arma::vec& scale) {
  for (arma::uword j = 0; j < x.n_cols; ++j) {
    float* col = x.colptr(j);
    for (arma::uword i = 0; i < x.n_rows; ++i) col[i] = static_cast<float>((col[i] - shift[i]) * scale[i]);
  }
}

void scale_to_unit_norm(arma::fmat& x) {
  for (arma::uword j = 0; j < x.n_cols; ++j) {
    float* col = x.colptr(j);
    double sq = 0;
    for (arma::uword i = 0; i < x.n_rows; ++i) sq += double(col[i]) * col[i];
    if (sq == 0) continue;  // an all-zero sample has no direction; leave it zero
    const double inv = 1.0 / std::sqrt(sq);
    for (arma::uword i = 0; i < x.n_rows; ++i) col[i] = static_cast<float>(col[i] * inv);
  }
}

}  // namespace

void normalize_split(DatasetSplit& split, Normalization method, InputScale scale) {
  arma::fmat& train = split.train.x;  // (d, N_train); statistics come from here only
  // (d, N) matrices the training statistics are applied to: train, test and the validation split
  std::vector<arma::fmat*> all{&split.train.x, &split.test.x, &split.validation.x};
  if (scale == InputScale::bytes) {
    if (method == Normalization::symmetric) {
      for (arma::fmat* x : all) *x = *x * (2.0f / 255.0f) - 1.0f;
      return;
    }
    for (arma::fmat* x : all) *x /= 255.0f;
  } else if (method == Normalization::symmetric) {
    throw DataError("normalization 'symmetric' maps image bytes to [-1, 1]; dataset '" + split.train.name +
                    "' has real-valued inputs. Use unit (leave as is), center, standardize or l2.");
  }
  switch (method) {
    case Normalization::unit:
    case Normalization::symmetric:
      return;
    case Normalization::center: {
      const arma::vec mean = feature_mean(train);
      const arma::vec one(mean.n_elem, arma::fill::ones);
      for (arma::fmat* x : all) affine_per_feature(*x, mean, one);
      return;
    }
    case Normalization::standardize: {
      const arma::vec mean = feature_mean(train);
      arma::vec std = feature_std(train, mean);
      std.transform([](double s) { return s < kStdFloor ? 1.0 : s; });
      const arma::vec inv_std = 1.0 / std;
      for (arma::fmat* x : all) affine_per_feature(*x, mean, inv_std);
      return;
    }
    case Normalization::l2:
      for (arma::fmat* x : all) scale_to_unit_norm(*x);
      return;
  }
}

}  // namespace vclab
