// The loaders' half of docs/bad_input.md not covered by the per-format tests: unreadable files (also as root),
// FIFOs and sockets where a file should be, and header counts far beyond the file size.
#include <doctest/doctest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <iterator>

#include "data/cifar_reader.hpp"
#include "data/idx_reader.hpp"
#include "data/svhn_reader.hpp"
#include "data_test_files.hpp"

using namespace vclab;
using namespace vclab::test;
namespace fs = std::filesystem;

namespace {

constexpr uid_t kNobody = 65534;  // Debian's nobody: used to drop root's read-anything privilege

// Runs `read` in a child process, as `nobody` when the tests run as root (root reads files whatever their mode).
// Returns the child's exit code: 0 when read threw DataError containing `needle`, 3 when it could not drop privileges.
int child_expects_data_error(const std::function<void()>& read, const std::string& needle) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (::geteuid() == 0 && (::setgid(kNobody) != 0 || ::setuid(kNobody) != 0)) ::_exit(3);
    try {
      read();
    } catch (const DataError& e) {
      ::_exit(std::string(e.what()).find(needle) != std::string::npos ? 0 : 1);
    } catch (...) {
      ::_exit(2);
    }
    ::_exit(4);  // nothing thrown
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A UNIX socket file at `path` (exists, is not a directory, cannot be opened; even for root).
void make_socket_file(const fs::path& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  REQUIRE(path.string().size() < sizeof addr.sun_path);
  std::strcpy(addr.sun_path, path.c_str());
  REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
  ::close(fd);
}

}  // namespace

TEST_CASE("an unreadable file (mode 000) gives DataError naming the file and its permissions") {
  TempDir dir;
  const fs::path idx = dir / "images.idx", cifar = dir / "data_batch_1.bin", svhn = dir / "train_32x32.mat";
  write_bytes(idx, idx_images_bytes(1, 2, 2, {1, 2, 3, 4}));
  write_bytes(cifar, cifar10_bytes({3}));
  write_svhn_mat(svhn, {1.0});
  for (const fs::path& p : {idx, cifar, svhn}) fs::permissions(p, fs::perms::none);
  fs::permissions(dir.path(), fs::perms::owner_all | fs::perms::others_read | fs::perms::others_exec);
  if (::geteuid() == 0) MESSAGE("running as root, where mode 000 does not stop reads: each read runs in a child as nobody");
  const std::string needle = "cannot open for reading (check its permissions";
  for (const auto& [name, read] : std::vector<std::pair<std::string, std::function<void()>>>{
           {"idx", [&] { read_idx_images(idx); }},
           {"cifar", [&] { read_cifar10(cifar); }},
           {"svhn", [&] { read_svhn_mat(svhn); }}}) {
    CAPTURE(name);
    const int code = child_expects_data_error(read, needle);
    if (code == 3) {
      MESSAGE("SKIP: running as root and setuid(nobody) failed (no CAP_SETUID in this container?)");
      return;
    }
    CHECK(code == 0);  // 1: other message, 2: other exception, 4: nothing thrown
  }
}

TEST_CASE("a socket or FIFO where a dataset file should be gives DataError, never a hang") {
  TempDir dir;
  make_socket_file(dir / "socket.idx");
  REQUIRE(::mkfifo((dir / "fifo.bin").c_str(), 0600) == 0);
  require_data_error([&] { read_idx_images(dir / "socket.idx"); }, {"socket.idx", "expected a regular file"});
  require_data_error([&] { read_cifar10(dir / "fifo.bin"); }, {"fifo.bin", "expected a regular file"});
  require_data_error([&] { read_svhn_mat(dir / "socket.idx"); }, {"socket.idx", "expected a regular file"});
}

TEST_CASE("IDX headers declaring absurd counts are rejected against the file size, without allocating") {
  // 2^32-1 images of 65535 x 65535: ~1.8e19 bytes declared in a 20-byte file.
  require_data_error([] { parse_idx_images(idx_images_bytes(0xffffffffu, 0xffffu, 0xffffu, {1, 2, 3, 4}), "huge.idx"); },
                     {"huge.idx", "header declares 4294967295 images", "truncated file"});
  Bytes labels = idx_labels_bytes({1, 2});
  labels[4] = labels[5] = labels[6] = labels[7] = 0xff;  // N = 2^32 - 1
  require_data_error([&] { parse_idx_labels(labels, "huge-labels.idx"); }, {"header declares 4294967295 labels"});
}

TEST_CASE("SVHN: an X header declaring billions of images is rejected before matio reads the pixels") {
  TempDir dir;
  write_svhn_mat(dir / "x.mat", {1.0}, MAT_FT_MAT5, MAT_COMPRESSION_NONE);
  Bytes bytes = file_bytes(dir / "x.mat");
  // X's dimensions subelement holds int32 32, 32, 3, 1: make N = 2^31 - 1.
  const std::int32_t dims[4] = {32, 32, 3, 1};
  const auto at = std::search(bytes.begin(), bytes.end(), reinterpret_cast<const std::uint8_t*>(dims),
                              reinterpret_cast<const std::uint8_t*>(dims) + sizeof dims);
  REQUIRE(at != bytes.end());
  const std::int32_t huge = 0x7fffffff;
  std::memcpy(&*(at + 12), &huge, 4);
  write_bytes(dir / "huge.mat", bytes);
  require_data_error([&] { read_svhn_mat(dir / "huge.mat"); },
                     {"huge.mat", "X declares 2147483647 images, more than a file of", "corrupt header; re-download it"});
}
