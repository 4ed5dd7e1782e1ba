#include <sys/mman.h>
#include <cstdlib>
#include <cstdio>
#include <cstdint>
#include <chrono>
#include <cstring>
int main(int argc, char**) {
  const size_t n = 3072ul * 50000 * 4;
  for (int rep = 0; rep < 3; ++rep) for (int adv = 0; adv < 2; ++adv) {
    auto t0 = std::chrono::steady_clock::now();
    char* p = (char*)std::malloc(n);
    if (adv) { uintptr_t a = ((uintptr_t)p + 4095) & ~uintptr_t(4095); madvise((void*)a, n - (a - (uintptr_t)p), MADV_HUGEPAGE); }
    for (size_t i = 0; i < n; i += 64) p[i] = 1;
    auto t1 = std::chrono::steady_clock::now();
    std::printf("madvise=%d touch 614MB: %.3f s\n", adv, std::chrono::duration<double>(t1 - t0).count());
    std::free(p);
  }
}
