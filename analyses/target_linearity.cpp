// Target Linearity T_λ = 1 − ‖Y − Ŷ‖²_F / ‖Y − Ȳ‖²_F (ridge R² of centred targets on centred
// features, pseudo-inverse projection at λ = 0) and the surrogate tr(YᵀZZᵀY), Z = H W_lᵀ.
#include "analyses/target_linearity.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace vclab {
namespace {

arma::mat centre_columns(const arma::mat& m) { return m.each_row() - arma::mean(m, 0); }

}  // namespace

double target_linearity(const arma::mat& features, const arma::mat& targets, double lambda) {
  if (features.n_rows != targets.n_rows)
    throw std::invalid_argument("target_linearity: features have " + std::to_string(features.n_rows) +
                                " rows (samples) but targets have " + std::to_string(targets.n_rows));
  if (features.n_rows < 2) throw std::invalid_argument("target_linearity: need at least 2 samples");
  if (!std::isfinite(lambda) || lambda < 0.0) throw std::invalid_argument("target_linearity: lambda must be finite and >= 0");
  const arma::mat h = centre_columns(features);
  const arma::mat y = centre_columns(targets);
  const double total = arma::accu(arma::square(y));
  if (total == 0.0) return std::numeric_limits<double>::quiet_NaN();

  arma::mat fitted;
  if (lambda > 0.0) {
    arma::mat gram = h.t() * h;
    gram.diag() += lambda;
    arma::mat coef;
    if (!arma::solve(coef, gram, h.t() * y, arma::solve_opts::likely_sympd))
      throw std::runtime_error("target_linearity: ridge solve failed");
    fitted = h * coef;
  } else {
    arma::mat h_pinv;
    if (!arma::pinv(h_pinv, h)) throw std::runtime_error("target_linearity: pseudo-inverse failed");
    fitted = h * (h_pinv * y);
  }
  return 1.0 - arma::accu(arma::square(y - fitted)) / total;
}

double target_linearity_surrogate(const arma::mat& features, const arma::mat& weights, const arma::mat& targets) {
  if (features.n_cols != weights.n_cols)
    throw std::invalid_argument("target_linearity_surrogate: features have " + std::to_string(features.n_cols) +
                                " columns but weights have " + std::to_string(weights.n_cols));
  if (features.n_rows != targets.n_rows)
    throw std::invalid_argument("target_linearity_surrogate: features have " + std::to_string(features.n_rows) +
                                " rows (samples) but targets have " + std::to_string(targets.n_rows));
  const arma::mat z = features * weights.t();  // (N, k)
  return arma::accu(arma::square(z.t() * targets));
}

}  // namespace vclab
