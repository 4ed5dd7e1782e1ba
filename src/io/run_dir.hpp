// Output (run) directories: create them, refuse to reuse a non-empty one unless --overwrite.
#pragma once
#include <filesystem>

namespace vclab {

// Creates `dir` and its parents. If it exists, is non-empty and !overwrite: UsageError telling the
// user to pass --overwrite or choose another --out. If it exists as a non-directory: UsageError.
// If it cannot be created or written: IoError saying so. With overwrite, existing files are kept
// and are replaced as the run writes them (nothing is deleted).
void prepare_output_dir(const std::filesystem::path& dir, bool overwrite);

}  // namespace vclab
