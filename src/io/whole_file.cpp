// Whole-file reads for the formats vclab parses itself (JSON, CSV, .npy) and for rewriting its SVG renders.
#include "io/whole_file.hpp"

#include <fstream>
#include <sstream>

#include "io/io_error.hpp"

namespace vclab {

std::string read_whole_file(const std::filesystem::path& path, const std::string& what) {
  if (!std::filesystem::exists(path))
    throw IoError(path, "file not found (expected a " + what + ")",
                  "Check the path; relative paths are resolved against " + std::filesystem::current_path().string());
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path, "cannot open for reading", "Check its permissions");
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) throw IoError(path, "read error", "Check the file system");
  return buf.str();
}

}  // namespace vclab
