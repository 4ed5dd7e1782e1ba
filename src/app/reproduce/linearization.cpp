// `vclab reproduce linearization` (issue 8): a deep GELU MLP (default 3 hidden layers of 256, i.e. 4 weight
// layers) trained by SGD on MNIST, Fashion-MNIST and CIFAR-10, with Target Linearity T and its surrogate S
// per layer, neural collapse NC1–NC4 at the last hidden layer and the spectra of W_l, ΔG_l, V_l and the
// AGOP recorded over training. Answers in numbers whether the layers linearise toward the target in
// sequence (Cha, Beaglehole, Radhakrishnan & Lee, arXiv 2605.06258). Writes OUT/README.md, OUT/summary.json
// and OUT/figures/. Stages: protocol, run (train or reuse per dataset), analyse (probes, spectra, figures), write report.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <memory>
#include <sstream>

#include "analyses/correlation.hpp"
#include "analyses/run_probes.hpp"
#include "app/commands.hpp"
#include "app/reproduce/provenance.hpp"
#include "app/run_analysis.hpp"
#include "app/train_run.hpp"
#include "data/data_error.hpp"
#include "io/atomic_write.hpp"
#include "io/json_io.hpp"
#include "plot/line_plot.hpp"
#include "train/paper_defaults.hpp"

