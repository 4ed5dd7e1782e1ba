// A full-mode Gram + ΔG checkpoint at the Figure 1 shape (issue 20, reports/performance/README.md §10): where its time
// goes, phase by phase, as GramRecorder and RecordingWriter do it (G = WᵀW and ΔG = G − G(0) into reused buffers, both
// written to recordings.h5, flushed; close() hashes the file for its SHA-256 sidecar), with the symmetric (copy-free)
// write against the transposing one, interleaved, and the floor: the same bytes written with write(2) to a new file.
// Each rep writes `checkpoints` checkpoints into a new file, as a run does. Medians over reps, per checkpoint.
// Usage: bench_checkpoint_write DIR [d 3072] [hidden 256] [reps 5] [checkpoints 3]
#include <cblas.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <armadillo>

#include "io/recordings.hpp"

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double median(std::vector<double> x) {
  std::sort(x.begin(), x.end());
  return x.empty() ? 0.0 : x[x.size() / 2];
}

// Timed beside the checkpoint, not part of it: how much of "gram = WᵀW" is dsyrk itself.
constexpr const char* kAside = "(aside, not in total) dsyrk alone, upper triangle";

struct Layer {
  arma::mat w, gram0, gram, delta, upper;  // W (k, d); G(0), G, ΔG, dsyrk's upper triangle (d, d)
};

// One file of `checkpoints` checkpoints; adds each phase's seconds per checkpoint to `phases`.
void write_run(const std::filesystem::path& path, std::vector<Layer>& layers, int checkpoints, vclab::Symmetry symmetry,
               std::map<std::string, double>& phases) {
  vclab::RecordingWriter writer(path);
  for (int c = 0; c < checkpoints; ++c) {
    for (std::size_t l = 0; l < layers.size(); ++l) {
      Layer& layer = layers[l];
      layer.w += 1e-3;  // a training step moved W
      auto t0 = Clock::now();
      layer.gram = layer.w.t() * layer.w;  // Armadillo: dsyrk (upper triangle), then mirrors it column by column
      phases["gram = WᵀW (Armadillo)"] += since(t0) / checkpoints;
      t0 = Clock::now();
      cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, int(layer.w.n_cols), int(layer.w.n_rows), 1.0,
                  layer.w.memptr(), int(layer.w.n_rows), 0.0, layer.upper.memptr(), int(layer.w.n_cols));
      phases[kAside] += since(t0) / checkpoints;
      t0 = Clock::now();
      layer.delta = layer.gram - layer.gram0;
      phases["ΔG = G − G0"] += since(t0) / checkpoints;
      t0 = Clock::now();
      writer.add("gram", l, std::size_t(c), {}, layer.gram, false, symmetry);
      writer.add("dgram", l, std::size_t(c), {}, layer.delta, false, symmetry);
      phases["HDF5 write (G, ΔG)"] += since(t0) / checkpoints;
    }
    const auto t0 = Clock::now();
    writer.flush();
    phases["flush"] += since(t0) / checkpoints;
  }
  const auto t0 = Clock::now();
  writer.close();
  phases["close (SHA-256 sidecar, rename), per checkpoint"] += since(t0) / checkpoints;
}

// The floor: the same raw bytes with write(2) into a new file (page-cache allocation), per checkpoint.
double write_floor(const std::filesystem::path& path, const std::vector<Layer>& layers, int checkpoints) {
  const auto t0 = Clock::now();
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  for (int c = 0; c < checkpoints; ++c) {
    for (const Layer& layer : layers) {
      for (const arma::mat* m : {&layer.gram, &layer.delta}) {
        if (::write(fd, m->memptr(), m->n_elem * sizeof(double)) != ssize_t(m->n_elem * sizeof(double))) {
          std::perror("write");
        }
      }
    }
  }
  ::close(fd);
  return since(t0) / checkpoints;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_checkpoint_write DIR [d 3072] [hidden 256] [reps 5] [checkpoints 3]\n");
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  const int d = argc > 2 ? std::stoi(argv[2]) : 3072, hidden = argc > 3 ? std::stoi(argv[3]) : 256;
  const int reps = argc > 4 ? std::stoi(argv[4]) : 5, checkpoints = argc > 5 ? std::stoi(argv[5]) : 3;
  std::filesystem::create_directories(dir);
  arma::arma_rng::set_seed(1);
  std::vector<Layer> layers(2);
  layers[0].w = arma::randn(hidden, d) / std::sqrt(double(d));  // (256, 3072): G is 3072²
  layers[1].w = arma::randn(10, hidden) / std::sqrt(double(hidden));  // (10, 256): G is 256²
  for (Layer& layer : layers) {
    layer.gram0 = layer.w.t() * layer.w;
    layer.upper.set_size(arma::size(layer.gram0));
  }
  std::map<std::string, std::map<std::string, std::vector<double>>> times;  // path -> phase -> per rep
  for (int r = 0; r < reps; ++r) {
    for (const auto& [name, symmetry] : {std::pair{"symmetric", vclab::Symmetry::symmetric},
                                         std::pair{"transposing", vclab::Symmetry::general}}) {
      std::map<std::string, double> phases;
      write_run(dir / (std::string(name) + ".h5"), layers, checkpoints, symmetry, phases);
      double total = 0;
      for (const auto& [phase, seconds] : phases) {
        times[name][phase].push_back(seconds);
        if (phase != kAside) total += seconds;
      }
      times[name]["total"].push_back(total);
      std::filesystem::remove(dir / (std::string(name) + ".h5"));
    }
    times["floor"]["write(2) of the same bytes to a new file"].push_back(write_floor(dir / "raw.bin", layers, checkpoints));
    std::filesystem::remove(dir / "raw.bin");
  }
  std::printf("d %d hidden %d reps %d checkpoints %d: per checkpoint, median (min-max) over reps, ms\n", d, hidden, reps,
              checkpoints);
  for (const auto& [name, phases] : times) {
    for (const auto& [phase, x] : phases) {
      std::printf("%-12s %-50s %8.1f (%.1f-%.1f)\n", name.c_str(), phase.c_str(), median(x) * 1e3,
                  *std::min_element(x.begin(), x.end()) * 1e3, *std::max_element(x.begin(), x.end()) * 1e3);
    }
  }
  return 0;
}
