// How a d×d quantity is recorded: its diagonal (O(d) memory) or the full matrix.
#pragma once
#include "util/enum_names.hpp"

namespace vclab {

enum class RecordMode { diag, full };
inline constexpr EnumName<RecordMode> kRecordModeNames[] = {{"diag", RecordMode::diag}, {"full", RecordMode::full}};
constexpr std::span<const EnumName<RecordMode>> enum_names(RecordMode) { return kRecordModeNames; }

}  // namespace vclab
