// libFuzzer harness: the .npy reader (header dictionary, dtype, shape, data), the safe format for untrusted weights.
// Every malformed input must end in IoError; crashes, leaks, UB and other exceptions are findings.
#include <cstdint>

#include "fuzz_util.hpp"
#include "io/io_error.hpp"
#include "io/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = vclab::fuzz::scratch_file("input.npy", data, size);
  try {
    vclab::read_npy_header(path);
  } catch (const vclab::IoError&) {
  }
  try {
    vclab::read_npy(path);
  } catch (const vclab::IoError&) {
  }
  return 0;
}
