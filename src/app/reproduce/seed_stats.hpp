// {"mean", "std", "per_seed"} summaries of a quantity over seeds (sample std, n − 1).
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace vclab {

struct SeedStats {
  std::vector<double> per_seed;
  double mean() const;
  double std() const;  // sample standard deviation; 0 for one seed
  nlohmann::json to_json() const;
  std::string format(int digits = 3) const;  // "0.912 ± 0.004"
};

}  // namespace vclab
