// glibc allocator settings for training: matrices of a few MB are freed and reallocated every step.
#pragma once

namespace vclab {

// Serves every block from the heap instead of fresh mmap()s, and keeps freed heap memory (up to 1 GiB at its top)
// instead of returning it to the system, with one arena for all threads, so the per-step temporaries (e.g. the (d, b) blocks of the VCL eigen-step, 3.4 MB at
// d = 3072) reuse touched pages instead of page-faulting on every step (measured in reports/performance/README.md).
// Call once at program start; no effect on results.
void tune_allocator_for_training();

}  // namespace vclab
