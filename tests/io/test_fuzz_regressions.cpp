// libFuzzer findings for the HDF5 recordings loader (fuzz/fuzz_recordings.cpp), kept byte for byte: each must
// now end in IoError naming the file, never a crash, a hang or (under scripts/sanitize.sh) a leak of vclab's.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "io/hdf5_file.hpp"
#include "io/io_error.hpp"
#include "io/recordings.hpp"
#include "io_test_util.hpp"

using namespace vclab;
namespace fs = std::filesystem;

namespace {

const fs::path kDir = fs::path(VCLAB_SOURCE_DIR) / "tests" / "io" / "fuzz_regressions";

// What the harness does: load, then read every series.
void load_everything(const fs::path& path) {
  const auto reader = RecordingsReader::load(path);
  for (const auto& q : reader.quantities())
    for (auto l : reader.layers(q)) (void)reader.series(q, l);
}

}  // namespace

TEST_CASE("fuzzer regressions: damaged recordings files give IoError, not a crash in libhdf5") {
  struct Finding {
    const char* file;
    const char* needle;
  };
  for (const Finding& f : {
           Finding{"recordings_storage_short.h5", "its shape needs more bytes than the file stores"},
           // libhdf5 1.10.8 leaks 56 bytes in H5Fopen's error path (HDFGroup/hdf5#2599); suppressed for LeakSanitizer
           // in fuzz/lsan_suppressions.txt, as vclab holds no handle it could close.
           Finding{"hdf5_leak_cont_msg.h5", "cannot open for reading"},
           // Reported once by LeakSanitizer (2120 bytes in 5 allocations); H5Dopen2 fails on its damaged fill value
           // message. No leak reproduces with the current code; kept so that scripts/sanitize.sh watches this path.
           Finding{"hdf5_leak_on_error.h5", "cannot open the dataset"},
       }) {
    CAPTURE(f.file);
    REQUIRE(fs::exists(kDir / f.file));
    const std::string msg = test::thrown_message<IoError>([&] { load_everything(kDir / f.file); });
    CHECK(msg.find(f.file) != std::string::npos);
    CHECK(msg.find(f.needle) != std::string::npos);
  }
}

TEST_CASE("fuzzer regression: a damaged global heap behind a string attribute gives IoError, not an endless loop") {
  // The 'mode' attribute's global heap collection holds an object of 0 bytes: libhdf5 1.10.8's H5Aread decoded it
  // forever. Read in a child process with an alarm, so that a regression fails this test instead of hanging ctest.
  constexpr unsigned kDeadlineSeconds = 60;  // the check takes milliseconds, even under ASan
  const fs::path file = kDir / "hdf5_vlen_attribute_hang.h5";
  REQUIRE(fs::exists(file));
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::alarm(kDeadlineSeconds);
    try {
      load_everything(file);
    } catch (const IoError& e) {
      const std::string msg = e.what();
      const bool named = msg.find(file.filename().string()) != std::string::npos &&
                         msg.find("attribute 'mode': its string's global heap collection at address") != std::string::npos &&
                         msg.find("is damaged: object 0") != std::string::npos;
      ::_exit(named ? 0 : 1);
    } catch (...) {
      ::_exit(2);
    }
    ::_exit(3);  // loaded without an error
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  INFO("child status " << status << " (signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0)
                       << ": SIGALRM = still looping after " << kDeadlineSeconds << " s)");
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);  // 1: other message, 2: other exception, 3: no error
}

TEST_CASE("fuzzer regression: a string attribute whose base type declares 0 bytes is read without libhdf5's conversion") {
  // The 'mode' attribute of /gram/layer0/000000 has a variable-length string type whose base type declares 0
  // bytes; its global heap object is intact and holds "diag". libhdf5 1.10.8's conversion read it as '' and leaked
  // a 4-byte buffer in H5HG_read (LeakSanitizer, under scripts/sanitize.sh; h5py still reads ''). vclab takes the
  // string from the checked heap object instead, so the file loads.
  const fs::path file = kDir / "hdf5_vlen_base_size0_leak.h5";
  REQUIRE(fs::exists(file));
  CHECK(Hdf5File::open_read(file).get_attribute_string("/gram/layer0/000000", "mode") == "diag");
  CHECK_NOTHROW(load_everything(file));
}

