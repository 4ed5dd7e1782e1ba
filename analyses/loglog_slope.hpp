// Power-law exponent by least squares on log–log axes: log y = slope · log x + intercept.
// Used for Theorem 2's scaling claims (‖ΔG‖ ∝ γ, residual ∝ γ², Cha & Lee 2025 §2.2).
#pragma once
#include <armadillo>

namespace vclab {

struct LogLogFit {
  double slope = 0;      // exponent p of y ≈ c · x^p
  double intercept = 0;  // log c (natural log)
  double r_squared = 0;  // coefficient of determination on the log–log points
  std::size_t n = 0;     // points used

  double predict(double x) const;  // c · x^p
};

// Ordinary least squares of log y on log x. Throws std::invalid_argument when the sizes differ,
// fewer than 2 points are given, any x or y is not finite and positive, or all x are equal.
LogLogFit fit_loglog_slope(const arma::vec& x, const arma::vec& y);

}  // namespace vclab
