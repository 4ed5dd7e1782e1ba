// JSON files (config.json, analysis results): read with a precise error position, write atomically.
#pragma once
#include <filesystem>
#include <nlohmann/json.hpp>

namespace vclab {

// Parses the whole file. Throws IoError naming the file and, for bad JSON, the line and column.
nlohmann::json read_json(const std::filesystem::path& path);

// A number for JSON: NaN and ±Inf (which JSON cannot hold) become null.
nlohmann::json json_number(double value);

// Writes pretty-printed JSON (2-space indent, trailing newline) atomically.
void write_json(const std::filesystem::path& path, const nlohmann::json& value);

}  // namespace vclab
