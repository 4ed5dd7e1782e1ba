// SGD (with optional momentum / weight decay) or VCL (Algorithm 1) from the --optimizer and --vcl-* settings.
#include "app/update_rules.hpp"

#include "io/usage_error.hpp"
#include "train/sgd.hpp"
#include "train/vcl.hpp"

namespace vclab {

VclOptions vcl_options(const TrainSettings& s) {
  VclOptions o;
  try {
    o.gram = parse_vcl_gram(s.vcl_gram);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  if (s.vcl_solver != "full" && s.vcl_solver != "fast" && s.vcl_solver != "auto")
    throw UsageError("--vcl-solver must be full, fast or auto (got '" + s.vcl_solver + "')");
  if (!(s.vcl_alpha > 0)) throw UsageError("--vcl-alpha must be positive (got " + std::to_string(s.vcl_alpha) + ")");
  if (!(s.vcl_last_lr > 0)) throw UsageError("--vcl-last-lr must be positive (got " + std::to_string(s.vcl_last_lr) + ")");
  if (s.bias) throw UsageError("--optimizer vcl: Algorithm 1 has no bias update; drop --bias");
  if (s.hidden.empty()) throw UsageError("--optimizer vcl needs at least one hidden layer (--hidden)");
  if (s.momentum != 0 || s.weight_decay != 0)
    throw UsageError("--optimizer vcl: --momentum and --weight-decay apply to SGD only");
  o.alpha = s.vcl_alpha;
  o.fast_solver = s.vcl_solver != "full";
  o.fast_solver_min_dim = s.vcl_solver == "auto" ? kAutoFastSolverMinDim : 0;
  o.clip_negative = s.vcl_clip;
  o.warmup_epochs = s.vcl_warmup_epochs;
  o.train_last = s.vcl_train_last;
  o.last_lr = s.vcl_last_lr;
  return o;
}

template <class T> std::unique_ptr<UpdateRule<T>> make_update_rule(const TrainSettings& s) {
  if (s.optimizer == "sgd") return std::make_unique<Sgd<T>>(SgdOptions{s.momentum, s.weight_decay});
  if (s.optimizer == "vcl") return std::make_unique<Vcl<T>>(vcl_options(s));
  throw UsageError("--optimizer must be sgd or vcl (got '" + s.optimizer + "')");
}

template std::unique_ptr<UpdateRule<float>> make_update_rule<float>(const TrainSettings&);
template std::unique_ptr<UpdateRule<double>> make_update_rule<double>(const TrainSettings&);

}  // namespace vclab
