// Mean and sample standard deviation over seeds.
#include "app/reproduce/seed_stats.hpp"

#include <cmath>
#include <cstdio>

namespace vclab {

double SeedStats::mean() const {
  if (per_seed.empty()) return std::nan("");
  double s = 0;
  for (double v : per_seed) s += v;
  return s / double(per_seed.size());
}

double SeedStats::std() const {
  if (per_seed.size() < 2) return 0;
  const double m = mean();
  double s = 0;
  for (double v : per_seed) s += (v - m) * (v - m);
  return std::sqrt(s / double(per_seed.size() - 1));
}

nlohmann::json SeedStats::to_json() const { return {{"mean", mean()}, {"std", std()}, {"per_seed", per_seed}}; }

std::string SeedStats::format(int digits) const {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f ± %.*f", digits, mean(), digits, std());
  return buf;
}

}  // namespace vclab
