// JSON read/write. See json_io.hpp.
#include "io/json_io.hpp"

#include <cmath>

#include "io/atomic_write.hpp"
#include "io/io_error.hpp"
#include "io/whole_file.hpp"

namespace vclab {

nlohmann::json read_json(const std::filesystem::path& path) {
  const std::string text = read_whole_file(path, "JSON file");
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte is 1-based; translate it into line:column for the user.
    std::size_t line = 1, column = 1;
    const std::size_t end = std::min<std::size_t>(e.byte > 0 ? e.byte - 1 : 0, text.size());
    for (std::size_t i = 0; i < end; ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    throw IoError(path, "invalid JSON at line " + std::to_string(line) + ", column " +
                            std::to_string(column) + " (byte " + std::to_string(e.byte) +
                            "): " + e.what(),
                  "Fix the file by hand or regenerate it");
  }
}

void write_json(const std::filesystem::path& path, const nlohmann::json& value) {
  std::string text;
  try {
    text = value.dump(2) + "\n";
  } catch (const nlohmann::json::type_error& e) {
    throw IoError(path, std::string("cannot serialise the JSON value: ") + e.what(),
                  "Make sure every string in it is valid UTF-8");
  }
  write_file_atomically(path, text);
}

nlohmann::json json_number(double value) { return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr); }

}  // namespace vclab
