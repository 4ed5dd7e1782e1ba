// `vclab reproduce figure1`: the paper's Figure 1 (§3.1) — 2-layer GELU MLP, hidden 256, SGD lr 0.05 —
// over several seeds, with ρ of diag(V) and diag(AGOP) against diag(G) and diag(ΔG), figures, and a
// sensitivity table over the settings the paper leaves unstated. Writes OUT/README.md and OUT/summary.json.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <limits>
#include <memory>
#include <sstream>

#include "app/commands.hpp"
#include "app/run_analysis.hpp"
#include "app/summary_stats.hpp"
#include "app/train_run.hpp"
#include "data/data_dir.hpp"
#include "io/atomic_write.hpp"
#include "io/json_io.hpp"
#include "io/run_dir.hpp"
#include "io/run_info.hpp"
#include "io/usage_error.hpp"
#include "plot/heatmap.hpp"
#include "plot/line_plot.hpp"

namespace vclab {
namespace {

constexpr double kPaperRhoVc = 0.98;     // paper §3.1, Figure 1
constexpr double kPaperRhoAgop = 0.71;
constexpr double kPaperAccuracy = 0.46;

struct Figure1Options {
  std::string dataset = "auto";
  std::string data_dir;
  std::size_t seeds = 3;
  std::size_t epochs = 12;
  std::size_t batch = 64;
  double lr = 0.05;
  std::size_t train_size = 0;
  std::size_t agop_samples = 0;
  std::size_t threads = 0;
  bool sensitivity = true;
  std::string out;  // default reports/figure1/<dataset>
};

struct Figure1Run {
  std::string label;
  bool reused = false;  // taken from a finished run directory instead of trained now
  TrainSettings settings;
  double rho_vc_gram = NAN, rho_agop_gram = NAN, rho_vc_dgram = NAN, rho_agop_dgram = NAN;
  double spearman_vc_gram = NAN, spearman_agop_gram = NAN;
  double test_accuracy = NAN;
  double seconds = 0;
  bool diverged = false;
  std::vector<CorrelationRow> rows;
};

std::string resolve_dataset(const Figure1Options& o) {
  if (o.dataset != "auto") return o.dataset;
  if (search_data_dir("cifar10", o.data_dir).found) return "cifar10";
  std::cerr << "reproduce figure1: CIFAR-10 not found (" << (o.data_dir.empty() ? "searched the default places" : o.data_dir)
            << "); using Fashion-MNIST from the Debian package instead\n";
  return "fashion-mnist";
}

Figure1Run run_one(const std::string& label, const TrainSettings& settings, const DatasetSplit& data) {
  Figure1Run run;
  run.label = label;
  run.settings = settings;
  bool reused = false;
  if (const auto config = finished_run_config(settings)) {  // resumable: a finished run with identical settings is reused
    reused = true;
    run.reused = true;
    run.seconds = (*config)["result"].value("seconds", 0.0);
    run.diverged = config->value("status", "") == "diverged";
    run.test_accuracy = (*config)["result"].value("final_test_accuracy", std::numeric_limits<double>::quiet_NaN());  // NAN would make this a float
    std::cerr << "reproduce figure1: reusing finished run " << settings.out << " (" << label << ")\n";
  }
  if (!reused) {
    std::cerr << "reproduce figure1: training " << label << " -> " << settings.out << "\n";
    const TrainOutcome outcome = run_training(settings, data);
    run.seconds = outcome.seconds;
    run.diverged = outcome.result.diverged;
    run.test_accuracy = outcome.final_test_accuracy;
  }
  if (run.diverged) return run;
  run.rows = analyze_run(settings.out).correlations;
  plot_run(settings.out, &run.rows);
  run.rho_vc_gram = last_diagonal_correlation(run.rows, 0, "gram", "vc").pearson;
  run.rho_agop_gram = last_diagonal_correlation(run.rows, 0, "gram", "agop").pearson;
  run.rho_vc_dgram = last_diagonal_correlation(run.rows, 0, "dgram", "vc").pearson;
  run.rho_agop_dgram = last_diagonal_correlation(run.rows, 0, "dgram", "agop").pearson;
  run.spearman_vc_gram = last_diagonal_correlation(run.rows, 0, "gram", "vc").spearman;
  run.spearman_agop_gram = last_diagonal_correlation(run.rows, 0, "gram", "agop").spearman;
  std::cerr << "  test accuracy " << run.test_accuracy << ", rho(V,G) " << run.rho_vc_gram << ", rho(AGOP,G) "
            << run.rho_agop_gram << " (" << run.seconds << " s)\n";
  return run;
}

std::string fmt(double v, int digits = 3) { return format_fixed(v, digits); }

// ρ per epoch over seeds (layer 0, diagonal, Pearson), for the ρ-over-training figure and table.
std::map<double, SeedStats> rho_by_epoch(const std::vector<Figure1Run>& runs, const std::string& reference, const std::string& quantity) {
  std::map<double, SeedStats> out;
  for (const auto& run : runs)
    for (const auto& r : run.rows)
      if (r.layer == 0 && r.reference == reference && r.quantity == quantity && r.part == "diagonal")
        out[r.epoch].per_seed.push_back(r.value.pearson);
  return out;
}

Series band_series(const std::string& label, const std::map<double, SeedStats>& by_epoch) {
  std::vector<double> x, y, lo, hi;
  for (const auto& [epoch, stats] : by_epoch) {
    x.push_back(epoch);
    y.push_back(stats.mean());
    lo.push_back(stats.mean() - 2 * stats.std());
    hi.push_back(stats.mean() + 2 * stats.std());
  }
  return Series{label, arma::vec(x), arma::vec(y), arma::vec(lo), arma::vec(hi), true};
}

int reproduce_figure1(const Figure1Options& o) {
  const auto start = std::chrono::steady_clock::now();
  const std::string dataset = resolve_dataset(o);
  const std::filesystem::path out = o.out.empty() ? std::filesystem::path("reports/figure1") / dataset : std::filesystem::path(o.out);
  std::filesystem::create_directories(out);
  std::cout << "reproduce figure1: dataset " << dataset << ", output " << out.string() << "\n";

  TrainSettings base;
  base.dataset = dataset;
  base.data_dir = o.data_dir;
  base.train_size = o.train_size;
  base.hidden = {256};
  base.activation = "gelu";
  base.lr = o.lr;
  base.batch = o.batch;
  base.epochs = o.epochs;
  base.record = "gram,dgram,vc,agop";
  base.record_mode = "diag";
  base.record_every = "1";
  base.agop_samples = o.agop_samples;
  base.threads = o.threads;
  base.overwrite = true;
  base.save_weights = false;
  const DatasetSplit data = load_training_data(base);
  std::cout << "reproduce figure1: " << data.train.size() << " training images from "
            << (data.train.source_files.empty() ? std::string("?") : std::filesystem::path(data.train.source_files.front()).parent_path().string())
            << "\n";

  std::vector<Figure1Run> seeds;
  for (std::size_t k = 0; k < o.seeds; ++k) {
    TrainSettings s = base;
    s.seed = k;
    s.out = (out / "runs" / ("seed" + std::to_string(k))).string();
    seeds.push_back(run_one("seed " + std::to_string(k), s, data));
  }

  // Sensitivity to the unstated settings: one change at a time from the default, seed 0.
  std::vector<Figure1Run> variants;
  if (o.sensitivity) {
    struct Variant {
      std::string label;
      std::function<void(TrainSettings&)> apply;
    };
    const std::vector<Variant> list{
        {"batch 32", [](TrainSettings& s) { s.batch = 32; }},
        {"batch 128", [](TrainSettings& s) { s.batch = 128; }},
        {"init normal N(0,1/fan_in)", [](TrainSettings& s) { s.init = "normal"; }},
        {"with bias", [](TrainSettings& s) { s.bias = true; }},
        {"inputs in [-1,1]", [](TrainSettings& s) { s.normalize = "symmetric"; }},
        {"inputs centred per feature", [](TrainSettings& s) { s.normalize = "center"; }},
        {"lr 0.01", [](TrainSettings& s) { s.lr = 0.01; }},
    };
    for (std::size_t i = 0; i < list.size(); ++i) {
      TrainSettings s = base;
      list[i].apply(s);
      s.out = (out / "runs" / ("sensitivity" + std::to_string(i))).string();
      const bool new_data = s.normalize != base.normalize;
      variants.push_back(run_one(list[i].label, s, new_data ? load_training_data(s) : data));
    }
  }

  // Figures: heatmaps of seed 0, ρ over training (mean ± 2 std over seeds).
  const auto figures = out / "figures";
  std::filesystem::create_directories(figures);
  std::vector<std::string> figure_files;
  double g0_mean = NAN, g0_std = NAN, dg_mean = NAN, dg_std = NAN;
  if (!seeds.empty() && !seeds[0].diverged) {
    const auto rec = RecordingsReader::load(std::filesystem::path(seeds[0].settings.out) / "recordings.h5");
    const auto shape = recorded_image_shape(rec);
    auto diag0 = [&](const std::string& q) { return recording_diagonal(rec.last(q, 0)); };
    const arma::vec g0 = recording_diagonal(rec.series("gram", 0).front()), dg = diag0("dgram");
    g0_mean = arma::mean(g0);
    g0_std = arma::stddev(g0);
    dg_mean = arma::mean(dg);
    dg_std = arma::stddev(dg);
    if (!shape.empty()) {
      const std::vector<HeatmapPanel> panels{{"Weight covariance diag(W₀ᵀW₀)", diag0("gram")},
                                             {"AGOP  ρ = " + fmt(seeds[0].rho_agop_gram, 2), diag0("agop")},
                                             {"Virtual covariance  ρ = " + fmt(seeds[0].rho_vc_gram, 2), diag0("vc")}};
      plot_diagonal_heatmaps(figures, "figure1", panels, shape, FigureSize{FigureWidth::full, 2.2, 8}, false);
      figure_files.push_back("figure1");
      const std::vector<HeatmapPanel> dpanels{{"Gram change diag(ΔG₀)", diag0("dgram")},
                                              {"AGOP  ρ = " + fmt(seeds[0].rho_agop_dgram, 2), diag0("agop")},
                                              {"Virtual covariance  ρ = " + fmt(seeds[0].rho_vc_dgram, 2), diag0("vc")}};
      plot_diagonal_heatmaps(figures, "figure1_dgram", dpanels, shape, FigureSize{FigureWidth::full, 2.2, 8}, false);
      figure_files.push_back("figure1_dgram");
      if (shape.size() == 3 && shape[0] > 1) {
        plot_diagonal_heatmaps(figures, "figure1_per_channel", panels, shape, FigureSize{FigureWidth::full, 5.6, 8}, true);
        figure_files.push_back("figure1_per_channel");
      }
    }
  }
  const auto vc_by_epoch = rho_by_epoch(seeds, "gram", "vc"), agop_by_epoch = rho_by_epoch(seeds, "gram", "agop");
  const auto vcd_by_epoch = rho_by_epoch(seeds, "dgram", "vc"), agopd_by_epoch = rho_by_epoch(seeds, "dgram", "agop");
  if (vc_by_epoch.size() >= 2) {
    LinePanel panel{"ρ of diagonals, layer 0 (±2 std)", "epoch", "Pearson ρ", false, false,
                    {band_series("V vs G", vc_by_epoch), band_series("AGOP vs G", agop_by_epoch),
                     band_series("V vs ΔG", vcd_by_epoch), band_series("AGOP vs ΔG", agopd_by_epoch)}};
    panel.key = "bottom right";
    plot_lines(figures, "rho_over_training", panel, FigureSize{FigureWidth::column, 2.6, 8});
    figure_files.push_back("rho_over_training");
  }

  // summary.json
  SeedStats vc_g, agop_g, vc_dg, agop_dg, acc, sp_vc_g, sp_agop_g;
  std::size_t vc_wins = 0, finished = 0;
  for (const auto& r : seeds) {
    if (r.diverged) continue;
    ++finished;
    vc_g.per_seed.push_back(r.rho_vc_gram);
    agop_g.per_seed.push_back(r.rho_agop_gram);
    vc_dg.per_seed.push_back(r.rho_vc_dgram);
    agop_dg.per_seed.push_back(r.rho_agop_dgram);
    sp_vc_g.per_seed.push_back(r.spearman_vc_gram);
    sp_agop_g.per_seed.push_back(r.spearman_agop_gram);
    acc.per_seed.push_back(r.test_accuracy);
    vc_wins += r.rho_vc_gram > r.rho_agop_gram;
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  nlohmann::json summary;
  summary["dataset"] = dataset;
  summary["command"] = invocation();
  summary["git_revision"] = git_revision();
  summary["generated_utc"] = utc_timestamp();
  summary["wall_seconds"] = wall;
  summary["paper"] = {{"rho_vc_vs_gram", kPaperRhoVc}, {"rho_agop_vs_gram", kPaperRhoAgop}, {"test_accuracy", kPaperAccuracy},
                      {"dataset", "cifar10"}};
  summary["rho_vc_vs_gram"] = vc_g.to_json();
  summary["rho_agop_vs_gram"] = agop_g.to_json();
  summary["rho_vc_vs_dgram"] = vc_dg.to_json();
  summary["rho_agop_vs_dgram"] = agop_dg.to_json();
  summary["spearman_vc_vs_gram"] = sp_vc_g.to_json();
  summary["spearman_agop_vs_gram"] = sp_agop_g.to_json();
  summary["test_accuracy"] = acc.to_json();
  summary["seeds_where_vc_beats_agop"] = vc_wins;
  summary["seeds_finished"] = finished;
  summary["settings"] = to_json(base);
  summary["definitions"] = {{"rho", "Pearson correlation of the diagonals of layer-0 (pixel-space) matrices at the end of training"},
                            {"gram", "W_0^T W_0 at the end"},
                            {"dgram", "W_0^T W_0 - W_0(0)^T W_0(0)"},
                            {"vc", "sum over all SGD steps of sum_i (h+ h+^T - h h^T), h+ = x - lr * dL_batch/dx"},
                            {"agop", "(1/N) sum_i sum_c grad_x f_c grad_x f_c^T over the training set"}};
  nlohmann::json epochs = nlohmann::json::array();
  for (const auto& [epoch, stats] : vc_by_epoch)
    epochs.push_back({{"epoch", epoch}, {"rho_vc_vs_gram", stats.to_json()},
                      {"rho_agop_vs_gram", agop_by_epoch.count(epoch) ? agop_by_epoch.at(epoch).to_json() : nlohmann::json()}});
  summary["rho_by_epoch"] = epochs;
  nlohmann::json sens = nlohmann::json::array();
  for (const auto& v : variants)
    sens.push_back({{"variant", v.label}, {"diverged", v.diverged}, {"test_accuracy", v.test_accuracy},
                    {"rho_vc_vs_gram", v.rho_vc_gram}, {"rho_agop_vs_gram", v.rho_agop_gram},
                    {"rho_vc_vs_dgram", v.rho_vc_dgram}, {"rho_agop_vs_dgram", v.rho_agop_dgram}});
  summary["sensitivity"] = sens;
  write_json(out / "summary.json", summary);

  // README.md
  std::ostringstream md;
  double train_seconds = 0;
  std::size_t n_reused = 0, n_runs = 0;
  for (const auto* group : {&seeds, &variants})
    for (const auto& r : *group) {
      train_seconds += r.seconds;
      n_reused += r.reused;
      ++n_runs;
    }
  md << "# Figure 1 on " << dataset << ": Gram vs virtual covariance vs AGOP\n\n"
     << "Generated by `" << invocation() << "` at commit `" << git_revision() << "` on " << utc_timestamp() << " ("
     << fmt(wall / 60, 1) << " min wall time for this invocation, " << set_blas_threads(o.threads) << " BLAS threads). "
     << n_runs << " training runs took " << fmt(train_seconds / 60, 1) << " min in all"
     << (n_reused ? " (" + std::to_string(n_reused) + " of them finished earlier and were reused from runs/, settings identical)" : std::string())
     << ".\n\n"
     << "Setting (paper §3.1, with the unstated choices made explicit): 2-layer MLP " << data.train.dim() << " → 256 → "
     << data.train.n_classes << ", GELU (exact erf), no bias, PyTorch default init U(±1/√fan_in), cross-entropy, SGD lr "
     << o.lr << ", batch " << o.batch << ", " << o.epochs << " epochs, inputs scaled to [0, 1], " << data.train.size()
     << " training images; seeds 0.." << (o.seeds ? o.seeds - 1 : 0) << ". V is accumulated at every step in double; the AGOP is taken "
     << "over " << (o.agop_samples ? std::to_string(o.agop_samples) : std::string("all")) << " training images at the end. "
     << "ρ is the Pearson correlation of the diagonals of the layer-0 (pixel-space) matrices.\n\n";
  md << "## Paper vs measured\n\n| quantity | paper (CIFAR-10) | measured, mean ± std over " << finished << " seeds | per seed |\n|---|---|---|---|\n";
  auto per_seed = [](const SeedStats& s) {
    std::string t;
    for (double v : s.per_seed) t += (t.empty() ? "" : ", ") + fmt(v);
    return t;
  };
  md << "| ρ(diag V, diag G) | " << kPaperRhoVc << " | " << vc_g.format() << " | " << per_seed(vc_g) << " |\n"
     << "| ρ(diag AGOP, diag G) | " << kPaperRhoAgop << " | " << agop_g.format() << " | " << per_seed(agop_g) << " |\n"
     << "| ρ(diag V, diag ΔG) | — | " << vc_dg.format() << " | " << per_seed(vc_dg) << " |\n"
     << "| ρ(diag AGOP, diag ΔG) | — | " << agop_dg.format() << " | " << per_seed(agop_dg) << " |\n"
     << "| Spearman(diag V, diag G) | — | " << sp_vc_g.format() << " | " << per_seed(sp_vc_g) << " |\n"
     << "| Spearman(diag AGOP, diag G) | — | " << sp_agop_g.format() << " | " << per_seed(sp_agop_g) << " |\n"
     << "| test accuracy | " << kPaperAccuracy << " | " << acc.format() << " | " << per_seed(acc) << " |\n\n";
  md << "**V beats AGOP** (ρ against G) in " << vc_wins << " of " << finished << " seeds.\n\n";
  for (const auto& f : figure_files) md << "![" << f << "](figures/" << f << ".png)\n\n";
  md << "Each figure is in `figures/` as data (`.dat`), gnuplot script (`.gp`; rerun with `gnuplot -e \"fmt='pdf'\" NAME.gp` "
        "from that folder) and PDF/PNG/SVG.\n\n";
  md << "## ρ during training (layer 0, mean over seeds)\n\n| epoch | ρ(V, G) | ρ(AGOP, G) | ρ(V, ΔG) | ρ(AGOP, ΔG) |\n|---|---|---|---|---|\n";
  for (const auto& [epoch, stats] : vc_by_epoch)
    md << "| " << fmt(epoch, 0) << " | " << fmt(stats.mean()) << " | "
       << (agop_by_epoch.count(epoch) ? fmt(agop_by_epoch.at(epoch).mean()) : "n/a") << " | "
       << (vcd_by_epoch.count(epoch) ? fmt(vcd_by_epoch.at(epoch).mean()) : "n/a") << " | "
       << (agopd_by_epoch.count(epoch) ? fmt(agopd_by_epoch.at(epoch).mean()) : "n/a") << " |\n";
  if (!variants.empty()) {
    md << "\n## Sensitivity to the settings the paper does not state (seed 0, one change at a time)\n\n"
       << "| variant | test accuracy | ρ(V, G) | ρ(AGOP, G) | ρ(V, ΔG) | ρ(AGOP, ΔG) | V beats AGOP |\n|---|---|---|---|---|---|---|\n";
    if (!seeds.empty())
      md << "| default (batch " << o.batch << ", pytorch init, no bias, [0,1]) | " << fmt(seeds[0].test_accuracy) << " | "
         << fmt(seeds[0].rho_vc_gram) << " | " << fmt(seeds[0].rho_agop_gram) << " | " << fmt(seeds[0].rho_vc_dgram) << " | "
         << fmt(seeds[0].rho_agop_dgram) << " | " << (seeds[0].rho_vc_gram > seeds[0].rho_agop_gram ? "yes" : "no") << " |\n";
    for (const auto& v : variants)
      md << "| " << v.label << " | " << (v.diverged ? "diverged" : fmt(v.test_accuracy)) << " | " << fmt(v.rho_vc_gram) << " | "
         << fmt(v.rho_agop_gram) << " | " << fmt(v.rho_vc_dgram) << " | " << fmt(v.rho_agop_dgram) << " | "
         << (v.diverged ? "—" : (v.rho_vc_gram > v.rho_agop_gram ? "yes" : "no")) << " |\n";
  }
  md << "\n## Where and why the numbers differ from the paper\n\n";
  md << "- ρ(V, G): measured " << fmt(vc_g.mean()) << " vs the paper's " << kPaperRhoVc << "; ρ(AGOP, G): measured "
     << fmt(agop_g.mean()) << " vs " << kPaperRhoAgop << ".";
  if (dataset != "cifar10") md << " This run is on " << dataset << ", not the paper's CIFAR-10, so the numbers are not directly comparable.";
  if (!variants.empty() && !seeds.empty()) {
    // Which single change brings the pair (ρ(V,G), ρ(AGOP,G)) closest to the paper's (0.98, 0.71)?
    const Figure1Run* closest = &seeds[0];
    auto distance = [](const Figure1Run& r) { return std::abs(r.rho_vc_gram - kPaperRhoVc) + std::abs(r.rho_agop_gram - kPaperRhoAgop); };
    for (const auto& v : variants)
      if (!v.diverged && distance(v) < distance(*closest)) closest = &v;
    md << "\n- Of the settings tried, the one closest to the paper's pair (" << kPaperRhoVc << ", " << kPaperRhoAgop << ") is **"
       << (closest == &seeds[0] ? std::string("the default") : closest->label) << "**: ρ(V, G) = " << fmt(closest->rho_vc_gram)
       << ", ρ(AGOP, G) = " << fmt(closest->rho_agop_gram) << " (seed 0). ρ(AGOP, G) ranges from " ;
    double lo = seeds[0].rho_agop_gram, hi = lo, vlo = seeds[0].rho_vc_gram, vhi = vlo;
    for (const auto& v : variants)
      if (!v.diverged) {
        lo = std::min(lo, v.rho_agop_gram);
        hi = std::max(hi, v.rho_agop_gram);
        vlo = std::min(vlo, v.rho_vc_gram);
        vhi = std::max(vhi, v.rho_vc_gram);
      }
    md << fmt(lo) << " to " << fmt(hi) << " (spread " << fmt(hi - lo) << ") across these settings and ρ(V, G) from "
       << fmt(vlo) << " to " << fmt(vhi) << " (spread " << fmt(vhi - vlo) << "); the "
       << (hi - lo > vhi - vlo ? "AGOP" : "virtual-covariance") << " correlation is the more sensitive one here.";
  }
  md << "\n- diag(G) = diag(G(0)) + diag(ΔG). The initial Gram is a nearly flat random background: in seed 0, diag(G(0)) has mean "
     << fmt(g0_mean, 4) << " and std " << fmt(g0_std, 4) << " across pixels, while the change training made, diag(ΔG), has mean "
     << fmt(dg_mean, 4) << " and std " << fmt(dg_std, 4) << ". ρ against G therefore depends on how far training moved W_0 "
        "relative to its initial scale (lr, epochs, init). Against ΔG, the part training produced, Theorem 2 predicts "
        "ΔG = V + γ²·residual exactly; the ΔG rows measure that directly.\n"
     << "- The paper does not state batch size, epochs, init, bias or input scaling; the sensitivity table shows how much "
        "each moves ρ. Its model reached 46% test accuracy; ours reached " << fmt(acc.mean()) << " after " << o.epochs << " epochs.\n"
     << "- Correlations are on diagonals only (as the paper); `analysis/correlations.csv` in each run holds Spearman and "
        "cosine too, and `vclab train --record-mode full` gives full-matrix (upper-triangle) correlations and AGOP^{1/2}.\n";
  write_file_atomically(out / "README.md", md.str());
  std::cout << "reproduce figure1: dataset " << dataset << "; rho(V,G) " << vc_g.format() << ", rho(AGOP,G) " << agop_g.format()
            << ", rho(V,dG) " << vc_dg.format() << ", rho(AGOP,dG) " << agop_dg.format() << ", test accuracy " << acc.format()
            << "\nwrote " << (out / "README.md").string() << " and " << (out / "summary.json").string() << "\n";
  return finished == seeds.size() ? 0 : 1;
}

}  // namespace

void register_reproduce_figure1(CLI::App& reproduce, CommandRegistry& registry) {
  auto o = std::make_shared<Figure1Options>();
  auto* cmd = reproduce.add_subcommand("figure1", "Figure 1: ρ of diag(V) and diag(AGOP) against diag(W0ᵀW0) over seeds, figures, sensitivity table");
  cmd->option_defaults()->always_capture_default();
  cmd->add_option("--dataset", o->dataset, "auto (CIFAR-10 if found, else Fashion-MNIST) | cifar10 | fashion-mnist | mnist | ...");
  cmd->add_option("--data-dir", o->data_dir, "Dataset directory (default: the usual search)");
  cmd->add_option("--seeds", o->seeds, "Number of seeds (0..N-1)");
  cmd->add_option("--epochs", o->epochs, "Epochs (12 reach about the paper's 46% on CIFAR-10)");
  cmd->add_option("--batch", o->batch, "Mini-batch size (the successor paper's code uses 64)");
  cmd->add_option("--lr", o->lr, "SGD learning rate (paper: 0.05)");
  cmd->add_option("--train-size", o->train_size, "Use the first N training images (0 = all)");
  cmd->add_option("--agop-samples", o->agop_samples, "AGOP over the first N training images (0 = all)");
  cmd->add_option("--threads", o->threads, "BLAS threads (0 = all cores)");
  cmd->add_flag("--sensitivity,!--no-sensitivity", o->sensitivity, "Also run the one-change-at-a-time sensitivity variants");
  cmd->add_option("--out", o->out, "Output directory (default reports/figure1/<dataset>)");
  registry.add(cmd, [o] { return reproduce_figure1(*o); });
}

}  // namespace vclab
