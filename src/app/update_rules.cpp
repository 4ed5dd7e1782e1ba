// SGD (with optional momentum / weight decay); VCL is added by the VCL trainer module.
#include "app/update_rules.hpp"

#include "io/usage_error.hpp"
#include "train/sgd.hpp"

namespace vclab {

template <class T> std::unique_ptr<UpdateRule<T>> make_update_rule(const TrainSettings& s) {
  if (s.optimizer == "sgd") return std::make_unique<Sgd<T>>(SgdOptions{s.momentum, s.weight_decay});
  throw UsageError("--optimizer " + s.optimizer + " is not available yet");
}

template std::unique_ptr<UpdateRule<float>> make_update_rule<float>(const TrainSettings&);
template std::unique_ptr<UpdateRule<double>> make_update_rule<double>(const TrainSettings&);

}  // namespace vclab
