// SGD (with optional momentum / weight decay) or VCL (Algorithm 1) from the --optimizer and --vcl-* settings.
#include "app/update_rules.hpp"

#include "io/usage_error.hpp"
#include "train/sgd.hpp"
#include "train/vcl.hpp"

namespace vclab {

VclOptions vcl_options(const TrainSettings& s) {
  if (s.bias) throw UsageError("--optimizer vcl: Algorithm 1 has no bias update; drop --bias");
  if (s.hidden.empty() && s.conv.empty())
    throw UsageError("--optimizer vcl needs at least one hidden or conv layer (--hidden, --conv)");
  if (s.momentum != 0 || s.weight_decay != 0)
    throw UsageError("--optimizer vcl: --momentum and --weight-decay apply to SGD only");
  return {.alpha = s.vcl_alpha, .gram = s.vcl_gram, .fast_solver = s.vcl_solver != VclSolver::full, .clip_negative = s.vcl_clip,
          .warmup_epochs = s.vcl_warmup_epochs, .train_last = s.vcl_train_last, .last_lr = s.vcl_last_lr,
          .fast_solver_min_dim = s.vcl_solver == VclSolver::automatic ? kAutoFastSolverMinDim : 0};
}

template <class T> std::unique_ptr<UpdateRule<T>> make_update_rule(const TrainSettings& s) {
  if (s.optimizer == Optimizer::vcl) return std::make_unique<Vcl<T>>(vcl_options(s));
  return std::make_unique<Sgd<T>>(SgdOptions{s.momentum, s.weight_decay});
}

template std::unique_ptr<UpdateRule<float>> make_update_rule<float>(const TrainSettings&);
template std::unique_ptr<UpdateRule<double>> make_update_rule<double>(const TrainSettings&);

}  // namespace vclab
