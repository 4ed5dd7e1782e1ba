// Tests for json_io: round trip, pretty printing, error positions.
#include "io/json_io.hpp"

#include "io/io_error.hpp"
#include "io_test_util.hpp"

using namespace vclab;
using vclab::test::TempDir;

TEST_CASE("write_json then read_json round-trips values exactly and pretty-prints with 2 spaces") {
  TempDir dir;
  const auto path = dir / "config.json";
  nlohmann::json j;
  j["lr"] = 0.1;
  j["third"] = 1.0 / 3.0;
  j["seed"] = 12345;
  j["name"] = "cifar10 — ü";
  j["layers"] = {256, 10};
  write_json(path, j);
  const nlohmann::json back = read_json(path);
  CHECK(back == j);
  CHECK(back["third"].get<double>() == 1.0 / 3.0);
  const std::string text = test::read_text_file(path);
  CHECK(text.find("\n  \"lr\": 0.1") != std::string::npos);
  CHECK(text.back() == '\n');
  CHECK(dir.entries() == std::vector<std::string>{"config.json"});
}

TEST_CASE("read_json reports the file and the line of a syntax error") {
  TempDir dir;
  const auto path = dir / "bad_config.json";
  test::write_text_file(path, "{\n  \"a\": 1,\n  \"b\": ,\n}\n");
  const std::string msg = test::thrown_message<IoError>([&] { read_json(path); });
  CHECK(msg.find("bad_config.json") != std::string::npos);
  CHECK(msg.find("line 3") != std::string::npos);
}

TEST_CASE("read_json on a missing file names it") {
  TempDir dir;
  const std::string msg = test::thrown_message<IoError>([&] { read_json(dir / "missing_config.json"); });
  CHECK(msg.find("missing_config.json") != std::string::npos);
  CHECK(msg.find("not found") != std::string::npos);
}
