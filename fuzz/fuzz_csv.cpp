// libFuzzer harness: the CSV reader (RFC 4180 quoting, CRLF, ragged rows) that reads metrics.csv and analysis tables.
// Every malformed input must end in IoError; crashes, leaks, UB and other exceptions are findings.
#include <cstdint>

#include "fuzz_util.hpp"
#include "io/csv_table.hpp"
#include "io/io_error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const vclab::CsvData csv = vclab::read_csv(vclab::fuzz::scratch_file("input.csv", data, size));
    if (!csv.header.empty()) (void)csv.column(csv.header.back());
  } catch (const vclab::IoError&) {
  }
  return 0;
}
