// JSON round trip of TrainSettings (config.json "settings" block), and settings -> `vclab train` flags.
#include "app/train_settings.hpp"

#include <algorithm>
#include <charconv>
#include <concepts>
#include <type_traits>

namespace vclab {

#define VCLAB_SETTINGS_FIELDS(X)                                                                                 \
  X(dataset) X(data_dir) X(train_size) X(test_size) X(val_fraction) X(normalize) X(synthetic_dim) X(synthetic_train)            \
  X(synthetic_test) X(synthetic_classes) X(synthetic_target) X(conv) X(kernel) X(conv_stride) X(padding) X(pool)  \
  X(hidden) X(activation) X(bias) X(init) X(init_from) \
  X(loss) X(precision) X(optimizer) X(lr) X(batch) X(epochs) X(seed) X(momentum) X(weight_decay) X(threads)      \
  X(divergence_loss) X(vcl_alpha) X(vcl_gram) X(vcl_solver) X(vcl_clip) X(vcl_warmup_epochs) X(vcl_train_last)   \
  X(vcl_last_lr) X(record) X(record_mode) X(record_every) X(agop_samples) X(agop_centered) X(agop_every) X(probe_samples) X(probe_every) X(linearity_lambda) X(linearity_pca) X(out) X(overwrite)   \
  X(quiet) X(save_weights) X(checkpoint_every)

namespace {

// A setting written as text and parsed back (RecordSchedule, AgopSchedule).
template <class V> concept TextSetting = requires(const V& v, const std::string& text) {
  { v.to_string() } -> std::convertible_to<std::string>;
  { V::parse(text) } -> std::same_as<V>;
};

// Enums as their names and the schedules as their text, so config.json reads as the command line does.
template <class V> nlohmann::json json_of(const V& value) {
  if constexpr (NamedEnum<V>) return to_string(value);
  else if constexpr (TextSetting<V>) return value.to_string();
  else return value;
}

template <class V> void read_json_value(const nlohmann::json& j, const char* key, V& value) {
  if constexpr (NamedEnum<V>) value = parse_enum<V>(j.get<std::string>(), key);
  else if constexpr (TextSetting<V>) value = V::parse(j.get<std::string>());
  else j.get_to(value);
}

}  // namespace

nlohmann::json to_json(const TrainSettings& s) {
  nlohmann::json j;
#define X(field) j[#field] = json_of(s.field);
  VCLAB_SETTINGS_FIELDS(X)
#undef X
  return j;
}

TrainSettings train_settings_from_json(const nlohmann::json& j) {
  TrainSettings s;
#define X(field) \
  if (j.contains(#field)) read_json_value(j.at(#field), #field, s.field);
  VCLAB_SETTINGS_FIELDS(X)
#undef X
  return s;
}

namespace {

// Shortest text that parses back to exactly `value` (std::to_chars' round-trip guarantee).
std::string exact_text(double value) {
  char buf[64];
  const auto end = std::to_chars(buf, buf + sizeof buf, value).ptr;
  return std::string(buf, end);
}

std::string flag_value(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) return exact_text(v.get<double>());
  if (v.is_array()) {  // --hidden 512,256
    std::string text;
    for (const auto& item : v) text += (text.empty() ? "" : ",") + flag_value(item);
    return text;
  }
  return v.dump();  // integers
}

}  // namespace

std::vector<std::string> train_args(const TrainSettings& s) {
  const nlohmann::json value = to_json(s), defaults = to_json(TrainSettings{});
  std::vector<std::string> args;
  for (const auto& [key, v] : value.items()) {  // nlohmann::json keeps keys sorted: a stable order
    if (v == defaults.at(key) || key == "quiet") continue;  // quiet has no flag (library callers only)
    std::string flag = "--" + key;
    std::replace(flag.begin(), flag.end(), '_', '-');
    if (v.is_boolean()) {
      args.push_back(v.get<bool>() ? flag : "--no-" + flag.substr(2));
      continue;
    }
    args.push_back(flag);
    args.push_back(flag_value(v));
  }
  return args;
}

}  // namespace vclab
