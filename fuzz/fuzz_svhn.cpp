// libFuzzer harness: the SVHN .mat reader (libmatio underneath), fed through a scratch file.
// Every malformed input must end in DataError; crashes, leaks, UB and other exceptions are findings.
#include <cstdint>

#include "data/data_error.hpp"
#include "data/svhn_reader.hpp"
#include "fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    vclab::read_svhn_mat(vclab::fuzz::scratch_file("svhn.mat", data, size));
  } catch (const vclab::DataError&) {
  }
  return 0;
}
