// Wall time per optimiser step, measured between the first and the last on_step (so set-up, the initial
// evaluation and the first step's warm-up are left out). An observer for benchmarks: it never changes training.
#pragma once
#include <chrono>
#include <cstddef>
#include <limits>

#include "train/observer.hpp"

namespace vclab {

template <class T> class StepTimer : public Observer<T> {
 public:
  void on_step(const Network<T>&, const StepState<T>&) override { (seen_++ == 0 ? first_ : last_) = Clock::now(); }
  // Seconds per step over steps 2..n (NaN with fewer than two steps).
  double per_step() const {
    return seen_ < 2 ? std::numeric_limits<double>::quiet_NaN()
                     : std::chrono::duration<double>(last_ - first_).count() / double(seen_ - 1);
  }

 private:
  using Clock = std::chrono::steady_clock;
  Clock::time_point first_, last_;
  std::size_t seen_ = 0;
};

}  // namespace vclab
