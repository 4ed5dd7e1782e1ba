// JSON round trip of TrainSettings (config.json "settings" block).
#include "app/train_settings.hpp"

namespace vclab {

#define VCLAB_SETTINGS_FIELDS(X)                                                                                 \
  X(dataset) X(data_dir) X(train_size) X(test_size) X(normalize) X(synthetic_dim) X(synthetic_train)            \
  X(synthetic_test) X(synthetic_classes) X(synthetic_target) X(hidden) X(activation) X(bias) X(init) X(init_from) \
  X(loss) X(precision) X(optimizer) X(lr) X(batch) X(epochs) X(seed) X(momentum) X(weight_decay) X(threads)      \
  X(divergence_loss) X(vcl_alpha) X(vcl_gram) X(vcl_solver) X(vcl_clip) X(vcl_warmup_epochs) X(vcl_train_last)   \
  X(vcl_last_lr) X(record) X(record_mode) X(record_every) X(agop_samples) X(agop_centered) X(probe_samples) X(probe_every) X(linearity_lambda) X(linearity_pca) X(out) X(overwrite)   \
  X(quiet) X(save_weights) X(checkpoint_every)

nlohmann::json to_json(const TrainSettings& s) {
  nlohmann::json j;
#define X(field) j[#field] = s.field;
  VCLAB_SETTINGS_FIELDS(X)
#undef X
  return j;
}

TrainSettings train_settings_from_json(const nlohmann::json& j) {
  TrainSettings s;
#define X(field) \
  if (j.contains(#field)) j.at(#field).get_to(s.field);
  VCLAB_SETTINGS_FIELDS(X)
#undef X
  return s;
}

}  // namespace vclab
