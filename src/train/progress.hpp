// A one-line progress bar with ETA on stderr, silent when stderr is not a terminal.
#pragma once
#include <chrono>
#include <cstddef>
#include <string>

namespace vclab {

class ProgressBar {
 public:
  ProgressBar(std::string label, std::size_t total);
  void update(std::size_t done, const std::string& status = "");
  void finish();
  static bool enabled();  // stderr is a terminal and VCLAB_NO_PROGRESS is unset

 private:
  std::string label_;
  std::size_t total_;
  bool enabled_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace vclab
