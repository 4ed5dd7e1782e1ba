// prepare_output_dir. See run_dir.hpp.
#include "io/run_dir.hpp"

#include <unistd.h>

#include <system_error>

#include "io/atomic_write.hpp"
#include "io/io_error.hpp"
#include "io/usage_error.hpp"

namespace vclab {

void prepare_output_dir(const std::filesystem::path& dir, bool overwrite) {
  std::error_code ec;
  if (std::filesystem::exists(dir, ec)) {
    if (!std::filesystem::is_directory(dir, ec))
      throw UsageError("output path " + dir.string() + " exists and is not a directory; choose another --out");
    const bool empty = std::filesystem::is_empty(dir, ec);
    if (ec) throw IoError(dir, "cannot list the output directory (" + ec.message() + ")", "Check its permissions");
    if (!empty && !overwrite)
      throw UsageError("output directory " + dir.string() +
                       " already exists and is not empty; pass --overwrite to write into it anyway, "
                       "or choose another --out");
  } else {
    std::filesystem::create_directories(dir, ec);
    if (ec)
      throw IoError(dir, "cannot create the output directory (" + ec.message() + ")",
                    "Choose another --out or fix the permissions of its parent");
  }
  // Probe by writing: access() is wrong on read-only mounts and for root.
  const std::filesystem::path probe = dir / (".vclab-write-probe-" + std::to_string(::getpid()));
  try {
    write_file_atomically(probe, "probe\n");
  } catch (const IoError&) {
    throw IoError(dir, "the output directory cannot be written", "Choose another --out or fix its permissions");
  }
  std::filesystem::remove(probe, ec);
}

}  // namespace vclab
