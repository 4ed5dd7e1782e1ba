// Atomic file writes (temporary file in the same directory + rename). See atomic_write.hpp.
#include "io/atomic_write.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "io/io_error.hpp"

namespace vclab {

std::filesystem::path atomic_temp_path(const std::filesystem::path& path) {
  // pid + a process-wide counter keeps concurrent writers (threads or processes) apart.
  static std::atomic<unsigned long> counter{0};
  const std::string name = "." + path.filename().string() + ".tmp-" + std::to_string(::getpid()) +
                           "-" + std::to_string(counter.fetch_add(1));
  return path.parent_path() / name;
}

void commit_atomic_temp(const std::filesystem::path& tmp, const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    throw IoError(path, "cannot move the finished temporary file " + tmp.string() +
                            " onto it (" + ec.message() + ")",
                  "Check that the directory is writable and that " + path.string() +
                      " is not a directory");
  }
}

void write_file_atomically(const std::filesystem::path& path, const std::string& contents) {
  write_atomically(path, [&](const std::filesystem::path& tmp) {
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
      throw IoError(path, std::string("cannot create a file in its directory (") +
                              std::strerror(errno) + ")",
                    "Check that the directory exists and is writable");
    const char* data = contents.data();
    std::size_t left = contents.size();
    while (left > 0) {
      const ssize_t n = ::write(fd, data, left);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        const int err = errno;
        ::close(fd);
        throw IoError(path, std::string("write failed (") + std::strerror(err) + ")",
                      "Check free disk space and permissions");
      }
      data += n;
      left -= static_cast<std::size_t>(n);
    }
    // fsync before the rename so a crash cannot leave an empty file under the final name.
    const bool synced = ::fsync(fd) == 0;
    const int sync_errno = errno;
    if (::close(fd) != 0 || !synced) {
      errno = synced ? errno : sync_errno;
      throw IoError(path, std::string("flushing to disk failed (") + std::strerror(errno) + ")",
                    "Check free disk space");
    }
  });
}

}  // namespace vclab
