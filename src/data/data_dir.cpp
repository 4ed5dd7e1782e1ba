// Data-directory search: explicit flag, then $VCLAB_DATA, then conventional local and system places.
#include "data/data_dir.hpp"

#include <cstdlib>

#include "data/data_error.hpp"
#include "data/dataset_catalog.hpp"

namespace vclab {
namespace fs = std::filesystem;
namespace {

// True when `dir` holds every required file; otherwise records why not in search.tried.
bool try_dir(const fs::path& dir, const DatasetInfo& info, DataDirSearch& search) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    search.tried.push_back(dir.string() + " (no such directory)");
    return false;
  }
  const std::vector<std::string> missing = missing_dataset_files(dir, info);
  if (missing.empty()) {
    search.found = fs::absolute(dir, ec).lexically_normal();  // absolute, for config.json and messages
    if (ec) search.found = dir;
    search.tried.push_back(dir.string() + " (found)");
    return true;
  }
  std::string list;
  for (const std::string& m : missing) list += (list.empty() ? "" : ", ") + m;
  search.tried.push_back(dir.string() + " (exists but lacks " + list + ")");
  return false;
}

}  // namespace

DataDirSearch search_data_dir(const std::string& name, const std::string& data_dir_flag) {
  const DatasetInfo& info = dataset_info(name);
  DataDirSearch search;
  if (!data_dir_flag.empty()) {
    const fs::path flag(data_dir_flag);
    if (!try_dir(flag, info, search)) try_dir(flag / info.name, info, search);
    return search;
  }
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("VCLAB_DATA"); env && *env) {
    candidates.push_back(fs::path(env) / info.name);
    candidates.push_back(fs::path(env));
  } else {
    search.tried.push_back("$VCLAB_DATA (not set)");
  }
  candidates.push_back(fs::path("data") / info.name);
  candidates.push_back(fs::path("..") / "shared" / "data" / info.name);
  if (const char* home = std::getenv("HOME"); home && *home)
    candidates.push_back(fs::path(home) / ".local" / "share" / "vclab" / info.name);
  candidates.push_back(fs::path("/usr/share/datasets") / info.name);
  for (const fs::path& dir : candidates)
    if (try_dir(dir, info, search)) break;
  return search;
}

fs::path resolve_data_dir(const std::string& name, const std::string& data_dir_flag) {
  const DataDirSearch search = search_data_dir(name, data_dir_flag);
  if (search.found) return *search.found;
  const DatasetInfo& info = dataset_info(name);
  std::string message = "dataset '" + info.name + "' not found. Looked in:\n";
  for (const std::string& place : search.tried) message += "  " + place + "\n";
  message += std::string("Expected files (") + (info.gz_allowed ? "plain or .gz" : "plain, not gzipped") +
             (info.subdirs.empty() ? "" : ", directly or inside " + info.subdirs[0] + "/") + "):";
  for (const DataFileSpec& file : info.files)
    if (file.required) message += " " + file.names.front();
  message += ".\nFix: pass --data-dir DIR (DIR or DIR/" + info.name +
             " holding the files), or set VCLAB_DATA to a folder with a " + info.name + "/ subfolder.";
  throw DataError(message);
}

}  // namespace vclab