namespace vclab {
namespace {

// ---- Protocol: the fixed parts of the setting -------------------------------------------------------------------------
struct LinearizationProtocol {
  static constexpr Activation activation = Activation::gelu;
  static constexpr const char* record = "gram,dgram,vc,agop,sv,linearity,collapse";
};
using Protocol = LinearizationProtocol;

struct LinearizationOptions {
  std::string datasets = "mnist,fashion-mnist,cifar10";
  std::string data_root;  // folder holding <dataset>/ subfolders; empty = the usual search
  std::vector<std::size_t> hidden{256, 256, 256};
  std::size_t epochs = 6;
  std::size_t batch = 64;
  double lr = kPaperLearningRate;
  std::size_t seed = 0;
  std::size_t train_size = 0;
  std::size_t checkpoints_per_epoch = 2;   // recordings of G, ΔG, V, AGOP, singular values
  std::size_t probes_per_epoch = 16;       // T, S, NC (cheap, in-process)
  std::size_t probe_samples = 5000;
  double lambda = 0;
  std::size_t pca = 0;
  std::size_t agop_samples = 10000;
  std::size_t full_max_dim = 1024;  // record full matrices (spectra of ΔG, V, AGOP) when d_0 ≤ this
  std::size_t threads = 0;
  std::string out = "reports/linearization";
};

std::string layer_name(std::size_t layer, std::size_t n_weight_layers) {
  if (layer == 0) return "x (input)";
  if (layer == n_weight_layers) return "logits";
  return "h" + std::to_string(layer);
}

struct DatasetResult {
  std::string dataset;
  std::string skipped;  // why, when the dataset could not be loaded or the run diverged
  TrainSettings settings;
  ReportRun run;  // trained now or reused
  std::size_t n_weight_layers = 0;
  std::vector<ProbeRow> linearity, collapse;
  SequenceSummary sequence;
  RunSpectra spectra;
  double rho_t_vs_nc1 = NAN;  // Spearman over checkpoints between T of the last hidden layer and NC1
};

arma::vec field_of(const std::vector<ProbeRow>& rows, std::size_t layer, std::size_t field, arma::vec* epochs = nullptr) {
  std::vector<double> v, e;
  for (const auto& r : rows)
    if (r.layer == layer) {
      v.push_back(r.values(field));
      e.push_back(r.epoch);
    }
  if (epochs) *epochs = arma::vec(e);
  return arma::vec(v);
}

TrainSettings dataset_settings(const std::string& dataset, const LinearizationOptions& o) {
  return {.dataset = dataset,
          .data_dir = o.data_root.empty() ? std::string() : (std::filesystem::path(o.data_root) / dataset).string(),
          .train_size = o.train_size,
          .hidden = o.hidden, .activation = Protocol::activation,
          .lr = o.lr, .batch = o.batch, .epochs = o.epochs, .seed = o.seed, .threads = o.threads,
          .record = Protocol::record, .agop_samples = o.agop_samples, .probe_samples = o.probe_samples,
          .linearity_lambda = o.lambda, .linearity_pca = o.pca,
          .out = (std::filesystem::path(o.out) / "runs" / dataset).string(), .overwrite = true, .save_weights = false};
}

// The recording and probe strides follow from the data: checkpoints_per_epoch and probes_per_epoch per epoch.
void set_strides(TrainSettings& s, const Dataset& train, const LinearizationOptions& o) {
  const std::size_t steps_per_epoch = (train.size() + o.batch - 1) / o.batch;
  s.record_every = {std::max<std::size_t>(1, steps_per_epoch / std::max<std::size_t>(1, o.checkpoints_per_epoch)), RecordSchedule::Unit::step};
  s.record_mode = train.dim() <= o.full_max_dim ? RecordMode::full : RecordMode::diag;
  s.probe_every = std::max<std::size_t>(1, steps_per_epoch / std::max<std::size_t>(1, o.probes_per_epoch));
}

// ---- Analyse: probes, the linearization sequence and spectra of a finished run -------------------------------------------
void analyse_run(DatasetResult& r, const LinearizationOptions& o) {
  const RunAnalysis analysis = analyze_run(r.settings.out);
  r.spectra = analysis.spectra;
  const auto rec = RecordingsReader::load(std::filesystem::path(r.settings.out) / "recordings.h5");
  r.linearity = read_probe_rows(rec, "linearity");
  r.collapse = read_probe_rows(rec, "collapse");
  // The sequence concerns the hidden layers (see hidden_layer_linearity).
  const ProbeSeries t = hidden_layer_linearity(r.linearity);
  r.sequence = linearization_sequence(t);
  const arma::vec t_last = field_of(r.linearity, o.hidden.size(), 0), nc1 = field_of(r.collapse, o.hidden.size(), 0);
  if (t_last.n_elem == nc1.n_elem && t_last.n_elem > 2) r.rho_t_vs_nc1 = correlate(t_last, nc1).spearman;
}

// ---- Run: train each dataset (or reuse its finished run), then analyse it ---------------------------------------------
DatasetResult run_dataset(const std::string& dataset, const LinearizationOptions& o) {
  DatasetResult r;
  r.dataset = dataset;
  TrainSettings s = dataset_settings(dataset, o);
  DatasetSplit data;
  try {
    data = load_training_data(s);
  } catch (const DataError& e) {
    r.skipped = std::string("not loaded: ") + e.what();
    std::cerr << "reproduce linearization: skipping " << dataset << " (" << e.what() << ")\n";
    return r;
  }
  set_strides(s, data.train, o);
  r.settings = s;
  r.n_weight_layers = o.hidden.size() + 1;
  r.run = train_or_reuse(s, data, "linearization", dataset + ", " + std::to_string(data.train.size()) + " samples, record mode " +
                                                          to_string(s.record_mode) + ", every " + s.record_every.to_string());
  if (r.run.diverged) r.skipped = r.run.reused ? "diverged" : "diverged: " + r.run.divergence;
  if (r.skipped.empty()) analyse_run(r, o);
  return r;
}

Series series_of(const std::string& label, const arma::vec& x, const arma::vec& y) { return Series{label, x, y, {}, {}, false}; }

// Figures of one dataset: T and S per layer; NC1–NC4; singular-value outliers and eigenspace alignment.
std::vector<std::string> plot_dataset(const std::filesystem::path& figures, const DatasetResult& r) {
  std::vector<std::string> names;
  const std::size_t L = r.n_weight_layers;
  LinePanel t_panel{r.dataset + ": Target Linearity T", "epoch", "T", false, false, {}, {}, {}, "bottom right"};
  LinePanel s_panel{"surrogate S_rel = ‖ZᵀY‖²/(‖Z‖²‖Y‖²)", "epoch", "S_rel", false, false, {}, {}, {}, "bottom right"};
  LinePanel raw_panel{"surrogate S = ‖ZᵀY‖²_F", "epoch", "S", false, true, {}, {}, {}, "off"};
  for (std::size_t l = 0; l <= L; ++l) {
    arma::vec epochs;
    const arma::vec t = field_of(r.linearity, l, 0, &epochs);
    if (t.is_empty()) continue;
    t_panel.series.push_back(series_of(layer_name(l, L), epochs, t));
    if (l < L) {
      s_panel.series.push_back(series_of(layer_name(l, L), epochs, field_of(r.linearity, l, 2)));
      raw_panel.series.push_back(series_of(layer_name(l, L), epochs, field_of(r.linearity, l, 1)));
    }
  }
  plot_line_panels(figures, r.dataset + "_linearity", {t_panel, s_panel, raw_panel}, FigureSize{FigureWidth::full, 2.4, 8}, 3);
  names.push_back(r.dataset + "_linearity");

  if (!r.collapse.empty()) {
    arma::vec epochs;
    const std::size_t layer = r.collapse.front().layer;
    LinePanel nc{r.dataset + ": neural collapse at " + layer_name(layer, L), "epoch", "NC1, NC2, NC3", false, true, {}};
    for (std::size_t f = 0; f < 3; ++f)
      nc.series.push_back(series_of(std::string("NC") + char('1' + f), arma::vec(), field_of(r.collapse, layer, f, &epochs)));
    for (auto& sr : nc.series) sr.x = epochs;
    const LinePanel nc4{"NC4: nearest-centre disagreement", "epoch", "NC4", false, false,
                        {series_of("NC4", epochs, field_of(r.collapse, layer, 3))}, {}, {}, "off"};
    plot_line_panels(figures, r.dataset + "_collapse", {nc, nc4}, FigureSize{FigureWidth::full, 2.4, 8}, 2);
    names.push_back(r.dataset + "_collapse");
  }

  std::vector<LinePanel> spectra;
  if (!r.spectra.outliers.empty()) {
    LinePanel top{"top σ²(W_l) / MP edge of W_l(0)", "epoch", "ratio", false, true, {}, {}, {}, "off"};
    LinePanel count{"σ² outliers above the MP edge", "epoch", "count", false, false, {}};
    for (std::size_t l = 0; l < L; ++l) {
      std::vector<double> x, ratio, n;
      for (const auto& o : r.spectra.outliers)
        if (o.layer == l) {
          x.push_back(o.epoch);
          ratio.push_back(o.top / o.mp_edge);
          n.push_back(double(o.outliers_mp));
        }
      if (x.empty()) continue;
      top.series.push_back(series_of("W" + std::to_string(l), arma::vec(x), arma::vec(ratio)));
      count.series.push_back(series_of("W" + std::to_string(l), arma::vec(x), arma::vec(n)));
    }
    spectra.push_back(top);
    spectra.push_back(count);
  }
  if (!r.spectra.angles.empty()) {
    LinePanel angles{"top-10 eigenspaces, layer 0: mean cos²", "epoch", "mean cos² θ", false, false, {}, 0.0, 1.0};
    for (const auto& [a, b] : std::vector<std::pair<std::string, std::string>>{{"gram", "vc"}, {"gram", "agop"}, {"dgram", "vc"}, {"dgram", "agop"}, {"vc", "agop"}}) {
      std::vector<double> x, y;
      for (const auto& row : r.spectra.angles)
        if (row.layer == 0 && row.a == a && row.b == b) {
          x.push_back(row.epoch);
          y.push_back(row.mean_cos2);
        }
      if (!x.empty()) angles.series.push_back(series_of(a + "–" + b, arma::vec(x), arma::vec(y)));
    }
    spectra.push_back(angles);
  }
  if (!spectra.empty()) {
    plot_line_panels(figures, r.dataset + "_spectra", spectra, FigureSize{FigureWidth::full, 2.4, 8}, spectra.size());
    names.push_back(r.dataset + "_spectra");
  }
  return names;
}

nlohmann::json dataset_json(const DatasetResult& r) {
  nlohmann::json j{{"dataset", r.dataset}};
  if (!r.skipped.empty()) {
    j["skipped"] = r.skipped;
    return j;
  }
  j["settings"] = to_json(r.settings);
  j["reused_finished_run"] = r.run.reused;
  j["training_seconds"] = r.run.seconds;
  j["test_accuracy"] = json_number(r.run.test_accuracy);
  j["linearization"] = to_json(r.sequence);
  j["spearman_t_last_hidden_vs_nc1_over_checkpoints"] = json_number(r.rho_t_vs_nc1);
  if (!r.collapse.empty()) {
    const arma::vec& first = r.collapse.front().values;
    const arma::vec& last = r.collapse.back().values;
    j["collapse"] = {{"layer", r.collapse.front().layer},
                     {"initial", {{"nc1", json_number(first(0))}, {"nc2", json_number(first(1))}, {"nc3", json_number(first(2))}, {"nc4", json_number(first(3))}}},
                     {"final", {{"nc1", json_number(last(0))}, {"nc2", json_number(last(1))}, {"nc3", json_number(last(2))}, {"nc4", json_number(last(3))}}}};
  }
  nlohmann::json outliers = nlohmann::json::array();
  for (const auto& o : r.spectra.outliers)
    if (o.checkpoint == r.spectra.outliers.back().checkpoint)
      outliers.push_back({{"layer", o.layer}, {"top_sv2_over_mp_edge", o.top / o.mp_edge}, {"outliers_above_mp_edge", o.outliers_mp},
                          {"outliers_above_initial_max", o.outliers_init}});
  j["final_singular_value_outliers"] = outliers;
  nlohmann::json angles = nlohmann::json::array();
  std::size_t last_checkpoint = 0;
  for (const auto& a : r.spectra.angles) last_checkpoint = std::max(last_checkpoint, a.checkpoint);
  for (const auto& a : r.spectra.angles)
    if (a.checkpoint == last_checkpoint)
      angles.push_back({{"layer", a.layer}, {"a", a.a}, {"b", a.b}, {"k", a.k}, {"mean_cos2", a.mean_cos2}, {"random_baseline", double(a.k) / double(a.d)}});
  j["final_subspace_alignment"] = angles;
  return j;
}

// ---- Write report: one README section per dataset, the answer table, summary.json ---------------------------------------
void layer_table_markdown(std::ostream& md, const DatasetResult& r) {
  const std::size_t L = r.n_weight_layers;
  md << "| layer | T at init | T at end | max T | epoch reaching 50% of its change | epoch reaching 90% |\n|---|---|---|---|---|---|\n";
  for (std::size_t l = 0; l <= L; ++l) {
    const arma::vec t = field_of(r.linearity, l, 0);
    if (t.is_empty()) continue;
    const LayerTiming* timing = nullptr;
    for (const auto& lt : r.sequence.layers)
      if (lt.layer == l) timing = &lt;
    md << "| " << layer_name(l, L) << " | " << fmt(t(0)) << " | " << fmt(t(t.n_elem - 1)) << " | " << fmt(t.max()) << " | "
       << (timing ? fmt(timing->epoch_half, 2) : l == 0 ? "— (input, fixed)" : "— (not in the sequence)") << " | " << (timing ? fmt(timing->epoch_90, 2) : "—") << " |\n";
  }
}

void sequence_markdown(std::ostream& md, const DatasetResult& r) {
  const std::size_t L = r.n_weight_layers;
  const auto& s = r.sequence;
  bool init_increasing = true, gain_increasing = true;
  for (std::size_t j = 1; j < s.layers.size(); ++j) {
    init_increasing = init_increasing && s.layers[j].t_initial > s.layers[j - 1].t_initial;
    gain_increasing = gain_increasing && s.layers[j].t_final - s.layers[j].t_initial > s.layers[j - 1].t_final - s.layers[j - 1].t_initial;
  }
  md << "\nAt initialisation T " << (init_increasing ? "already increases" : "does not increase") << " with depth (random GELU "
     << "features); the change training makes, T(end) − T(init), " << (gain_increasing ? "**increases with depth**" : "does **not** increase with depth")
     << ":";
  for (const auto& lt : s.layers) md << " " << layer_name(lt.layer, L) << " " << (lt.t_final - lt.t_initial >= 0 ? "+" : "") << fmt(lt.t_final - lt.t_initial);
  md << ".\n";
  md << "\nIn sequence? T at the end " << (s.final_increasing ? "**increases strictly with depth**" : "does **not** increase strictly with depth")
     << " (h1 → h" << L - 1 << "); T increases with depth at " << fmt(100 * s.fraction_increasing, 0)
     << "% of the probes after initialisation. The epochs at which each layer reaches half of its change are "
     << (s.half_times_ordered ? "**ordered by depth** (shallow first)" : "**not** ordered by depth") << ", the 90% epochs "
     << (s.times90_ordered ? "are ordered by depth" : "are not") << "; Kendall τ(depth, half-change epoch) = " << fmt(s.kendall_tau_half, 2)
     << " (+1: deeper layers later, −1: deeper layers earlier).\n\n";
}

void collapse_and_outliers_markdown(std::ostream& md, const DatasetResult& r) {
  if (!r.collapse.empty()) {
    const arma::vec& a = r.collapse.front().values;
    const arma::vec& b = r.collapse.back().values;
    md << "Neural collapse at " << layer_name(r.collapse.front().layer, r.n_weight_layers) << ": NC1 " << fmt(a(0)) << " → " << fmt(b(0)) << ", NC2 "
       << fmt(a(1)) << " → " << fmt(b(1)) << ", NC3 " << fmt(a(2)) << " → " << fmt(b(2)) << ", NC4 " << fmt(a(3)) << " → " << fmt(b(3))
       << ". Spearman correlation over checkpoints between T of the last hidden layer and NC1: " << fmt(r.rho_t_vs_nc1)
       << " (negative: the layer becomes more target-linear as its within-class variability collapses).\n\n";
  }
  if (!r.spectra.outliers.empty()) {
    md << "Singular values at the end: ";
    const std::size_t last = r.spectra.outliers.back().checkpoint;
    for (const auto& o : r.spectra.outliers)
      if (o.checkpoint == last)
        md << "W" << o.layer << " top σ² = " << fmt(o.top / o.mp_edge, 2) << "× the MP edge, " << o.outliers_mp << " outliers; ";
    md << "\n\n";
  }
}

// Mean cos² of the principal angles between top-k eigenspaces at the last checkpoint, per pair of matrices and layer.
void angles_markdown(std::ostream& md, const RunSpectra& spectra) {
  std::size_t last = 0;
  for (const auto& a : spectra.angles) last = std::max(last, a.checkpoint);
  std::vector<std::size_t> layers;
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& a : spectra.angles) {
    if (a.checkpoint != last) continue;
    if (std::find(layers.begin(), layers.end(), a.layer) == layers.end()) layers.push_back(a.layer);
    if (std::find(pairs.begin(), pairs.end(), std::pair{a.a, a.b}) == pairs.end()) pairs.emplace_back(a.a, a.b);
  }
  md << "Alignment of top-" << spectra.angles.front().k << " eigenspaces at the end: mean cos² of the principal angles "
     << "(1 = same subspace; random subspaces score k/d, given in the last row). At the last hidden layer (the input of the "
        "linear classifier W_L) the AGOP is W_LᵀW_L = G_L exactly, so G–AGOP = 1 there is an identity, not a finding.\n\n| pair |";
  for (auto l : layers) md << " layer " << l << " |";
  md << "\n|---|";
  for (std::size_t i = 0; i < layers.size(); ++i) md << "---|";
  md << "\n";
  for (const auto& [a, b] : pairs) {
    md << "| " << a << " – " << b << " |";
    for (auto l : layers)
      for (const auto& row : spectra.angles)
        if (row.checkpoint == last && row.layer == l && row.a == a && row.b == b) md << " " << fmt(row.mean_cos2) << " |";
    md << "\n";
  }
  md << "| random k/d |";
  for (auto l : layers)
    for (const auto& row : spectra.angles)
      if (row.checkpoint == last && row.layer == l && row.a == pairs.front().first && row.b == pairs.front().second)
        md << " " << fmt(double(row.k) / double(row.d)) << " |";
  md << "\n\n";
}

void write_dataset_section(std::ostream& md, const DatasetResult& r, const std::vector<std::string>& figures) {
  md << "## " << r.dataset << "\n\n";
  if (!r.skipped.empty()) {
    md << "Skipped: " << r.skipped << "\n\n";
    return;
  }
  md << "Test accuracy after " << r.settings.epochs << " epochs: " << fmt(r.run.test_accuracy) << " (training "
     << fmt(r.run.seconds / 60, 1) << " min" << (r.run.reused ? ", reused from runs/" : "") << "; record mode "
     << to_string(r.settings.record_mode) << ", checkpoints every " << r.settings.record_every.to_string() << ").\n\n";
  layer_table_markdown(md, r);
  sequence_markdown(md, r);
  collapse_and_outliers_markdown(md, r);
  if (!r.spectra.angles.empty()) angles_markdown(md, r.spectra);
  if (r.spectra.angles.empty())
    md << "No eigenspace alignment: this run recorded diagonals only (record mode " << to_string(r.settings.record_mode)
       << ", because d_0 exceeds --full-max-dim); the singular values of W_l are recorded in any mode.\n\n";
  for (const auto& f : figures) md << "![" << f << "](figures/" << f << ".png)\n\n";
}

nlohmann::json summary_json(const std::vector<DatasetResult>& results, const Provenance& provenance, double wall, std::size_t threads) {
  nlohmann::json summary{{"wall_seconds", wall},
                         {"blas_threads", threads},
                         {"definitions",
                          {{"T", "Target Linearity: ridge R^2 (lambda = linearity_lambda; 0 = pseudo-inverse) of centred one-hot targets on "
                                 "centred features of the first probe_samples training samples"},
                           {"S", "||Z^T Y||_F^2 with Z = H W_l^T (centred H, Y)"},
                           {"S_rel", "S / (||Z||_F^2 ||Y||_2^2), in [0, 1]"},
                           {"epoch_half_gain", "first epoch at which T - T(0) reaches half of T(end) - T(0), linear interpolation"},
                           {"nc", "docs/feature_probes.md"}}},
                         {"datasets", nlohmann::json::array()}};
  provenance.add_to(summary);
  for (const auto& r : results) summary["datasets"].push_back(dataset_json(r));
  return summary;
}

void header_markdown(std::ostream& md, const LinearizationOptions& o, const Provenance& provenance, double wall, std::size_t threads) {
  md << "# Sequential feature linearization, neural collapse and spectra\n\n"
     << provenance.generated_by() << " (" << fmt(wall / 60, 1) << " min wall time for this invocation, " << threads << " BLAS threads).\n\n"
     << "Question (Cha, Beaglehole, Radhakrishnan & Lee, arXiv 2605.06258): do deep networks make their representations "
        "linear in the target layer by layer, in sequence? Setting: GELU MLP d_0";
  for (auto h : o.hidden) md << " → " << h;
  md << " → C (" << o.hidden.size() + 1 << " weight layers), no bias, PyTorch default init, cross-entropy, SGD lr " << o.lr << ", batch "
     << o.batch << ", " << o.epochs << " epochs, seed " << o.seed << ", inputs in [0, 1]. At " << o.probes_per_epoch
     << " probes per epoch (plus initialisation) the run computes, on the first " << o.probe_samples
     << " training samples, T_λ (λ = " << o.lambda << (o.lambda == 0 ? ", the pseudo-inverse projection" : "") << (o.pca ? ", PCA to " + std::to_string(o.pca) + " components" : std::string(", no PCA"))
     << ") for every layer's features, the surrogate S and NC1–NC4 at the last hidden layer; at " << o.checkpoints_per_epoch
     << " checkpoints per epoch it records the singular values of every W_l and G, ΔG, V and the AGOP (over the first " << o.agop_samples << " training samples) in full when d_0 ≤ " << o.full_max_dim
     << ", else their diagonals.\n\n"
     << "Caveat on T: it is an in-sample R², so p independent noise features already score about p/(N−1) — "
     << fmt(double(o.hidden.front()) / double(o.probe_samples - 1)) << " for a hidden layer of width " << o.hidden.front()
     << " here; the input layer of CIFAR-10 (p = 3072) scores high for the same reason.\n\n";
}

void answer_markdown(std::ostream& md, const LinearizationOptions& o, const std::vector<DatasetResult>& results) {
  md << "## Answer\n\n| dataset | test acc. | T(h1) end | T(last hidden) end | T(logits) end | T(h1) < … < T(h_L) at end | share of probes with T increasing in depth | half-change epochs ordered by depth | Kendall τ(depth, half-change epoch) |\n|---|---|---|---|---|---|---|---|---|\n";
  std::size_t finished = 0, depth_ordered = 0, time_ordered = 0, nc_linked = 0;
  std::string taus;
  for (const auto& r : results) {
    if (!r.skipped.empty()) {
      md << "| " << r.dataset << " | skipped | | | | | | | |\n";
      continue;
    }
    const auto& l = r.sequence.layers;
    const arma::vec logits = field_of(r.linearity, r.n_weight_layers, 0);
    md << "| " << r.dataset << " | " << fmt(r.run.test_accuracy) << " | " << fmt(l.front().t_final) << " | " << fmt(l.back().t_final)
       << " | " << (logits.is_empty() ? "n/a" : fmt(logits(logits.n_elem - 1))) << " | " << (r.sequence.final_increasing ? "yes" : "no") << " | "
       << fmt(100 * r.sequence.fraction_increasing, 0) << "% | " << (r.sequence.half_times_ordered ? "yes" : "no") << " | "
       << fmt(r.sequence.kendall_tau_half, 2) << " |\n";
    ++finished;
    depth_ordered += r.sequence.final_increasing;
    time_ordered += r.sequence.half_times_ordered;
    nc_linked += r.rho_t_vs_nc1 < -0.5;
    taus += (taus.empty() ? "" : ", ") + r.dataset + " " + fmt(r.sequence.kendall_tau_half, 2);
  }
  md << "\nReading, in numbers: at the end of training T increases strictly with depth (h1 < h2 < … < h_L) on " << depth_ordered
     << " of " << finished << " datasets: deeper hidden layers are more linear in the target. In time, the layers reach half of "
        "their own change of T in order of depth (shallow first) on "
     << time_ordered << " of " << finished << " datasets (Kendall τ(depth, half-change epoch): " << taus
     << "; +1 would be a strict shallow-first sequence). T of the last hidden layer falls in step with NC1 (Spearman over "
        "checkpoints < −0.5) on "
     << nc_linked << " of " << finished << " datasets. One seed per dataset; the probe grid is " << o.probes_per_epoch
     << " probes per epoch, so half-change epochs closer than 1/" << o.probes_per_epoch
     << " epoch are interpolated between neighbouring probes.\n\n";
}

std::string readme_markdown(const LinearizationOptions& o, const std::vector<DatasetResult>& results,
                            const std::vector<std::vector<std::string>>& figures, const Provenance& provenance, double wall,
                            std::size_t threads) {
  std::ostringstream md;
  header_markdown(md, o, provenance, wall, threads);
  answer_markdown(md, o, results);
  for (std::size_t i = 0; i < results.size(); ++i) write_dataset_section(md, results[i], figures[i]);
  md << "## Files\n\n`summary.json` (all numbers above); per run `runs/<dataset>/analysis/linearity.csv`, `collapse.csv`, "
        "`linearization.json`, `spectra.csv`, `outliers.csv`, `subspace_angles.csv` (run directories are not committed; rerun the "
        "command to regenerate them). Figures are `.dat` + `.gp` + PDF/PNG/SVG in `figures/`.\n";
  return md.str();
}

int reproduce_linearization(const LinearizationOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  const std::filesystem::path out = o.out;
  std::filesystem::create_directories(out / "figures");
  const std::size_t threads = set_blas_threads(o.threads);
  std::vector<DatasetResult> results;
  std::vector<std::vector<std::string>> figures;
  std::stringstream list(o.datasets);
  std::string dataset;
  while (std::getline(list, dataset, ',')) {
    if (dataset.empty()) continue;
    results.push_back(run_dataset(dataset, o));
    figures.push_back(results.back().skipped.empty() ? plot_dataset(out / "figures", results.back()) : std::vector<std::string>{});
  }
  const double wall = seconds_since(start);
  const Provenance provenance = Provenance::now();
  write_json(out / "summary.json", summary_json(results, provenance, wall, threads));
  write_file_atomically(out / "README.md", readme_markdown(o, results, figures, provenance, wall, threads));
  std::cout << "wrote " << (out / "README.md").string() << " and " << (out / "summary.json").string() << "\n";
  std::size_t done = 0;
  for (const auto& r : results) {
    if (!r.skipped.empty()) continue;
    ++done;
    std::cout << r.dataset << ": test accuracy " << fmt(r.run.test_accuracy) << ", T increases with depth at end: "
              << (r.sequence.final_increasing ? "yes" : "no") << ", half-change epochs ordered by depth: "
              << (r.sequence.half_times_ordered ? "yes" : "no") << "\n";
  }
  return done > 0 ? 0 : 1;
}

}  // namespace

