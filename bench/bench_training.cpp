// Benchmark of training and recording costs (issue 6): sgemm peak, the SGD step's GFLOP/s, the per-step
// overhead of the virtual covariance V (diag and full, docs/recorded_quantities.md), the per-checkpoint cost of Gram and AGOP,
// the cheap AGOP against brute force, scaling with d, width and batch, and peak memory (getrusage).
// Usage: bench_training [--threads 2] [--reps 5] [--steps 20] [--agop-n 50000] [--brute-n 16]
//                       [--no-scaling] [--dat FILE] (--help). Timings are medians over interleaved repetitions.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <armadillo>

#include "app/train_run.hpp"
#include "io/recordings.hpp"
#include "model/backprop.hpp"
#include "record/agop.hpp"
#include "record/step_timer.hpp"
#include "record/recorders.hpp"
#include "train/sgd.hpp"
#include "train/trainer.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Config {
  std::size_t threads = 2;
  std::size_t reps = 5;        // interleaved repetitions of every measurement
  std::size_t steps = 20;      // SGD steps per timed training run (the first is not timed)
  std::size_t agop_n = 50000;  // samples of the AGOP checkpoint (CIFAR-10's training set)
  std::size_t brute_n = 16;    // samples of the brute-force AGOP (extrapolated per sample)
  bool scaling = true;
  std::string dat = "bench_training_scaling.dat";
};

struct Stats {
  double median = 0, min = 0, max = 0;
};

Stats stats_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return {n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]), v.front(), v.back()};
}

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return double(usage.ru_maxrss) / 1024.0;  // Linux reports KiB
}

// Random inputs in [0, 1] (as CIFAR-10 after --normalize unit) with random labels; values do not change the cost.
vclab::Dataset random_dataset(std::size_t d, std::size_t n, std::size_t classes, unsigned seed) {
  arma::arma_rng::set_seed(seed);
  vclab::Dataset data;
  data.name = "random";
  data.x = arma::randu<arma::fmat>(d, n);
  data.y = arma::randi<arma::uvec>(n, arma::distr_param(0, int(classes) - 1));
  data.n_classes = classes;
  return data;
}

vclab::MlpSpec spec_of(std::size_t d, std::size_t width, std::size_t classes) {
  vclab::MlpSpec spec;
  spec.input_dim = d;
  spec.hidden = {width};
  spec.output_dim = classes;
  spec.activation = vclab::Activation::gelu;
  return spec;
}

// Times steps 1..S-1 of a run (on_step of step 0 to on_step of the last step), so the recorders'
// on_begin allocations and the first step's warm-up are excluded.
enum class VcMode { none, diag, full };
const char* name_of(VcMode m) { return m == VcMode::none ? "bare" : m == VcMode::diag ? "diag V" : "full V"; }

// Seconds per SGD step (float) of the real Trainer loop, optionally with the V recorder attached.
double time_steps(const vclab::Mlp<float>& init, const vclab::Dataset& data, std::size_t batch, VcMode mode) {
  vclab::Mlp<float> model = init;
  vclab::TrainOptions options;
  options.batch = batch;
  options.epochs = 1;
  options.evaluate_initial = false;
  vclab::Sgd<float> sgd;
  vclab::Trainer<float> trainer(options, sgd);
  std::unique_ptr<vclab::VcShiftRecorder<float>> vc;
  if (mode != VcMode::none) {
    vc = std::make_unique<vclab::VcShiftRecorder<float>>(nullptr, mode == VcMode::diag ? vclab::RecordMode::diag : vclab::RecordMode::full);
    trainer.add_observer(*vc);
  }
  vclab::StepTimer<float> clock;
  trainer.add_observer(clock);
  const vclab::Dataset empty_test;
  trainer.run(model, data, empty_test);  // the V recorder asks for g_0 itself
  return clock.per_step();
}

// Useful FLOPs of one bare SGD step (2-layer MLP): forward 2B(dh + hC), ∇W 2B(dh + hC), g_1 = W_1ᵀ dz 2BhC.
// The input gradient g_0 (2Bdh more) is computed only when V is recorded, so it is counted as V's overhead.
double step_flops(std::size_t d, std::size_t h, std::size_t c, std::size_t b) {
  return 4.0 * double(b) * double(d * h + h * c) + 2.0 * double(b * h * c);
}

