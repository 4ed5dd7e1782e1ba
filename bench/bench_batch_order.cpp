// Writes the sample order `vclab train` uses in each epoch (Trainer: std::mt19937_64 seeded with --seed + 1,
// std::shuffle of 0..N-1 at the start of every epoch), so bench/peer_figure1.py can replay identical batches.
// Usage: bench_batch_order --n 50000 --seed 0 --epochs 12 --out order.bin   (int64 little-endian, epochs x n)
#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include <armadillo>

int main(int argc, char** argv) {
  std::size_t n = 50000, epochs = 12;
  std::uint64_t seed = 0;
  std::string out = "order.bin";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--n") n = std::stoul(value);
    else if (flag == "--seed") seed = std::stoull(value);
    else if (flag == "--epochs") epochs = std::stoul(value);
    else if (flag == "--out") out = value;
    else {
      std::cerr << "bench_batch_order: unknown flag " << flag << "\n";
      return 2;
    }
  }
  // Same types and calls as Trainer<T>::run (train/trainer.cpp): the order persists across epochs.
  std::mt19937_64 shuffle_rng(seed + 1);
  std::vector<arma::uword> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::ofstream file(out, std::ios::binary);
  for (std::size_t e = 0; e < epochs; ++e) {
    std::shuffle(order.begin(), order.end(), shuffle_rng);
    const std::vector<std::int64_t> row(order.begin(), order.end());
    file.write(reinterpret_cast<const char*>(row.data()), std::streamsize(row.size() * sizeof(std::int64_t)));
  }
  if (!file) {
    std::cerr << "bench_batch_order: cannot write " << out << "\n";
    return 1;
  }
  return 0;
}