void register_reproduce_linearization(CLI::App& reproduce, CommandRegistry& registry) {
  auto o = std::make_shared<LinearizationOptions>();
  auto* cmd = reproduce.add_subcommand(
      "linearization", "Target Linearity, surrogate, neural collapse and spectra per layer over SGD training of a deep GELU MLP");
  cmd->option_defaults()->always_capture_default();
  cmd->add_option("--datasets", o->datasets, "Comma list; a dataset that is not found is skipped with a note");
  cmd->add_option("--data-root", o->data_root, "Folder holding <dataset>/ subfolders (default: the usual search per dataset)");
  cmd->add_option("--hidden", o->hidden, "Hidden widths (default 3 x 256: 4 weight layers)")->delimiter(',');
  cmd->add_option("--epochs", o->epochs, "Epochs");
  cmd->add_option("--batch", o->batch, "Mini-batch size");
  cmd->add_option("--lr", o->lr, "SGD learning rate");
  cmd->add_option("--seed", o->seed, "Seed");
  cmd->add_option("--train-size", o->train_size, "Use the first N training samples (0 = all)");
  cmd->add_option("--checkpoints-per-epoch", o->checkpoints_per_epoch, "Recording checkpoints (G, dG, V, AGOP, singular values) per epoch");
  cmd->add_option("--probes-per-epoch", o->probes_per_epoch, "Probes (T, S, NC) per epoch");
  cmd->add_option("--probe-samples", o->probe_samples, "Probe set for T and NC: the first N training samples");
  cmd->add_option("--linearity-lambda", o->lambda, "Ridge lambda of T (0 = pseudo-inverse)");
  cmd->add_option("--linearity-pca", o->pca, "Reduce features wider than K to K principal components (0 = off)");
  cmd->add_option("--agop-samples", o->agop_samples, "AGOP over the first N training samples");
  cmd->add_option("--full-max-dim", o->full_max_dim, "Record full d x d matrices (eigen-spectra, principal angles) when d_0 <= this");
  cmd->add_option("--threads", o->threads, "BLAS threads (0 = all cores)");
  cmd->add_option("--out", o->out, "Output directory");
  registry.add(cmd, [o] { return reproduce_linearization(*o); });
}

}  // namespace vclab
