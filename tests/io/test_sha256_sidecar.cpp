// SHA-256 sidecars of vclab's own HDF5 files (io/sha256_sidecar.hpp): written with each file in sha256sum's format,
// and compared before libhdf5 opens the file, so a damaged, truncated or unrecorded file is refused with a message
// naming it, whatever the damage. (Checkpoints: tests/cli/test_resume_cli.cpp.)
#include <doctest/doctest.h>

#include "data/checksum.hpp"
#include "io/io_error.hpp"
#include "io/recordings.hpp"
#include "io/sha256_sidecar.hpp"
#include "io/weights_io.hpp"
#include "io_test_util.hpp"

using namespace vclab;
using vclab::test::TempDir;
namespace fs = std::filesystem;

namespace {

using Bytes = std::vector<std::uint8_t>;

WeightSet small_weights() {
  WeightSet w;
  w.weights = {arma::reshape(arma::linspace<arma::vec>(-1.0, 1.0, 12), 4, 3), arma::reshape(arma::linspace<arma::vec>(0.5, 4.0, 8), 2, 4)};
  w.biases = {arma::vec{0.1, 0.2, 0.3, 0.4}, arma::vec{-1.0, 1.0}};
  return w;
}

const arma::mat kGram = arma::mat(arma::vec{1.0, 2.0, 3.0});

void write_recordings(const fs::path& path) {
  RecordingWriter w(path);
  w.set_root_attribute("record_mode", "diag");
  for (std::size_t k = 0; k < 3; ++k) w.add("gram", 0, k, {std::int64_t(10 * k), double(k), 0.1}, kGram + double(k), true);
  w.close();
}

Bytes bytes_of(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_all(const fs::path& path, const Bytes& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

// The two kinds of vclab files tests/io can write: how to write one, how vclab reads it back (one matrix of it),
// and what that matrix holds.
struct VclabFile {
  const char* name;
  void (*write)(const fs::path&);
  arma::mat (*read)(const fs::path&);
  arma::mat expected;
};
const VclabFile kFiles[] = {
    {"recordings.h5", write_recordings, [](const fs::path& p) { return RecordingsReader::load(p).last("gram", 0).data; }, kGram + 2.0},
    {"weights_final.h5", [](const fs::path& p) { save_weights(p, small_weights()); },
     [](const fs::path& p) { return load_weights(p).weights[1]; }, small_weights().weights[1]},
};

void require_reads_back(const VclabFile& f, const fs::path& path) {
  CHECK(arma::approx_equal(f.read(path), f.expected, "absdiff", 0.0));
}

// Every refusal names the file, says why, and says what to do.
void require_refusal(const std::string& msg, const fs::path& file, const std::string& why) {
  INFO(msg);
  CHECK(msg.find(file.string() + ": ") == 0);
  CHECK(msg.find(why) != std::string::npos);
  CHECK(msg.find("Re-run the command that wrote " + file.filename().string() + ", or restore it together with its " +
                 file.filename().string() + ".sha256") != std::string::npos);
}

}  // namespace

TEST_CASE("vclab's HDF5 files get a sidecar in sha256sum's format that matches them, and read back") {
  TempDir dir;
  for (const VclabFile& f : kFiles) {
    CAPTURE(f.name);
    const fs::path path = dir / f.name;
    f.write(path);
    CHECK(sha256_sidecar_path(path) == dir / (std::string(f.name) + ".sha256"));
    CHECK(test::read_text_file(sha256_sidecar_path(path)) == sha256_hex(bytes_of(path)) + "  " + f.name + "\n");
    require_reads_back(f, path);
  }
  CHECK(dir.entries() == std::vector<std::string>{"recordings.h5", "recordings.h5.sha256", "weights_final.h5", "weights_final.h5.sha256"});
  const auto check = test::run_command("cd " + dir.path().string() + " && sha256sum -c recordings.h5.sha256 weights_final.h5.sha256 2>&1");
  INFO(check.output);
  CHECK(check.status == 0);
}

TEST_CASE("a byte changed anywhere in a vclab file is refused before libhdf5 opens it, naming the file") {
  TempDir dir;
  for (const VclabFile& f : kFiles) {
    CAPTURE(f.name);
    const fs::path path = dir / f.name;
    f.write(path);
    const Bytes good = bytes_of(path);
    REQUIRE(good.size() > 1000);
    std::vector<std::size_t> positions{0, good.size() - 1};
    for (std::size_t i = 1; i < 32; ++i) positions.push_back(good.size() * i / 32);
    for (std::size_t at : positions) {
      CAPTURE(at);
      Bytes damaged = good;
      damaged[at] ^= 0x01;
      write_all(path, damaged);
      require_refusal(test::thrown_message<IoError>([&] { f.read(path); }), path,
                      "does not match " + sha256_hex(good) + ", recorded in " + f.name + ".sha256 when vclab wrote it: "
                      "the file is damaged or truncated, and vclab does not open it");
    }
    write_all(path, good);
    require_reads_back(f, path);
  }
}

TEST_CASE("a truncated vclab file is refused, naming the file") {
  TempDir dir;
  for (const VclabFile& f : kFiles) {
    CAPTURE(f.name);
    const fs::path path = dir / f.name;
    f.write(path);
    const Bytes good = bytes_of(path);
    for (std::size_t size : {good.size() - 1, good.size() / 2, std::size_t{8}, std::size_t{0}}) {
      CAPTURE(size);
      write_all(path, Bytes(good.begin(), good.begin() + std::ptrdiff_t(size)));
      require_refusal(test::thrown_message<IoError>([&] { f.read(path); }), path, "the file is damaged or truncated");
    }
  }
}

TEST_CASE("without its sidecar a recording is refused; weights are then foreign, read by libhdf5 as trusted input") {
  TempDir dir;
  write_recordings(dir / "recordings.h5");
  fs::remove(dir / "recordings.h5.sha256");
  require_refusal(test::thrown_message<IoError>([&] { RecordingsReader::load(dir / "recordings.h5"); }), dir / "recordings.h5",
                  "no SHA-256 recorded for it (recordings.h5.sha256 is missing)");
  save_weights(dir / "w.h5", small_weights());
  fs::remove(dir / "w.h5.sha256");
  CHECK(arma::approx_equal(load_weights(dir / "w.h5").weights[0], small_weights().weights[0], "absdiff", 0.0));
}

TEST_CASE("a sidecar that does not start with a SHA-256 is refused, naming the file") {
  TempDir dir;
  write_recordings(dir / "recordings.h5");
  test::write_text_file(dir / "recordings.h5.sha256", "checksum: see the lab notebook\n");
  require_refusal(test::thrown_message<IoError>([&] { RecordingsReader::load(dir / "recordings.h5"); }), dir / "recordings.h5",
                  "its checksum file recordings.h5.sha256 does not start with a SHA-256");
}

TEST_CASE("write_atomically_with_sha256 keeps file and sidecar consistent, also when the writer throws") {
  TempDir dir;
  const fs::path path = dir / "state.bin";
  const auto write_text = [&](const std::string& text) {
    write_atomically_with_sha256(path, [&](const fs::path& tmp) { test::write_text_file(tmp, text); });
  };
  write_text("first");
  CHECK_NOTHROW(verify_sha256_sidecar(path, Sidecar::required));
  CHECK_THROWS_AS(write_atomically_with_sha256(path,
                                               [&](const fs::path& tmp) {
                                                 test::write_text_file(tmp, "half of the second");
                                                 throw std::runtime_error("disk full");
                                               }),
                  std::runtime_error);
  CHECK(test::read_text_file(path) == "first");
  CHECK_NOTHROW(verify_sha256_sidecar(path, Sidecar::required));
  CHECK(dir.entries() == std::vector<std::string>{"state.bin", "state.bin.sha256"});  // no temporaries left
  write_text("second, longer");
  CHECK_NOTHROW(verify_sha256_sidecar(path, Sidecar::required));
  CHECK(test::read_text_file(dir / "state.bin.sha256") == sha256_hex(bytes_of(path)) + "  state.bin\n");
}
