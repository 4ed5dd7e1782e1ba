// One table of names per enum: parsing (an error that lists the valid names), printing, the CLI's choices
// (app/cli_app.cpp) and config.json all read the same table. An enum opts in by declaring, next to it,
//   constexpr std::span<const EnumName<E>> enum_names(E);   // found by argument-dependent lookup
// Header-only: every module may use it.
#pragma once
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace vclab {

template <class E> struct EnumName {
  std::string_view name;
  E value;
};

template <class E> concept NamedEnum = std::is_enum_v<E> && requires(E e) { enum_names(e); };

template <NamedEnum E> std::string to_string(E value) {
  for (const auto& entry : enum_names(E{}))
    if (entry.value == value) return std::string(entry.name);
  return "?";
}

template <NamedEnum E> std::vector<std::string> enum_name_list() {
  std::vector<std::string> names;
  for (const auto& entry : enum_names(E{})) names.emplace_back(entry.name);
  return names;
}

// `what` names the setting in the message: "unknown activation 'x'; valid: gelu, relu, ...".
template <NamedEnum E> E parse_enum(std::string_view text, std::string_view what) {
  std::string valid;
  for (const auto& entry : enum_names(E{})) {
    if (entry.name == text) return entry.value;
    valid += (valid.empty() ? "" : ", ") + std::string(entry.name);
  }
  throw std::invalid_argument("unknown " + std::string(what) + " '" + std::string(text) + "'; valid: " + valid);
}

}  // namespace vclab
