// Benchmark of one VCL layer step (Cha & Lee 2025, Appendix B Algorithm 1): full EVD path versus the
// warm-started TopEigenTracker path on a realistic sequence M_t = W_tᵀW_t + V_t, V_t += v_t (DESIGN.md).
// The fast path is structured by default (V·Q carried across steps, M never formed; --fast-path matrix
// gives the tracker the formed M instead). Neither timing includes forming M or updating V.
// Usage: bench_vcl_step [--d 3072] [--k 256] [--batch 64] [--steps 6] [--warmup 2] [--json FILE] (--help)
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include <armadillo>

#include "train/top_eigen.hpp"
#include "train/vcl_step.hpp"

namespace {

struct BenchConfig {
  std::size_t d = 3072;       // layer input width d_l (CIFAR: 3072)
  std::size_t k = 256;        // layer output width d_{l+1}
  std::size_t batch = 64;     // B, rank of each half of the virtual covariance shift
  std::size_t steps = 6;      // measured steps (after warm-up)
  std::size_t warmup = 2;     // steps run but not measured (the first is the tracker's cold start)
  double gamma = 0.1;         // learning rate γ
  double alpha = 0.1;         // VCL exponent α (paper default)
  double grad_scale = 1e-3;   // entry scale of the per-sample gradients G
  std::string precision = "float";  // float, double or both
  std::string fast_path = "structured";  // structured (update_shifted_gram) or matrix (update on formed M)
  std::string json;           // output file, empty for none
  vclab::TrackerOptions tracker;  // fast-path solver settings (defaults of TrackerOptions)
  unsigned seed = 7;
};

struct StepRow {
  std::size_t step = 0;
  double full_s = 0, fast_s = 0;
  std::size_t iterations = 0, block_columns = 0;
  bool used_full = false;
  double residual = 0, projector_diff = 0, weights_rel_diff = 0, gap = 0, lambda_k = 0;
  std::size_t n_clipped = 0;
};

struct Summary {
  std::string precision;
  std::vector<StepRow> rows;  // measured steps only
  double full_median = 0, full_min = 0, full_max = 0;
  double fast_median = 0, fast_min = 0, fast_max = 0;
  double speedup = 0, max_projector_diff = 0, max_weights_rel_diff = 0;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// ‖Q_a Q_aᵀ − Q_b Q_bᵀ‖_F / sqrt(k) = sqrt(2)·‖(I − Q_bQ_bᵀ) Q_a‖_F / sqrt(k) for orthonormal
// Q_a, Q_b (d, k), evaluated in double after re-orthonormalising both (float columns are only
// orthonormal to ~1e-7, which would swamp a small difference).
template <class T>
double projector_difference(const arma::Mat<T>& qa, const arma::Mat<T>& qb) {
  arma::mat a, b, ra, rb;
  arma::qr_econ(a, ra, arma::conv_to<arma::mat>::from(qa));
  arma::qr_econ(b, rb, arma::conv_to<arma::mat>::from(qb));
  const arma::mat outside = a - b * (b.t() * a);  // (d, k) part of span(Q_a) outside span(Q_b)
  return std::sqrt(2.0) * arma::norm(outside, "fro") / std::sqrt(static_cast<double>(a.n_cols));
}

template <class T>
Summary run(const BenchConfig& cfg) {
  using Mat = arma::Mat<T>;
  arma::arma_rng::set_seed(cfg.seed);
  const double gamma = cfg.gamma;
  Mat w = arma::randn<Mat>(cfg.k, cfg.d) / T(std::sqrt(double(cfg.d)));  // (k, d) W_0 ~ N(0, 1/d)
  Mat vc_shift(cfg.d, cfg.d, arma::fill::zeros);                         // (d, d) V
  vclab::VclStepOptions options;
  options.alpha = cfg.alpha;
  vclab::TopEigenTracker<T> tracker(cfg.k, cfg.tracker);

  Summary out;
  out.precision = std::is_same_v<T, float> ? "float" : "double";
  std::printf("\n[%s] d=%zu k=%zu batch=%zu gamma=%g alpha=%g tol=%g oversample=%zu low_guard=%zu fast-path=%s\n",
              out.precision.c_str(), cfg.d, cfg.k, cfg.batch, gamma, cfg.alpha, tracker.options().tol,
              tracker.options().oversample, tracker.options().low_guard, cfg.fast_path.c_str());
  std::printf("%5s %9s %9s %5s %7s %9s %11s %11s %9s %9s %4s\n", "step", "full_s", "fast_s", "iters",
              "cols", "resid", "proj_diff", "W_rel_diff", "lambda_k", "gap", "clip");
  for (std::size_t step = 0; step < cfg.warmup + cfg.steps; ++step) {
    // v = −γ(G Hᵀ + H Gᵀ) + γ² G Gᵀ with H (d, B) layer inputs in [0,1], G (d, B) small gradients.
    const Mat h = arma::randu<Mat>(cfg.d, cfg.batch);
    const Mat g = T(cfg.grad_scale) * arma::randn<Mat>(cfg.d, cfg.batch);
    const Mat gh = g * h.t();  // (d, d)
    vc_shift += T(-gamma) * (gh + gh.t()) + T(gamma * gamma) * (g * g.t());
    const Mat a = T(-gamma) * (h - T(gamma / 2) * g);  // (d, B) v = a gᵀ + g aᵀ
    const Mat target_gram = w.t() * w + vc_shift;  // (d, d) M = WᵀW + V

    // Full path, as vcl_layer_update(..., nullptr) runs it; k+1 pairs only to report the gap.
    auto t0 = std::chrono::steady_clock::now();
    vclab::TopEigen<T> ref = vclab::top_eigenpairs_full(target_gram, cfg.k + 1);
    const double gap = double(ref.values(cfg.k - 1)) - double(ref.values(cfg.k));
    ref.values = ref.values.head(cfg.k);
    ref.vectors = ref.vectors.head_cols(cfg.k);
    std::size_t n_clipped = 0;
    const Mat w_full = vclab::procrustes_align(w, vclab::vcl_target_weights(ref, cfg.alpha, &n_clipped));
    const double full_s = seconds_since(t0);

    t0 = std::chrono::steady_clock::now();
    const vclab::VclLayerResult<T> fast =
        cfg.fast_path == "structured" ? vclab::vcl_layer_update_shifted(w, w, vc_shift, a, g, options, tracker)
                                      : vclab::vcl_layer_update(w, target_gram, options, &tracker);
    const double fast_s = seconds_since(t0);

    StepRow row;
    row.step = step;
    row.full_s = full_s;
    row.fast_s = fast_s;
    row.iterations = fast.solver.iterations;
    row.block_columns = fast.solver.block_columns;
    row.used_full = fast.solver.used_full;
    row.residual = fast.solver.residual;
    row.projector_diff = projector_difference(tracker.current().vectors, ref.vectors);
    row.weights_rel_diff = double(arma::norm(fast.weights - w_full, "fro") / arma::norm(w_full, "fro"));
    row.gap = gap;
    row.lambda_k = double(ref.values(cfg.k - 1));
    row.n_clipped = n_clipped;
    std::printf("%5zu %9.4f %9.4f %5zu %7zu %9.2e %11.3e %11.3e %9.3g %9.3g %4zu%s%s\n", step, full_s, fast_s,
                row.iterations, row.block_columns, row.residual, row.projector_diff, row.weights_rel_diff,
                row.lambda_k, gap, n_clipped, row.used_full ? "  (full EVD)" : "",
                step < cfg.warmup ? "  [warm-up]" : "");
    std::fflush(stdout);
    if (step >= cfg.warmup) out.rows.push_back(row);
    w = w_full;  // "current" variant: the next Gram uses W⁺ (the reference one, so both paths see the same M)
  }

  std::vector<double> full_t, fast_t;
  for (const StepRow& r : out.rows) {
    full_t.push_back(r.full_s);
    fast_t.push_back(r.fast_s);
    out.max_projector_diff = std::max(out.max_projector_diff, r.projector_diff);
    out.max_weights_rel_diff = std::max(out.max_weights_rel_diff, r.weights_rel_diff);
  }
  if (!out.rows.empty()) {
    out.full_median = median(full_t);
    out.full_min = *std::min_element(full_t.begin(), full_t.end());
    out.full_max = *std::max_element(full_t.begin(), full_t.end());
    out.fast_median = median(fast_t);
    out.fast_min = *std::min_element(fast_t.begin(), fast_t.end());
    out.fast_max = *std::max_element(fast_t.begin(), fast_t.end());
    out.speedup = out.full_median / out.fast_median;
  }
  std::printf("[%s] per-step seconds over %zu steps: full median %.4f (min %.4f, max %.4f) | fast median %.4f "
              "(min %.4f, max %.4f) | speed-up %.1fx | max projector diff %.2e | max W+ rel diff %.2e\n",
              out.precision.c_str(), out.rows.size(), out.full_median, out.full_min, out.full_max, out.fast_median,
              out.fast_min, out.fast_max, out.speedup, out.max_projector_diff, out.max_weights_rel_diff);
  return out;
}

void write_json(const std::string& path, const BenchConfig& cfg, const std::vector<Summary>& results) {
  std::ofstream f(path);
  if (!f) throw std::runtime_error("cannot write " + path);
  f.precision(9);
  f << "{\n  \"benchmark\": \"vcl_step\",\n  \"d\": " << cfg.d << ",\n  \"k\": " << cfg.k << ",\n  \"batch\": "
    << cfg.batch << ",\n  \"steps\": " << cfg.steps << ",\n  \"warmup\": " << cfg.warmup << ",\n  \"gamma\": "
    << cfg.gamma << ",\n  \"alpha\": " << cfg.alpha << ",\n  \"seed\": " << cfg.seed << ",\n  \"fast_path\": \""
    << cfg.fast_path << "\",\n  \"tol\": " << cfg.tracker.tol << ",\n  \"oversample\": " << cfg.tracker.oversample
    << ",\n  \"results\": [";
  for (std::size_t i = 0; i < results.size(); ++i) {
    const Summary& s = results[i];
    f << (i ? "," : "") << "\n    {\"precision\": \"" << s.precision << "\", \"full_median_s\": " << s.full_median
      << ", \"full_min_s\": " << s.full_min << ", \"full_max_s\": " << s.full_max
      << ", \"fast_median_s\": " << s.fast_median << ", \"fast_min_s\": " << s.fast_min
      << ", \"fast_max_s\": " << s.fast_max << ", \"speedup_median\": " << s.speedup
      << ", \"max_projector_diff\": " << s.max_projector_diff
      << ", \"max_weights_rel_diff\": " << s.max_weights_rel_diff << ",\n     \"steps\": [";
    for (std::size_t j = 0; j < s.rows.size(); ++j) {
      const StepRow& r = s.rows[j];
      f << (j ? ", " : "") << "\n       {\"step\": " << r.step << ", \"full_s\": " << r.full_s
        << ", \"fast_s\": " << r.fast_s << ", \"iterations\": " << r.iterations
        << ", \"block_columns\": " << r.block_columns << ", \"used_full\": " << (r.used_full ? "true" : "false")
        << ", \"residual\": " << r.residual << ", \"projector_diff\": " << r.projector_diff
        << ", \"weights_rel_diff\": " << r.weights_rel_diff << ", \"lambda_k\": " << r.lambda_k
        << ", \"gap\": " << r.gap << ", \"n_clipped\": " << r.n_clipped << "}";
    }
    f << "]}";
  }
  f << "\n  ]\n}\n";
}

BenchConfig parse(int argc, char** argv) {
  BenchConfig cfg;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::cout << "bench_vcl_step [--d 3072] [--k 256] [--batch 64] [--steps 6] [--warmup 2] [--gamma 0.1]\n"
                   "               [--alpha 0.1] [--precision float|double|both] [--seed 7] [--json FILE]\n"
                   "               [--fast-path structured|matrix] [--tol 0 (auto)] [--oversample 32]\n"
                   "               [--low-guard 8] [--max-iters 8] [--refresh-every 64]\n";
      std::exit(0);
    }
    if (i + 1 >= argc) throw std::invalid_argument("missing value after " + flag);
    const std::string value = argv[++i];
    if (flag == "--d") cfg.d = std::stoul(value);
    else if (flag == "--k") cfg.k = std::stoul(value);
    else if (flag == "--batch") cfg.batch = std::stoul(value);
    else if (flag == "--steps") cfg.steps = std::stoul(value);
    else if (flag == "--warmup") cfg.warmup = std::stoul(value);
    else if (flag == "--gamma") cfg.gamma = std::stod(value);
    else if (flag == "--alpha") cfg.alpha = std::stod(value);
    else if (flag == "--precision") cfg.precision = value;
    else if (flag == "--seed") cfg.seed = static_cast<unsigned>(std::stoul(value));
    else if (flag == "--json") cfg.json = value;
    else if (flag == "--tol") cfg.tracker.tol = std::stod(value);
    else if (flag == "--oversample") cfg.tracker.oversample = std::stoul(value);
    else if (flag == "--low-guard") cfg.tracker.low_guard = std::stoul(value);
    else if (flag == "--max-iters") cfg.tracker.max_iters = std::stoul(value);
    else if (flag == "--refresh-every") cfg.tracker.refresh_every = std::stoul(value);
    else if (flag == "--fast-path") cfg.fast_path = value;
    else throw std::invalid_argument("unknown flag " + flag + " (see --help)");
  }
  if (cfg.k == 0 || cfg.k >= cfg.d) throw std::invalid_argument("need 0 < k < d");
  if (cfg.precision != "float" && cfg.precision != "double" && cfg.precision != "both") {
    throw std::invalid_argument("--precision must be float, double or both");
  }
  if (cfg.fast_path != "structured" && cfg.fast_path != "matrix") {
    throw std::invalid_argument("--fast-path must be structured or matrix");
  }
  return cfg;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const BenchConfig cfg = parse(argc, argv);
    std::vector<Summary> results;
    if (cfg.precision != "double") results.push_back(run<float>(cfg));
    if (cfg.precision != "float") results.push_back(run<double>(cfg));
    if (!cfg.json.empty()) write_json(cfg.json, cfg, results);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "bench_vcl_step: " << e.what() << "\n";
    return 1;
  }
}
