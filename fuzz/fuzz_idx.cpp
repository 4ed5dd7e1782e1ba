// libFuzzer harness: IDX image and label parsers (MNIST format), and the gzip path when the input is gzip.
// Every malformed input must end in DataError; crashes, leaks, UB and other exceptions are findings.
#include <cstdint>
#include <vector>

#include "data/data_error.hpp"
#include "data/idx_reader.hpp"
#include "fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::vector<std::uint8_t> bytes(data, data + size);
  try {
    vclab::parse_idx_images(bytes, "fuzz-images");
  } catch (const vclab::DataError&) {
  }
  try {
    vclab::parse_idx_labels(bytes, "fuzz-labels", 10);
  } catch (const vclab::DataError&) {
  }
  if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) {  // gzip: through the file reader and zlib
    try {
      vclab::read_idx_images(vclab::fuzz::scratch_file("images.gz", data, size));
    } catch (const vclab::DataError&) {
    }
  }
  return 0;
}
