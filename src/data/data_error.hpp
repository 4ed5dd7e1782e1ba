// DataError: the one exception type of the dataset module (missing, malformed or mismatched files).
// Messages name the file, what was expected, what was found and what to do.
#pragma once
#include <stdexcept>
#include <string>

namespace vclab {

class DataError : public std::runtime_error {
 public:
  explicit DataError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace vclab
