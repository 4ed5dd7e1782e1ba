// Where a dataset's files are found on disk (resolve_data_dir) and every place that was tried.
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace vclab {

struct DataDirSearch {
  std::optional<std::filesystem::path> found;  // first directory holding every required file
  std::vector<std::string> tried;              // each place looked, with why it was rejected
};

// Search order for dataset <name> (canonical name, e.g. "cifar10"); the first directory that holds
// every required file (plain or .gz, directly or in the original archive's subfolder) wins:
//   1. --data-dir DIR when given: DIR itself, then DIR/<name>. Nothing else is tried.
//   2. $VCLAB_DATA/<name>
//   3. $VCLAB_DATA itself
//   4. ./data/<name>                        (relative to the working directory)
//   5. ../shared/data/<name>                (relative to the working directory)
//   6. $HOME/.local/share/vclab/<name>
//   7. /usr/share/datasets/<name>           (Debian's dataset-fashion-mnist installs here)
DataDirSearch search_data_dir(const std::string& name, const std::string& data_dir_flag);

// The directory found by search_data_dir. Throws DataError listing every place tried (and which
// files were missing there) and how to fix it (--data-dir or VCLAB_DATA) when none holds the files.
std::filesystem::path resolve_data_dir(const std::string& name, const std::string& data_dir_flag);

}  // namespace vclab