Stats sgemm_peak(std::size_t reps) {
  const std::size_t n = 2048;
  arma::arma_rng::set_seed(1);
  const arma::fmat a = arma::randu<arma::fmat>(n, n), b = arma::randu<arma::fmat>(n, n);
  arma::fmat c = a * b;  // warm-up
  std::vector<double> gflops;
  for (std::size_t r = 0; r < reps; ++r) {
    const auto t0 = Clock::now();
    c = a * b;
    gflops.push_back(2.0 * double(n) * double(n) * double(n) / seconds_since(t0) / 1e9);
  }
  return stats_of(gflops);
}

void print_stats(const std::string& label, const Stats& s, const std::string& unit, double scale = 1.0) {
  std::printf("  %-44s median %10.4f  min %10.4f  max %10.4f %s\n", label.c_str(), s.median * scale, s.min * scale,
              s.max * scale, unit.c_str());
}

Config parse(int argc, char** argv) {
  Config c;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::cout << "bench_training [--threads 2] [--reps 5] [--steps 20] [--agop-n 50000] [--brute-n 16] [--no-scaling] [--dat FILE]\n";
      std::exit(0);
    }
    if (flag == "--no-scaling") {
      c.scaling = false;
      continue;
    }
    if (i + 1 >= argc) throw std::invalid_argument(flag + " needs a value");
    const std::string value = argv[++i];
    if (flag == "--threads") c.threads = std::stoul(value);
    else if (flag == "--reps") c.reps = std::stoul(value);
    else if (flag == "--steps") c.steps = std::stoul(value);
    else if (flag == "--agop-n") c.agop_n = std::stoul(value);
    else if (flag == "--brute-n") c.brute_n = std::stoul(value);
    else if (flag == "--dat") c.dat = value;
    else throw std::invalid_argument("unknown flag " + flag + " (see --help)");
  }
  if (c.reps == 0 || c.steps < 3) throw std::invalid_argument("--reps must be positive and --steps at least 3");
  return c;
}

