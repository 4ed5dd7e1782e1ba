// Least-squares slope on log–log axes (closed form of simple linear regression).
#include "analyses/loglog_slope.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace vclab {

double LogLogFit::predict(double x) const { return std::exp(intercept) * std::pow(x, slope); }

LogLogFit fit_loglog_slope(const arma::vec& x, const arma::vec& y) {
  if (x.n_elem != y.n_elem)
    throw std::invalid_argument("fit_loglog_slope: x has " + std::to_string(x.n_elem) + " points, y has " +
                                std::to_string(y.n_elem));
  if (x.n_elem < 2) throw std::invalid_argument("fit_loglog_slope: need at least 2 points");
  for (arma::uword i = 0; i < x.n_elem; ++i)
    if (!(std::isfinite(x(i)) && std::isfinite(y(i)) && x(i) > 0 && y(i) > 0))
      throw std::invalid_argument("fit_loglog_slope: point " + std::to_string(i) + " (" + std::to_string(x(i)) + ", " +
                                  std::to_string(y(i)) + ") is not finite and positive");
  const arma::vec lx = arma::log(x), ly = arma::log(y);
  const arma::vec dx = lx - arma::mean(lx), dy = ly - arma::mean(ly);
  const double sxx = arma::dot(dx, dx);
  if (sxx == 0) throw std::invalid_argument("fit_loglog_slope: all x are equal");
  LogLogFit fit;
  fit.n = x.n_elem;
  fit.slope = arma::dot(dx, dy) / sxx;
  fit.intercept = arma::mean(ly) - fit.slope * arma::mean(lx);
  const double syy = arma::dot(dy, dy);
  const arma::vec resid = dy - fit.slope * dx;
  fit.r_squared = syy > 0 ? 1.0 - arma::dot(resid, resid) / syy : 1.0;
  return fit;
}

}  // namespace vclab
