// UsageError: the user asked for something that cannot be done as asked (bad flag value,
// output directory already in use). The command line maps it to exit code 2.
#pragma once
#include <stdexcept>

namespace vclab {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace vclab
