// Tests for atomic_write: the final name only ever holds complete contents.
#include "io/atomic_write.hpp"

#include <stdexcept>

#include "io/io_error.hpp"
#include "io_test_util.hpp"

using namespace vclab;
using vclab::test::TempDir;

TEST_CASE("write_file_atomically writes the contents and leaves no temporary file") {
  TempDir dir;
  const auto path = dir / "out.txt";
  write_file_atomically(path, "first\n");
  CHECK(test::read_text_file(path) == "first\n");
  write_file_atomically(path, "second, longer\n");  // replaces
  CHECK(test::read_text_file(path) == "second, longer\n");
  CHECK(dir.entries() == std::vector<std::string>{"out.txt"});
}

TEST_CASE("write_atomically removes the temporary and creates nothing when the writer throws") {
  TempDir dir;
  const auto path = dir / "result.bin";
  std::filesystem::path seen_tmp;
  CHECK_THROWS_AS(write_atomically(path,
                                   [&](const std::filesystem::path& tmp) {
                                     seen_tmp = tmp;
                                     test::write_text_file(tmp, "half of it");
                                     throw std::runtime_error("writer died halfway");
                                   }),
                  std::runtime_error);
  CHECK(seen_tmp.parent_path() == dir.path());  // same directory, so the rename is atomic
  CHECK(seen_tmp != path);
  CHECK(dir.entries().empty());
}

TEST_CASE("write_atomically keeps the previous file intact when the writer throws") {
  TempDir dir;
  const auto path = dir / "result.txt";
  write_file_atomically(path, "good old contents");
  CHECK_THROWS(write_atomically(path, [&](const std::filesystem::path& tmp) {
    test::write_text_file(tmp, "broken");
    throw std::runtime_error("boom");
  }));
  CHECK(test::read_text_file(path) == "good old contents");
  CHECK(dir.entries() == std::vector<std::string>{"result.txt"});
}

TEST_CASE("write_file_atomically into a missing directory throws IoError naming the file") {
  TempDir dir;
  const auto path = dir / "no_such_dir" / "out.txt";
  const std::string msg = test::thrown_message<IoError>([&] { write_file_atomically(path, "x"); });
  CHECK(msg.find(path.string()) != std::string::npos);
}
