// How a d×d quantity is recorded: its diagonal (O(d) memory) or the full matrix.
#pragma once
#include <stdexcept>
#include <string>

namespace vclab {

enum class RecordMode { diag, full };

inline RecordMode parse_record_mode(const std::string& name) {
  if (name == "diag") return RecordMode::diag;
  if (name == "full") return RecordMode::full;
  throw std::invalid_argument("unknown --record-mode '" + name + "'; valid: diag, full");
}
inline std::string to_string(RecordMode mode) { return mode == RecordMode::diag ? "diag" : "full"; }

}  // namespace vclab