void run(const Config& cfg) {
  const std::size_t threads = vclab::set_blas_threads(cfg.threads);
  const std::size_t d = 3072, h = 256, classes = 10, batch = 64, epoch_steps = 782;
  std::printf("bench_training: 2-layer GELU %zu->%zu->%zu, batch %zu, float, %zu BLAS threads, %zu interleaved reps\n", d, h,
              classes, batch, threads, cfg.reps);

  // 1. Machine peak: 2048x2048 sgemm.
  const Stats peak = sgemm_peak(cfg.reps);
  std::printf("\n[sgemm 2048x2048]\n");
  print_stats("GFLOP/s", peak, "GFLOP/s");

  // 2. Per-step cost: bare, diag V, full V, interleaved.
  const vclab::Mlp<float> init(spec_of(d, h, classes), 3);
  const vclab::Dataset steps_data = random_dataset(d, cfg.steps * batch, classes, 4);
  std::map<VcMode, std::vector<double>> per_step;
  const std::vector<VcMode> modes{VcMode::none, VcMode::diag, VcMode::full};
  for (std::size_t r = 0; r < cfg.reps; ++r)
    for (auto m : modes) per_step[m].push_back(time_steps(init, steps_data, batch, m));
  const Stats bare = stats_of(per_step[VcMode::none]);
  const double flops = step_flops(d, h, classes, batch);
  std::printf("\n[SGD step, %zu timed steps per run] (ratios: median of per-rep ratios to bare)\n", cfg.steps - 1);
  for (auto m : modes) {
    std::vector<double> ratio;
    for (std::size_t r = 0; r < cfg.reps; ++r) ratio.push_back(per_step[m][r] / per_step[VcMode::none][r]);
    const Stats s = stats_of(per_step[m]), q = stats_of(ratio);
    print_stats(std::string(name_of(m)) + " step (ms)", s, "ms", 1e3);
    std::printf("  %-44s median %10.3f  min %10.3f  max %10.3f x bare\n", (std::string(name_of(m)) + " / bare").c_str(),
                q.median, q.min, q.max);
  }
  std::vector<double> gflops;
  for (double t : per_step[VcMode::none]) gflops.push_back(flops / t / 1e9);
  const Stats g = stats_of(gflops);
  print_stats("bare step GFLOP/s (" + std::to_string(flops / 1e6).substr(0, 6) + " MFLOP/step)", g, "GFLOP/s");
  std::printf("  bare step at %.1f%% of the sgemm peak (medians)\n", 100.0 * g.median / peak.median);
  std::printf("  bare epoch estimate (%zu steps): %.2f s\n", epoch_steps, bare.median * double(epoch_steps));

  // 3. Per-checkpoint cost: Gram + ΔG (both layers, written to HDF5) and AGOP over agop_n samples.
  const vclab::Dataset agop_data = random_dataset(d, cfg.agop_n, classes, 5);
  const std::filesystem::path tmp = std::filesystem::temp_directory_path() / ("vclab-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(tmp);
  std::map<std::string, std::vector<double>> checkpoint_s;
  std::size_t index = 0;
  const vclab::Network<float> init_net(init);
  for (std::size_t r = 0; r < cfg.reps; ++r) {
    for (auto mode : {vclab::RecordMode::diag, vclab::RecordMode::full}) {
      const std::string tag = mode == vclab::RecordMode::diag ? "diag" : "full";
      vclab::RecordingWriter writer(tmp / ("rec_" + tag + std::to_string(r) + ".h5"));
      vclab::GramRecorder<float> gram(writer, mode, {"gram", "dgram"});
      gram.on_begin(init_net);
      auto t0 = Clock::now();
      gram.on_checkpoint(init_net, vclab::CheckpointInfo{index++, 0, 0.0, 0.05, false});
      checkpoint_s["Gram+dG " + tag].push_back(seconds_since(t0));
      vclab::AgopRecorder<float> agop(writer, agop_data, vclab::Loss::cross_entropy, vclab::AgopOptions{mode, 0, false}, true, false);
      t0 = Clock::now();
      agop.on_checkpoint(init_net, vclab::CheckpointInfo{index++, 0, 0.0, 0.05, false});
      checkpoint_s["AGOP " + tag].push_back(seconds_since(t0));
      writer.close();
    }
  }
  std::filesystem::remove_all(tmp);
  std::printf("\n[per checkpoint, both layers, HDF5 write included; AGOP over N = %zu samples]\n", cfg.agop_n);
  for (const auto& [label, v] : checkpoint_s) {
    const Stats s = stats_of(v);
    print_stats(label + " (s)", s, "s");
    std::printf("  %-44s %10.3f bare epochs (%.1f bare steps)\n", (label + " / bare epoch").c_str(),
                s.median / (bare.median * double(epoch_steps)), s.median / bare.median);
  }

  // 4. AGOP cheap form versus brute force (layer 0, full d x d), brute force on a small N, extrapolated per sample.
  const arma::fmat brute_x = agop_data.x.cols(0, cfg.brute_n - 1);
  std::vector<double> brute_per_sample, cheap_per_sample;
  vclab::AgopOptions cheap_options{vclab::RecordMode::full, 0, false};
  for (std::size_t r = 0; r < std::max<std::size_t>(3, cfg.reps / 2); ++r) {
    auto t0 = Clock::now();
    const arma::mat brute = vclab::brute_force_agop(init, brute_x, 0, false);
    brute_per_sample.push_back(seconds_since(t0) / double(cfg.brute_n));
    t0 = Clock::now();
    const auto cheap = vclab::compute_agop(init, agop_data, cheap_options);
    cheap_per_sample.push_back(seconds_since(t0) / double(cfg.agop_n));
  }
  const Stats brute = stats_of(brute_per_sample), cheap = stats_of(cheap_per_sample);
  std::printf("\n[AGOP layer 0 full %zux%zu: cheap form (N = %zu, both layers) vs brute force (N = %zu, layer 0 only)]\n", d, d,
              cfg.agop_n, cfg.brute_n);
  print_stats("brute force per sample (ms)", brute, "ms", 1e3);
  print_stats("cheap form per sample (ms, incl. fixed W^T K W)", cheap, "ms", 1e3);
  std::printf("  brute force extrapolated to N = %zu: %.0f s; cheap form measured: %.2f s; ratio %.0fx\n", cfg.agop_n,
              brute.median * double(cfg.agop_n), cheap.median * double(cfg.agop_n), brute.median / cheap.median);

  // 5. Scaling with d, width and batch: per-step time (bare, diag V, full V) and AGOP (diag) per sample.
  if (cfg.scaling) {
    struct Point {
      std::string axis;
      std::size_t d, h, b;
    };
    std::vector<Point> points;
    for (std::size_t v : {768, 1536, 3072, 6144}) points.push_back({"d", v, 256, 64});
    for (std::size_t v : {64, 128, 256, 512, 1024}) points.push_back({"width", 3072, v, 64});
    for (std::size_t v : {16, 32, 64, 128, 256}) points.push_back({"batch", 3072, 256, v});
    const std::size_t scaling_reps = std::max<std::size_t>(3, cfg.reps / 2), agop_samples = 2000;
    std::ofstream out(cfg.dat);
    out << "# bench_training scaling: medians over " << scaling_reps << " interleaved reps, " << threads << " BLAS threads, float\n"
        << "# bare_floor_s: the bare step's FLOPs at this run's sgemm peak (" << peak.median << " GFLOP/s)\n"
        << "# axis value d width batch bare_step_s diag_v_step_s full_v_step_s agop_diag_per_sample_s bare_gflops bare_floor_s\n";
    std::printf("\n[scaling, %zu reps each] %-6s %6s %6s %6s %10s %10s %10s %14s\n", scaling_reps, "axis", "d", "width", "batch",
                "bare_ms", "diagV_ms", "fullV_ms", "agop_us/sample");
    for (const auto& p : points) {
      const vclab::Mlp<float> model(spec_of(p.d, p.h, classes), 3);
      const vclab::Dataset data = random_dataset(p.d, std::max<std::size_t>(cfg.steps / 2, 5) * p.b, classes, 6);
      const vclab::Dataset adata = random_dataset(p.d, agop_samples, classes, 7);
      std::map<VcMode, std::vector<double>> t;
      std::vector<double> agop_t;
      for (std::size_t r = 0; r < scaling_reps; ++r) {
        for (auto m : modes) t[m].push_back(time_steps(model, data, p.b, m));
        const auto t0 = Clock::now();
        vclab::compute_agop(model, adata, vclab::AgopOptions{vclab::RecordMode::diag, 0, false});
        agop_t.push_back(seconds_since(t0) / double(agop_samples));
      }
      const double b_s = stats_of(t[VcMode::none]).median, dv = stats_of(t[VcMode::diag]).median,
                   fv = stats_of(t[VcMode::full]).median, a = stats_of(agop_t).median;
      const double axis_value = p.axis == "d" ? double(p.d) : p.axis == "width" ? double(p.h) : double(p.b);
      out << p.axis << ' ' << axis_value << ' ' << p.d << ' ' << p.h << ' ' << p.b << ' ' << b_s << ' ' << dv << ' ' << fv << ' '
          << a << ' ' << step_flops(p.d, p.h, classes, p.b) / b_s / 1e9 << ' '
          << step_flops(p.d, p.h, classes, p.b) / (peak.median * 1e9) << '\n';
      std::printf("                  %-6s %6zu %6zu %6zu %10.3f %10.3f %10.3f %14.3f\n", p.axis.c_str(), p.d, p.h, p.b, b_s * 1e3,
                  dv * 1e3, fv * 1e3, a * 1e6);
    }
    std::printf("  wrote %s\n", cfg.dat.c_str());
  }
  std::printf("\n[memory] peak RSS of this process (getrusage ru_maxrss): %.0f MiB (includes the %zu-sample random dataset, %.0f MiB)\n",
              peak_rss_mib(), cfg.agop_n, double(d * cfg.agop_n * sizeof(float)) / (1024.0 * 1024.0));
}

}  // namespace

int main(int argc, char** argv) {
  try {
    run(parse(argc, argv));
  } catch (const std::exception& e) {
    std::cerr << "bench_training: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
