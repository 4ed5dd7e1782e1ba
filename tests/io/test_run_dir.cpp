// Tests for prepare_output_dir: creation, refusal to reuse, --overwrite, unwritable paths.
#include "io/run_dir.hpp"

#include "io/io_error.hpp"
#include "io/usage_error.hpp"
#include "io_test_util.hpp"

using namespace vclab;
using vclab::test::TempDir;

TEST_CASE("prepare_output_dir creates missing parents and accepts an existing empty directory") {
  TempDir dir;
  const auto out = dir / "a" / "b" / "run1";
  prepare_output_dir(out, false);
  CHECK(std::filesystem::is_directory(out));
  CHECK(std::filesystem::is_empty(out));  // the write probe is cleaned up
  prepare_output_dir(out, false);
}

TEST_CASE("prepare_output_dir refuses a non-empty directory unless overwrite, and deletes nothing") {
  TempDir dir;
  const auto out = dir / "run";
  std::filesystem::create_directories(out);
  test::write_text_file(out / "metrics.csv", "epoch\n");
  const std::string msg = test::thrown_message<UsageError>([&] { prepare_output_dir(out, false); });
  CHECK(msg.find(out.string()) != std::string::npos);
  CHECK(msg.find("--overwrite") != std::string::npos);
  CHECK(msg.find("--out") != std::string::npos);
  prepare_output_dir(out, true);
  CHECK(std::filesystem::exists(out / "metrics.csv"));
}

TEST_CASE("prepare_output_dir rejects a path that is a file") {
  TempDir dir;
  test::write_text_file(dir / "file", "x");
  CHECK_THROWS_AS(prepare_output_dir(dir / "file", true), UsageError);
}

TEST_CASE("prepare_output_dir reports an uncreatable directory as IoError naming it") {
  // /proc refuses new directories even for root, unlike a chmod'ed directory.
  const std::filesystem::path out = "/proc/vclab-io-test-cannot-create";
  if (!std::filesystem::is_directory("/proc")) {
    MESSAGE("SKIP: no /proc on this system");
    return;
  }
  const std::string msg = test::thrown_message<IoError>([&] { prepare_output_dir(out, false); });
  CHECK(msg.find(out.string()) != std::string::npos);
  CHECK(msg.find("cannot create") != std::string::npos);
}
