// libFuzzer findings for the HDF5 recordings loader (fuzz/fuzz_recordings.cpp), kept byte for byte: each must
// now end in IoError naming the file, never a crash.
#include <doctest/doctest.h>

#include <filesystem>

#include "io/io_error.hpp"
#include "io/recordings.hpp"
#include "io_test_util.hpp"

using namespace vclab;
namespace fs = std::filesystem;

TEST_CASE("fuzzer regressions: damaged recordings files give IoError, not a crash in libhdf5") {
  const fs::path dir = fs::path(VCLAB_SOURCE_DIR) / "tests" / "io" / "fuzz_regressions";
  for (const char* name : {"recordings_storage_short.h5"}) {
    CAPTURE(name);
    REQUIRE(fs::exists(dir / name));
    const std::string msg = test::thrown_message<IoError>([&] {
      const auto reader = RecordingsReader::load(dir / name);
      for (const auto& q : reader.quantities())
        for (auto l : reader.layers(q)) (void)reader.series(q, l);
    });
    CHECK(msg.find(name) != std::string::npos);
  }
}
