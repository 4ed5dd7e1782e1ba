// libFuzzer harness: the HDF5 recordings loader (RecordingsReader, libhdf5 underneath): load, then read
// every series and the root attributes. Malformed input must end in IoError; anything else is a finding.
#include <cstdint>

#include "fuzz_util.hpp"
#include "io/io_error.hpp"
#include "io/recordings.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const auto reader = vclab::RecordingsReader::load(vclab::fuzz::scratch_file("recordings.h5", data, size));
    for (const auto& name : reader.root_attribute_names()) (void)name;
    for (const auto& q : reader.quantities())
      for (auto l : reader.layers(q)) (void)reader.series(q, l);
  } catch (const vclab::IoError&) {
  }
  return 0;
}
