// The vclab CLI as a library function, so tests can drive it in-process.
#pragma once

namespace vclab {

// Returns the process exit code: 0 success, 1 runtime error, 2 usage error.
int run_cli(int argc, char** argv);

}  // namespace vclab
