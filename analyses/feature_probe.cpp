// Target Linearity and its surrogate of one layer's features on a probe set.
#include "analyses/feature_probe.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "analyses/target_linearity.hpp"

namespace vclab {
namespace {

arma::mat centred(const arma::mat& m) { return m.each_row() - arma::mean(m, 0); }

}  // namespace

arma::mat pca_scores(const arma::mat& features, std::size_t k) {
  const arma::mat h = centred(features);
  if (k == 0 || h.n_cols <= k) return h;
  // Eigenvectors of the (p, p) scatter matrix: cheaper than an SVD of (N, p) when N > p, and the
  // scores H V_k are the same (up to column signs, which T and S do not see).
  arma::vec values;
  arma::mat vectors;
  if (!arma::eig_sym(values, vectors, h.t() * h, "dc")) throw std::runtime_error("pca_scores: eigendecomposition failed");
  return h * arma::fliplr(vectors.tail_cols(k));
}

void add_surrogate(const arma::mat& features, const arma::mat& weights, const arma::mat& targets, LinearityValues& v) {
  if (weights.is_empty()) {
    v.s = v.s_rel = std::numeric_limits<double>::quiet_NaN();
    return;
  }
  const arma::mat h = centred(features);
  const arma::mat y = centred(targets);
  v.s = target_linearity_surrogate(h, weights, y);
  const double z_norm2 = arma::accu(arma::square(h * weights.t()));
  const double y_norm2 = arma::max(arma::eig_sym(arma::mat(y.t() * y)));  // ‖Y‖²_2 from the small (C, C) Gram
  v.s_rel = z_norm2 > 0 && y_norm2 > 0 ? v.s / (z_norm2 * y_norm2) : std::numeric_limits<double>::quiet_NaN();
}

LinearityValues linearity_values(const arma::mat& features, const arma::mat& weights, const arma::mat& targets,
                                 const ProbeOptions& options) {
  LinearityValues v;
  const arma::mat reduced = pca_scores(features, options.pca);
  v.t = target_linearity(reduced, targets, options.lambda);
  v.p_used = double(reduced.n_cols);
  add_surrogate(features, weights, targets, v);
  return v;
}

}  // namespace vclab
