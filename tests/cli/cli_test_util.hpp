// Runs the vclab binary (or any shell command) and captures exit code and combined output.
#pragma once
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <string>

namespace vclab::test {

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

inline CommandResult run_command(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return result;
  char buffer[4096];
  std::size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) result.output.append(buffer, n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

inline CommandResult run_vclab(const std::string& args) {
  return run_command(std::string("VCLAB_NO_PROGRESS=1 ") + VCLAB_BINARY + " " + args);
}

#ifdef VCLAB_KILL_ON_RENAME_LIB
// `vclab args`, SIGKILLed from outside its code right after the n-th atomic write of `file` (tests/cli/kill_on_rename.c):
// ("metrics.csv", k + 1) kills a run when metrics.csv holds its epoch-k row, before that epoch's training checkpoint.
inline CommandResult run_vclab_killed_after_write(const std::string& args, const std::string& file, std::size_t n) {
  return run_command(std::string("LD_PRELOAD=") + VCLAB_KILL_ON_RENAME_LIB + " VCLAB_KILL_ON_RENAME=" + file + ":" + std::to_string(n) +
                     " VCLAB_NO_PROGRESS=1 " + VCLAB_BINARY + " " + args);
}
#endif

inline std::filesystem::path fresh_temp_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("vclab_cli_test_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

inline bool have_python_h5py() { return run_command("/usr/bin/python3 -c 'import h5py'").exit_code == 0; }

}  // namespace vclab::test
