// glibc mallopt settings for the training loop's large short-lived matrices (see allocator_tuning.hpp).
#include "train/allocator_tuning.hpp"

#include <malloc.h>

namespace vclab {

void tune_allocator_for_training() {
  constexpr int kTrimThreshold = 1 << 30;  // keep up to 1 GiB of freed heap
  mallopt(M_TRIM_THRESHOLD, kTrimThreshold);
  // No mmap() at all, so every block, however large (a 3072² double matrix is 75 MB), comes from the heap and is reused
  // after free: a fresh mapping first-touches every page, which on this VM costs 10–15 µs a 4 KiB page, 0.2 s for one
  // 75 MB temporary. `vclab reproduce theorem2` on CIFAR-10: 310 s with mmap, 45 s without, same bits. (So no mmap
  // threshold is set: without mmap it decides nothing.)
  mallopt(M_MMAP_MAX, 0);
  // One arena for every thread: the dataset's parallel file reads (30 MB each) then free into the heap the later
  // matrices reuse, instead of into per-thread arenas that keep them resident (peak RSS of the Figure 1 pipeline:
  // 1,002 MiB with per-thread arenas, 936 MiB with one; vclab's threads allocate rarely, so they do not contend).
  mallopt(M_ARENA_MAX, 1);
}

}  // namespace vclab
