// libFuzzer harness: CIFAR-10 and CIFAR-100 binary parsers (both label choices).
// Every malformed input must end in DataError; crashes, leaks, UB and other exceptions are findings.
#include <cstdint>
#include <vector>

#include "data/cifar_reader.hpp"
#include "data/data_error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::vector<std::uint8_t> bytes(data, data + size);
  try {
    vclab::parse_cifar10(bytes, "fuzz-cifar10");
  } catch (const vclab::DataError&) {
  }
  for (auto which : {vclab::Cifar100Labels::fine, vclab::Cifar100Labels::coarse}) {
    try {
      vclab::parse_cifar100(bytes, "fuzz-cifar100", which);
    } catch (const vclab::DataError&) {
    }
  }
  return 0;
}
