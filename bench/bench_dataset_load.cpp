// Times the CIFAR-10 load with and without the decoded-data cache (src/data/decoded_cache.hpp), and the cache's own
// parts: the SHA-256 key over the six source files and the read + verification of the six entries.
// Usage: bench_dataset_load [--data-dir DIR] [--reps 5]   (the cache goes to a fresh folder under /tmp)
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "data/data_dir.hpp"
#include "data/decoded_cache.hpp"
#include "data/load_dataset.hpp"

namespace fs = std::filesystem;
using namespace vclab;

namespace {

double seconds_of(const std::function<void()>& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// "median (min-max)" of `reps` timings of f.
std::string timed(std::size_t reps, const std::function<void()>& f) {
  std::vector<double> t;
  for (std::size_t i = 0; i < reps; ++i) t.push_back(seconds_of(f));
  std::sort(t.begin(), t.end());
  return std::to_string(t[t.size() / 2]) + " s (" + std::to_string(t.front()) + "-" + std::to_string(t.back()) + ")";
}

}  // namespace

int main(int argc, char** argv) {
  std::string data_dir;
  std::size_t reps = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--data-dir") data_dir = value;
    else if (flag == "--reps") reps = std::stoul(value);
    else {
      std::cerr << "bench_dataset_load: unknown flag " << flag << "\n";
      return 2;
    }
  }
  const fs::path cache = fs::temp_directory_path() / "vclab_bench_dataset_load_cache";
  fs::remove_all(cache);
  setenv("VCLAB_CACHE", cache.c_str(), 1);
  DatasetRequest request;
  request.name = "cifar10";
  request.data_dir = data_dir;
  const fs::path dir = resolve_data_dir("cifar10", data_dir) / "";
  std::vector<fs::path> sources;
  for (const char* name : {"data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch"})
    for (const char* suffix : {".bin.gz", ".bin"})
      if (fs::exists(dir / (std::string(name) + suffix))) {
        sources.push_back(dir / (std::string(name) + suffix));
        break;
      }

  std::cout << "CIFAR-10 from " << dir.string() << ", " << reps << " reps each, median (min-max)\n";
  setenv("VCLAB_NO_CACHE", "1", 1);
  std::cout << "load_dataset, no cache (VCLAB_NO_CACHE=1): " << timed(reps, [&] { load_dataset(request); }) << "\n";
  unsetenv("VCLAB_NO_CACHE");
  std::cout << "load_dataset, empty cache (decode + write): " << seconds_of([&] { load_dataset(request); }) << " s (once)\n";
  std::cout << "load_dataset, warm cache: " << timed(reps, [&] { load_dataset(request); }) << "\n";
  std::cout << "  of which SHA-256 keys of the " << sources.size() << " source files: " << timed(reps, [&] {
    for (const auto& s : sources) decoded_cache_key("cifar10", {s});
  }) << "\n";
  std::cout << "  of which reading + verifying the entries: " << timed(reps, [&] {
    for (const auto& s : sources) {
      const std::string key = decoded_cache_key("cifar10", {s});
      if (read_decoded_cache(decoded_cache_file(cache, key), key).state != DecodedCacheRead::State::ok) std::exit(1);
    }
  }) << " (keys included)\n";
  fs::remove_all(cache);
  return 0;
}
