// Benchmark of one VCL layer step (Cha & Lee 2025, Appendix B Algorithm 1): full EVD path versus the
// warm-started TopEigenTracker path on a realistic sequence M_t = W_tᵀW_t + V_t, V_t += v_t (docs/vcl_eigen_step.md).
// The fast path is structured by default (M·Q = V·Q + Wᵀ(W·Q), M never formed; --fast-path matrix gives the
// tracker the formed M instead). Neither timing includes forming M or updating V. Per step it prints the
// tracker's certificate beside the true error against the full EVD (‖sin Θ‖_F, projector and W⁺ differences).
// Usage: bench_vcl_step [--d 3072] [--k 256] [--batch 64] [--steps 20] [--warmup 2] [--json FILE] (--help)
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

#include "train/allocator_tuning.hpp"
#include "train/top_eigen.hpp"
#include "train/vcl_step.hpp"

namespace {

struct BenchConfig {
  std::size_t d = 3072;       // layer input width d_l (CIFAR: 3072)
  std::size_t k = 256;        // layer output width d_{l+1}
  std::size_t batch = 64;     // B, rank of each half of the virtual covariance shift
  std::size_t steps = 20;     // measured steps (after warm-up)
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
  double full_s = 0, fast_s = 0, procrustes_s = 0;  // eigen-step seconds of each path; W̃ + Procrustes
  std::size_t products = 0;
  bool used_full = false;
  double residual = 0, first_certificate = 0, certificate = 0, sin_theta = 0, projector_diff = 0, weights_rel_diff = 0, gap = 0, lambda_k = 0;
  std::size_t n_clipped = 0;
};

struct Summary {
  std::string precision;
  std::vector<StepRow> rows;  // measured steps only
  double full_median = 0, full_min = 0, full_max = 0;
  double fast_median = 0, fast_min = 0, fast_max = 0;
  double speedup = 0, max_projector_diff = 0, max_weights_rel_diff = 0;
  double procrustes_median = 0, layer_speedup = 0;  // the whole layer step: eigen-step + W̃ + Procrustes
  std::size_t certificate_below_truth = 0;  // steps whose certificate was below the true ‖sin Θ‖_F
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
// Also returns ‖sin Θ‖_F = ‖(I − Q_bQ_bᵀ) Q_a‖_F in *sin_theta, what the tracker's certificate estimates.
template <class T>
double projector_difference(const arma::Mat<T>& qa, const arma::Mat<T>& qb, double* sin_theta) {
  arma::mat a, b, ra, rb;
  arma::qr_econ(a, ra, arma::conv_to<arma::mat>::from(qa));
  arma::qr_econ(b, rb, arma::conv_to<arma::mat>::from(qb));
  const arma::mat outside = a - b * (b.t() * a);  // (d, k) part of span(Q_a) outside span(Q_b)
  *sin_theta = arma::norm(outside, "fro");
  return std::sqrt(2.0) * *sin_theta / std::sqrt(static_cast<double>(a.n_cols));
}

template <class T>
Summary run(const BenchConfig& cfg) {
  using Mat = arma::Mat<T>;
  arma::arma_rng::set_seed(cfg.seed);
  const double gamma = cfg.gamma;
  Mat w = arma::randn<Mat>(cfg.k, cfg.d) / T(std::sqrt(double(cfg.d)));  // (k, d) W_0 ~ N(0, 1/d)
  Mat vc_shift(cfg.d, cfg.d, arma::fill::zeros);                         // (d, d) V
  vclab::TopEigenTracker<T> tracker(cfg.k, cfg.tracker);

  Summary out;
  out.precision = std::is_same_v<T, float> ? "float" : "double";
  std::printf("\n[%s] d=%zu k=%zu batch=%zu gamma=%g alpha=%g tol=%g tol_relative=%g oversample=%zu low_guard=%zu max_extra=%zu "
              "fast-path=%s\n",
              out.precision.c_str(), cfg.d, cfg.k, cfg.batch, gamma, cfg.alpha, tracker.options().tol, tracker.options().tol_relative,
              tracker.options().oversample, tracker.options().low_guard, tracker.options().max_extra, cfg.fast_path.c_str());
  std::printf("%5s %9s %9s %5s %9s %11s %11s %11s %11s %11s %9s %9s %4s\n", "step", "full_s", "fast_s", "prods",
              "resid", "first_cert", "certificate", "sin_theta_F", "proj_diff", "W_rel_diff", "lambda_k", "gap", "clip");
  Mat prev_ref;  // (d, k) the previous step's exact top-k eigenvectors
  for (std::size_t step = 0; step < cfg.warmup + cfg.steps; ++step) {
    // v = −γ(G Hᵀ + H Gᵀ) + γ² G Gᵀ with H (d, B) layer inputs in [0,1], G (d, B) small gradients.
    const Mat h = arma::randu<Mat>(cfg.d, cfg.batch);
    const Mat g = T(cfg.grad_scale) * arma::randn<Mat>(cfg.d, cfg.batch);
    const Mat gh = g * h.t();  // (d, d)
    vc_shift += T(-gamma) * (gh + gh.t()) + T(gamma * gamma) * (g * g.t());
    const Mat a = T(-gamma) * (h - T(gamma / 2) * g);  // (d, B) v = a gᵀ + g aᵀ
    const Mat target_gram = w.t() * w + vc_shift;  // (d, d) M = WᵀW + V

    // Eigen-step, full path (what vcl_layer_update(..., nullptr) runs); k+1 pairs only to report the gap.
    auto t0 = std::chrono::steady_clock::now();
    vclab::TopEigen<T> ref = vclab::top_eigenpairs_full(target_gram, cfg.k + 1);
    const double full_s = seconds_since(t0);
    const double gap = double(ref.values(cfg.k - 1)) - double(ref.values(cfg.k));
    ref.values = ref.values.head(cfg.k);
    ref.vectors = ref.vectors.head_cols(cfg.k);
    // The rest of the layer step, shared by both paths: W̃ = Λ^α Qᵀ and the Procrustes rotation.
    t0 = std::chrono::steady_clock::now();
    std::size_t n_clipped = 0;
    const Mat w_full = vclab::procrustes_align(w, vclab::vcl_target_weights(ref, cfg.alpha, &n_clipped));
    const double procrustes_s = seconds_since(t0);

    // Eigen-step, fast path: the tracker (structured: M never formed).
    t0 = std::chrono::steady_clock::now();
    const vclab::TopEigen<T>& top = cfg.fast_path == "structured" ? tracker.update_shifted_gram(w, vc_shift, a, g)
                                                                  : tracker.update(target_gram);
    const double fast_s = seconds_since(t0);
    const Mat w_fast = vclab::procrustes_align(w, vclab::vcl_target_weights(top, cfg.alpha, nullptr));
    const vclab::TrackerStats solver = tracker.stats();

    StepRow row;
    row.step = step;
    row.full_s = full_s;
    row.fast_s = fast_s;
    row.procrustes_s = procrustes_s;
    row.products = solver.products;
    row.used_full = solver.used_full;
    row.residual = solver.residual;
    row.certificate = solver.certificate;
    row.first_certificate = solver.first_certificate;
    row.projector_diff = projector_difference(tracker.current().vectors, ref.vectors, &row.sin_theta);
    row.weights_rel_diff = double(arma::norm(w_fast - w_full, "fro") / arma::norm(w_full, "fro"));
    row.gap = gap;
    row.lambda_k = double(ref.values(cfg.k - 1));
    row.n_clipped = n_clipped;
    std::printf("%5zu %9.4f %9.4f %5zu %9.2e %11.3e %11.3e %11.3e %11.3e %11.3e %9.3g %9.3g %4zu%s%s\n", step, full_s,
                fast_s, row.products, row.residual, row.first_certificate, row.certificate, row.sin_theta, row.projector_diff, row.weights_rel_diff,
                row.lambda_k, gap, n_clipped, row.used_full ? "  (full EVD)" : "",
                step < cfg.warmup ? "  [warm-up]" : "");
    std::fflush(stdout);
    if (!prev_ref.is_empty()) {
      double moved = 0;
      projector_difference(prev_ref, ref.vectors, &moved);
      std::printf("      true top-k subspace moved since the previous step: sin_theta_F %.3e\n", moved);
    }
    prev_ref = ref.vectors;
    if (step >= cfg.warmup) out.rows.push_back(row);
    w = w_full;  // "current" variant: the next Gram uses W⁺ (the reference one, so both paths see the same M)
  }

  std::vector<double> full_t, fast_t, procrustes_t, full_layer_t, fast_layer_t;
  for (const StepRow& r : out.rows) {
    full_t.push_back(r.full_s);
    fast_t.push_back(r.fast_s);
    procrustes_t.push_back(r.procrustes_s);
    full_layer_t.push_back(r.full_s + r.procrustes_s);
    fast_layer_t.push_back(r.fast_s + r.procrustes_s);
    out.max_projector_diff = std::max(out.max_projector_diff, r.projector_diff);
    out.max_weights_rel_diff = std::max(out.max_weights_rel_diff, r.weights_rel_diff);
    if (!r.used_full && r.certificate < r.sin_theta) ++out.certificate_below_truth;
  }
  if (!out.rows.empty()) {
    out.full_median = median(full_t);
    out.full_min = *std::min_element(full_t.begin(), full_t.end());
    out.full_max = *std::max_element(full_t.begin(), full_t.end());
    out.fast_median = median(fast_t);
    out.fast_min = *std::min_element(fast_t.begin(), fast_t.end());
    out.fast_max = *std::max_element(fast_t.begin(), fast_t.end());
    out.speedup = out.full_median / out.fast_median;
    out.procrustes_median = median(procrustes_t);
    out.layer_speedup = median(full_layer_t) / median(fast_layer_t);
  }
  std::printf("[%s] per-step seconds over %zu steps: full median %.4f (min %.4f, max %.4f) | fast median %.4f "
              "(min %.4f, max %.4f) | eigen-step speed-up %.1fx | W~ + Procrustes median %.4f, layer-step speed-up %.1fx | "
              "max projector diff %.2e | max W+ rel diff %.2e | certificate below the true error on %zu steps\n",
              out.precision.c_str(), out.rows.size(), out.full_median, out.full_min, out.full_max, out.fast_median,
              out.fast_min, out.fast_max, out.speedup, out.procrustes_median, out.layer_speedup, out.max_projector_diff,
              out.max_weights_rel_diff, out.certificate_below_truth);
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
      << ", \"procrustes_median_s\": " << s.procrustes_median << ", \"layer_speedup_median\": " << s.layer_speedup
      << ", \"max_projector_diff\": " << s.max_projector_diff
      << ", \"max_weights_rel_diff\": " << s.max_weights_rel_diff
      << ", \"certificate_below_truth\": " << s.certificate_below_truth << ",\n     \"steps\": [";
    for (std::size_t j = 0; j < s.rows.size(); ++j) {
      const StepRow& r = s.rows[j];
      f << (j ? ", " : "") << "\n       {\"step\": " << r.step << ", \"full_s\": " << r.full_s
        << ", \"fast_s\": " << r.fast_s << ", \"products\": " << r.products
        << ", \"used_full\": " << (r.used_full ? "true" : "false") << ", \"residual\": " << r.residual
        << ", \"first_certificate\": " << r.first_certificate << ", \"certificate\": " << r.certificate << ", \"sin_theta_fro\": " << r.sin_theta
        << ", \"projector_diff\": " << r.projector_diff
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
                   "               [--fast-path structured|matrix] [--tol 0.01] [--tol-relative 0.1] [--oversample 32]\n"
                   "               [--low-guard 8] [--max-extra 1] [--refresh-every 500]\n";
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
    else if (flag == "--tol-relative") cfg.tracker.tol_relative = std::stod(value);
    else if (flag == "--oversample") cfg.tracker.oversample = std::stoul(value);
    else if (flag == "--low-guard") cfg.tracker.low_guard = std::stoul(value);
    else if (flag == "--max-extra") cfg.tracker.max_extra = std::stoul(value);
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
  vclab::tune_allocator_for_training();
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
