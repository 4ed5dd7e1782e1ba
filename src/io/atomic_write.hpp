// Atomic file writes: write to a temporary file in the same directory, then rename onto the
// final name, so a reader (or a crash) never sees a half-written file under the final name.
#pragma once
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>

namespace vclab {

// A fresh temporary path next to `path` (same directory, so the final rename is atomic).
std::filesystem::path atomic_temp_path(const std::filesystem::path& path);

// Renames `tmp` onto `path`; throws IoError (and removes `tmp`) on failure.
void commit_atomic_temp(const std::filesystem::path& tmp, const std::filesystem::path& path);

// Writes `contents` to `path` atomically (fsync'ed before the rename). Throws IoError.
void write_file_atomically(const std::filesystem::path& path, const std::string& contents);

// Calls write_to_tmp(tmp_path) for a temporary path in the same directory as `path`, then renames
// the result onto `path`. If write_to_tmp throws, the temporary is removed and the exception is
// rethrown; `path` is left untouched.
template <class F>
void write_atomically(const std::filesystem::path& path, F&& write_to_tmp) {
  const std::filesystem::path tmp = atomic_temp_path(path);
  try {
    std::forward<F>(write_to_tmp)(tmp);
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    throw;
  }
  commit_atomic_temp(tmp, path);
}

}  // namespace vclab
