// Shared by the libFuzzer harnesses: a per-process scratch file for readers that take a path, and the rule
// that a loader may only fail with its own error type (anything else escapes and libFuzzer reports it).
#pragma once
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

namespace vclab::fuzz {

// Writes the input to a scratch file named `name` (its extension matters: ".gz" is inflated) and returns its path.
inline std::filesystem::path scratch_file(const std::string& name, const std::uint8_t* data, std::size_t size) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("vclab_fuzz_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::filesystem::path path = dir / name;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
  return path;
}

}  // namespace vclab::fuzz