TEST_CASE("a string attribute's global heap that lies outside the file, is not a heap, or lacks the object gives IoError") {
  // The other ways read_vlen_string_attribute finds a damaged heap, each made by patching a few bytes of a file
  // written here: its one variable-length string attribute, /x's 'mode', is stored (HDF5 object header version 1,
  // no checksums) as the heap ID {length 4, collection address (8 bytes), object index 1}.
  test::TempDir dir;
  const fs::path good = dir / "heap.h5";
  {
    Hdf5File f = Hdf5File::create(good);
    f.write_vector("/x", arma::vec{1.0});
    f.set_attribute("/x", "mode", "diag");
  }
  REQUIRE(Hdf5File::open_read(good).get_attribute_string("/x", "mode") == "diag");
  const std::string bytes = test::read_text_file(good);
  const std::size_t gcol = bytes.find("GCOL");
  REQUIRE(gcol != std::string::npos);
  REQUIRE(bytes.find("GCOL", gcol + 1) == std::string::npos);
  const auto heap_id = [](std::uint64_t address, std::uint32_t index) {
    std::string id(16, '\0');
    const std::uint32_t length = 4;  // "diag"
    for (int i = 0; i < 4; ++i) id[i] = char(length >> 8 * i & 0xff);
    for (int i = 0; i < 8; ++i) id[4 + i] = char(address >> 8 * i & 0xff);
    for (int i = 0; i < 4; ++i) id[12 + i] = char(index >> 8 * i & 0xff);
    return id;
  };
  const std::size_t id_at = bytes.find(heap_id(gcol, 1));
  REQUIRE(id_at != std::string::npos);
  REQUIRE(bytes.find(heap_id(gcol, 1), id_at + 1) == std::string::npos);
  const auto message_for = [&](const std::string& name, const std::string& damaged) {
    test::write_text_file(dir / name, damaged);
    return test::thrown_message<IoError>([&] { Hdf5File::open_read(dir / name).get_attribute_string("/x", "mode"); });
  };
  const std::string heap_at = "attribute 'mode': its string's global heap collection at address ";
  SUBCASE("the collection lies outside the file") {
    std::string damaged = bytes;
    const std::uint64_t beyond = bytes.size() + 1000000;
    damaged.replace(id_at, 16, heap_id(beyond, 1));
    const std::string msg = message_for("outside.h5", damaged);
    CHECK(msg.find("outside.h5") != std::string::npos);
    CHECK(msg.find(heap_at + std::to_string(beyond) + " lies outside the file") != std::string::npos);
    CHECK(msg.find("The file is damaged; re-create it") != std::string::npos);
  }
  SUBCASE("the collection is not a global heap") {
    std::string damaged = bytes;
    damaged[gcol + 3] = 'X';  // GCOX
    const std::string msg = message_for("not_heap.h5", damaged);
    CHECK(msg.find("not_heap.h5") != std::string::npos);
    CHECK(msg.find(heap_at + std::to_string(gcol) + " is not a global heap (no GCOL signature of version 1)") !=
          std::string::npos);
  }
  SUBCASE("the collection has no object of the attribute's index") {
    std::string damaged = bytes;
    damaged.replace(id_at, 16, heap_id(gcol, 7));
    const std::string msg = message_for("no_object.h5", damaged);
    CHECK(msg.find("no_object.h5") != std::string::npos);
    CHECK(msg.find(heap_at + std::to_string(gcol) + " has no object 7") != std::string::npos);
  }
}
