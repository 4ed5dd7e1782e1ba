// libFuzzer findings for the HDF5 recordings loader (fuzz/fuzz_recordings.cpp), kept byte for byte: each must
// now end in IoError naming the file, never a crash, a hang or (under scripts/sanitize.sh) a leak of vclab's.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

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
