// IoError: every failure to read or write a file. Messages name the file, the object inside it,
// what was expected, what was found, and what to do about it.
#pragma once
#include <filesystem>
#include <stdexcept>
#include <string>

namespace vclab {

struct IoError : std::runtime_error {
  using std::runtime_error::runtime_error;

  // Builds "<file>: <problem>. <fix>" so every message starts with the file it concerns.
  IoError(const std::filesystem::path& file, const std::string& problem, const std::string& fix = "")
      : std::runtime_error(file.string() + ": " + problem + (fix.empty() ? "" : ". " + fix)) {}
};

}  // namespace vclab
