// Progress bar: redraws at most 10 times per second; ETA from the mean rate so far.
#include "train/progress.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace vclab {

bool ProgressBar::enabled() { return isatty(STDERR_FILENO) && std::getenv("VCLAB_NO_PROGRESS") == nullptr; }

ProgressBar::ProgressBar(std::string label, std::size_t total)
    : label_(std::move(label)), total_(total), enabled_(enabled()), start_(std::chrono::steady_clock::now()),
      last_draw_(start_ - std::chrono::seconds(1)) {}

void ProgressBar::update(std::size_t done, const std::string& status) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (done < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double fraction = total_ ? double(done) / double(total_) : 1.0;
  const double eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : 0;
  constexpr int kWidth = 24;
  const int filled = int(fraction * kWidth);
  std::string bar(filled, '#');
  bar.resize(kWidth, '.');
  std::fprintf(stderr, "\r%s [%s] %3.0f%% %zu/%zu  %.0fs elapsed, ETA %.0fs  %s\033[K", label_.c_str(), bar.c_str(),
               100 * fraction, done, total_, elapsed, eta, status.c_str());
  std::fflush(stderr);
}

void ProgressBar::finish() {
  if (!enabled_) return;
  update(total_);
  std::fprintf(stderr, "\n");
}

}  // namespace vclab
