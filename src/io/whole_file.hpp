// Reading a whole file into memory, with an IoError that names the file and the fix when it is missing or unreadable.
#pragma once
#include <filesystem>
#include <string>

namespace vclab {

// The bytes of `path`. `what` names the expected kind in the not-found message ("JSON file": "file not found (expected
// a JSON file)"). Throws IoError when the file is missing, cannot be opened or fails while being read.
std::string read_whole_file(const std::filesystem::path& path, const std::string& what);

}  // namespace vclab
