// `vclab reproduce cnn` (issue 18): a small CNN on CIFAR-10 (Fashion-MNIST when it is absent) — conv 32, 64 (3 × 3,
// 'same', 2 × 2 max pooling), one hidden layer of 256, GELU — over several seeds: per conv layer ρ of diag V and of
// the diagonal patch-AGOP against diag G (and the convolutional NFA's WᵀW against AGOP^½, full matrices), then VCL
// against SGD on the same net. Writes OUT/README.md and OUT/summary.json.
// Stages: protocol, run (train or reuse), analyse (statistics over seeds), write report.
#include <chrono>
#include <cmath>
#include <iostream>
#include <memory>
#include <sstream>

#include "app/commands.hpp"
#include "app/reproduce/provenance.hpp"
#include "app/reproduce/seed_stats.hpp"
#include "app/run_analysis.hpp"
#include "app/train_run.hpp"
#include "io/atomic_write.hpp"
#include "io/csv_table.hpp"
#include "io/json_io.hpp"
#include "train/paper_defaults.hpp"

namespace vclab {
namespace {

// ---- Protocol --------------------------------------------------------------------------------------------------------
struct CnnProtocol {
  static constexpr std::size_t kernel = 3;
  static constexpr Pooling pool = Pooling::max;
  static constexpr Activation activation = Activation::gelu;
  static constexpr const char* record = "gram,dgram,vc,agop";  // conv layers in full, the dense head diag
  static constexpr RecordMode record_mode = RecordMode::diag;
};
using Protocol = CnnProtocol;

struct CnnOptions {
  std::string dataset = "auto";
  std::string data_dir;
  std::vector<std::size_t> conv{32, 64};
  std::vector<std::size_t> hidden{256};
  std::size_t seeds = 3;
  std::size_t epochs = 5;         // SGD
  std::size_t vcl_epochs = 3;     // VCL, the first a warm-up of the last layer
  double lr = kPaperLearningRate; // SGD γ
  double vcl_lr = 1.0;            // VCL's γ of the virtual update
  std::size_t train_size = 0;
  std::size_t agop_samples = 5000;  // one patch-AGOP costs C backward passes per batch
  std::size_t threads = 0;
  bool vcl = true;
  std::string out;  // default reports/cnn
};

std::string fmt_list(const std::vector<std::size_t>& values) {
  std::string text;
  for (std::size_t v : values) text += (text.empty() ? "" : ", ") + std::to_string(v);
  return text;
}

TrainSettings base_settings(const CnnOptions& o, const std::string& dataset) {
  return {.dataset = dataset, .data_dir = o.data_dir, .train_size = o.train_size,
          .conv = o.conv, .kernel = Protocol::kernel, .pool = Protocol::pool, .hidden = o.hidden, .activation = Protocol::activation,
          .lr = o.lr, .epochs = o.epochs, .threads = o.threads,
          .record = Protocol::record, .record_mode = Protocol::record_mode, .agop_samples = o.agop_samples,
          .overwrite = true, .save_weights = false};
}

TrainSettings vcl_settings(const CnnOptions& o, TrainSettings s) {
  s.optimizer = Optimizer::vcl;
  s.lr = o.vcl_lr;
  s.vcl_last_lr = o.lr;
  s.epochs = o.vcl_epochs;
  s.record = "none";
  return s;
}

// ---- Run ---------------------------------------------------------------------------------------------------------------
struct CnnRun {
  ReportRun run;
  std::vector<double> rho_vc, rho_agop, nfa;  // per conv layer: Pearson of diagonals; NFA: WᵀW vs AGOP^½, upper triangles
  std::vector<double> test_accuracy;          // per epoch, epoch 0 first (metrics.csv)
};

double last_upper_correlation(const std::vector<CorrelationRow>& rows, std::size_t layer, const std::string& quantity) {
  double value = NAN;  // rows are in checkpoint order: the last match is the last checkpoint
  for (const auto& r : rows)
    if (r.layer == layer && r.reference == "gram" && r.quantity == quantity && r.part == "upper_triangle") value = r.value.pearson;
  return value;
}

CnnRun run_one(const std::string& label, const TrainSettings& s, const DatasetSplit& data) {
  CnnRun r;
  r.run = train_or_reuse(s, data, "cnn", label);
  if (r.run.diverged) return r;
  r.test_accuracy = finished_epochs_column(read_csv(std::filesystem::path(s.out) / "metrics.csv"), "test_accuracy");
  if (s.record == "none") return r;
  const std::vector<CorrelationRow> rows = analyze_run(s.out).correlations;
  plot_run(s.out, &rows);
  for (std::size_t l = 0; l < s.conv.size(); ++l) {
    r.rho_vc.push_back(last_diagonal_correlation(rows, l, "gram", "vc").pearson);
    r.rho_agop.push_back(last_diagonal_correlation(rows, l, "gram", "agop").pearson);
    r.nfa.push_back(last_upper_correlation(rows, l, "agop^0.5"));
  }
  return r;
}

struct CnnRuns {
  std::vector<CnnRun> sgd, vcl;
};

CnnRuns run_all(const CnnOptions& o, const TrainSettings& base, const DatasetSplit& data, const std::filesystem::path& out) {
  CnnRuns runs;
  for (std::size_t k = 0; k < o.seeds; ++k) {
    TrainSettings s = base;
    s.seed = k;
    s.out = (out / "runs" / ("sgd_seed" + std::to_string(k))).string();
    runs.sgd.push_back(run_one("SGD seed " + std::to_string(k), s, data));
    if (!o.vcl) continue;
    TrainSettings v = vcl_settings(o, s);
    v.out = (out / "runs" / ("vcl_seed" + std::to_string(k))).string();
    runs.vcl.push_back(run_one("VCL seed " + std::to_string(k), v, data));
  }
  return runs;
}

// ---- Analyse -------------------------------------------------------------------------------------------------------------
struct CnnStats {
  std::vector<SeedStats> rho_vc, rho_agop, nfa;  // per conv layer
  std::vector<SeedStats> sgd_accuracy, vcl_accuracy;  // per epoch
  std::size_t sgd_finished = 0, vcl_finished = 0;
};

void add_per_epoch(std::vector<SeedStats>& by_epoch, const std::vector<double>& values) {
  if (by_epoch.size() < values.size()) by_epoch.resize(values.size());
  for (std::size_t e = 0; e < values.size(); ++e) by_epoch[e].per_seed.push_back(values[e]);
}

CnnStats seed_statistics(const CnnRuns& runs, std::size_t n_conv) {
  CnnStats st;
  st.rho_vc.resize(n_conv);
  st.rho_agop.resize(n_conv);
  st.nfa.resize(n_conv);
  for (const CnnRun& r : runs.sgd) {
    if (r.run.diverged) continue;
    ++st.sgd_finished;
    for (std::size_t l = 0; l < n_conv; ++l) {
      st.rho_vc[l].per_seed.push_back(r.rho_vc[l]);
      st.rho_agop[l].per_seed.push_back(r.rho_agop[l]);
      st.nfa[l].per_seed.push_back(r.nfa[l]);
    }
    add_per_epoch(st.sgd_accuracy, r.test_accuracy);
  }
  for (const CnnRun& r : runs.vcl) {
    if (r.run.diverged) continue;
    ++st.vcl_finished;
    add_per_epoch(st.vcl_accuracy, r.test_accuracy);
  }
  return st;
}

// ---- Write report ----------------------------------------------------------------------------------------------------
struct CnnReport {
  CnnOptions options;
  std::string dataset;
  CnnRuns runs;
  CnnStats st;
  double wall = 0;
  Provenance provenance;
};

nlohmann::json stats_json(const std::vector<SeedStats>& list) {
  nlohmann::json out = nlohmann::json::array();
  for (const SeedStats& s : list) out.push_back(s.to_json());
  return out;
}

nlohmann::json summary_json(const CnnReport& r) {
  const CnnOptions& o = r.options;
  nlohmann::json j;
  r.provenance.add_to(j);
  j["dataset"] = r.dataset;
  j["protocol"] = {{"conv", o.conv}, {"kernel", Protocol::kernel}, {"pool", to_string(Protocol::pool)},
                   {"hidden", o.hidden}, {"activation", to_string(Protocol::activation)}, {"seeds", o.seeds},
                   {"sgd_epochs", o.epochs}, {"sgd_lr", o.lr}, {"vcl_epochs", o.vcl_epochs}, {"vcl_lr", o.vcl_lr},
                   {"vcl_last_lr", o.lr}, {"train_size", o.train_size}, {"agop_samples", o.agop_samples}};
  j["conv_layers"] = {{"rho_vc_gram", stats_json(r.st.rho_vc)}, {"rho_agop_gram", stats_json(r.st.rho_agop)},
                      {"nfa_gram_vs_agop_sqrt_upper", stats_json(r.st.nfa)}};
  j["test_accuracy_by_epoch"] = {{"sgd", stats_json(r.st.sgd_accuracy)}, {"vcl", stats_json(r.st.vcl_accuracy)}};
  j["finished"] = {{"sgd", r.st.sgd_finished}, {"vcl", r.st.vcl_finished}};
  j["wall_seconds"] = r.wall;
  return j;
}

void rho_table_markdown(std::ostream& md, const CnnStats& st) {
  md << "## ρ per conv layer (SGD runs, last checkpoint, mean ± std over seeds)\n\n"
     << "| conv layer | ρ(diag V, diag G) | ρ(diag patch-AGOP, diag G) | NFA: ρ(WᵀW, AGOP^½), upper triangles |\n|---|---|---|---|\n";
  for (std::size_t l = 0; l < st.rho_vc.size(); ++l)
    md << "| " << l << " | " << st.rho_vc[l].format() << " | " << st.rho_agop[l].format() << " | " << st.nfa[l].format() << " |\n";
  md << "\nPearson correlations in the patch space c_in k² of each layer (docs/conv_layers.md). Per-seed values are in "
        "summary.json; each run's own figures are under runs/*/figures.\n\n";
}

void accuracy_table_markdown(std::ostream& md, const CnnStats& st) {
  md << "## VCL against SGD on the same CNN (test accuracy, mean ± std over seeds)\n\n| epoch | SGD | VCL |\n|---|---|---|\n";
  const std::size_t n = std::max(st.sgd_accuracy.size(), st.vcl_accuracy.size());
  for (std::size_t e = 0; e < n; ++e)
    md << "| " << e << " | " << (e < st.sgd_accuracy.size() ? st.sgd_accuracy[e].format() : "") << " | "
       << (e < st.vcl_accuracy.size() ? st.vcl_accuracy[e].format() : "") << " |\n";
  md << "\nVCL's first epoch trains only the last layer (warm-up); epoch 0 is the initial model.\n\n";
}

std::string readme_markdown(const CnnReport& r) {
  const CnnOptions& o = r.options;
  std::ostringstream md;
  md << "# A small CNN: virtual covariance, patch-AGOP and VCL (issue 18)\n\n" << r.provenance.generated_by() << ".\n\n"
     << "## Protocol\n\n- dataset: " << r.dataset << (o.train_size ? ", first " + std::to_string(o.train_size) + " training images" : "")
     << "\n- network: conv " << fmt_list(o.conv) << " (3 × 3, 'same', no bias, GELU, 2 × 2 max pooling after each), then hidden "
     << fmt_list(o.hidden) << ", then the classes\n- SGD: γ " << fmt_sig(o.lr) << ", batch 64, " << o.epochs << " epochs, seeds 0–"
     << o.seeds - 1 << "; recordings at every epoch (conv layers in full, the head diag), patch-AGOP over the first "
     << o.agop_samples << " training images\n- VCL: γ " << fmt_sig(o.vcl_lr) << " for the virtual update, α 0.1, " << o.vcl_epochs
     << " epochs of which 1 warm-up, last layer by SGD at γ " << fmt_sig(o.lr) << ", same seeds\n- wall time: " << fmt(r.wall / 60, 1)
     << " min\n\n";
  rho_table_markdown(md, r.st);
  if (o.vcl) accuracy_table_markdown(md, r.st);
  return md.str();
}

int reproduce_cnn(const CnnOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const ReportDataset resolved = resolve_report_dataset(options.dataset, options.data_dir, "cnn");
  CnnOptions o = options;
  o.data_dir = resolved.data_dir;
  const std::string& dataset = resolved.name;
  const std::filesystem::path out = o.out.empty() ? std::filesystem::path("reports/cnn") : std::filesystem::path(o.out);
  std::filesystem::create_directories(out);
  std::cout << "reproduce cnn: dataset " << dataset << ", output " << out.string() << "\n";
  const TrainSettings base = base_settings(o, dataset);
  const DatasetSplit data = load_training_data(base);
  CnnReport r{o, dataset, run_all(o, base, data, out), {}, 0, {}};
  r.st = seed_statistics(r.runs, o.conv.size());
  r.wall = seconds_since(start);
  r.provenance = Provenance::now();
  write_json(out / "summary.json", summary_json(r));
  write_file_atomically(out / "README.md", readme_markdown(r));
  for (std::size_t l = 0; l < o.conv.size(); ++l)
    std::cout << "reproduce cnn: conv layer " << l << ": rho(V,G) " << r.st.rho_vc[l].format() << ", rho(AGOP,G) "
              << r.st.rho_agop[l].format() << "\n";
  std::cout << "wrote " << (out / "README.md").string() << " and " << (out / "summary.json").string() << "\n";
  return r.st.sgd_finished == o.seeds && (!o.vcl || r.st.vcl_finished == o.seeds) ? 0 : 1;
}

}  // namespace

void register_reproduce_cnn(CLI::App& reproduce, CommandRegistry& registry) {
  auto o = std::make_shared<CnnOptions>();
  auto* cmd = reproduce.add_subcommand("cnn", "A small CNN: per conv layer rho of diag V and diag patch-AGOP against diag G, VCL vs SGD");
  cmd->option_defaults()->always_capture_default();
  cmd->add_option("--dataset", o->dataset, "auto (CIFAR-10 if found, else Fashion-MNIST) | cifar10 | fashion-mnist | mnist | ...");
  cmd->add_option("--data-dir", o->data_dir, "Dataset directory (default: the usual search)");
  cmd->add_option("--conv", o->conv, "Conv layers' output channels")->delimiter(',');
  cmd->add_option("--hidden", o->hidden, "Hidden widths of the dense head")->delimiter(',');
  cmd->add_option("--seeds", o->seeds, "Number of seeds (0..N-1)");
  cmd->add_option("--epochs", o->epochs, "SGD epochs");
  cmd->add_option("--vcl-epochs", o->vcl_epochs, "VCL epochs (the first is the warm-up)");
  cmd->add_option("--lr", o->lr, "SGD learning rate (also VCL's last layer)");
  cmd->add_option("--vcl-lr", o->vcl_lr, "VCL's gamma of the virtual update");
  cmd->add_option("--train-size", o->train_size, "Use the first N training images (0 = all)");
  cmd->add_option("--agop-samples", o->agop_samples, "Patch-AGOP over the first N training images (0 = all)");
  cmd->add_option("--threads", o->threads, "BLAS threads (0 = all cores)");
  cmd->add_flag("--vcl,!--no-vcl", o->vcl, "Also train VCL on the same CNN");
  cmd->add_option("--out", o->out, "Output directory (default reports/cnn)");
  registry.add(cmd, [o] { return reproduce_cnn(*o); });
}

}  // namespace vclab
