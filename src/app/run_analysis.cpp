// Run-level analysis and figures: reads recordings.h5 and metrics.csv, writes analysis/ and figures/.
#include "app/run_analysis.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "analyses/run_probes.hpp"
#include "io/csv_table.hpp"
#include "io/io_error.hpp"
#include "plot/heatmap.hpp"
#include "plot/line_plot.hpp"

namespace vclab {
namespace {

RecordingsReader open_run(const std::filesystem::path& run_dir) {
  const auto path = run_dir / "recordings.h5";
  if (!std::filesystem::exists(path))
    throw IoError(path.string() + ": no recordings found; is '" + run_dir.string() +
                  "' a run directory written by `vclab train --record ...`?");
  return RecordingsReader::load(path);
}

std::string rho_text(double rho) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", rho);
  return buf;
}

}  // namespace

std::vector<std::size_t> recorded_image_shape(const RecordingsReader& rec) { return rec.root_attribute_sizes("image_shape"); }

namespace {

// What layer 0's diagonals are laid out as: a conv layer's patch c_in × k × k, else the input image.
std::vector<std::size_t> first_layer_shape(const RecordingsReader& rec) {
  if (rec.has_root_attribute("patch_shape_0")) return rec.root_attribute_sizes("patch_shape_0");
  return recorded_image_shape(rec);
}

}  // namespace

RunAnalysis analyze_run(const std::filesystem::path& run_dir) {
  const RecordingsReader rec = open_run(run_dir);
  const auto dir = run_dir / "analysis";
  RunAnalysis out;
  out.correlations = run_correlations(rec);
  write_correlations(dir, out.correlations);
  out.files = {"correlations.json", "correlations.csv"};
  for (const auto& name : write_probe_tables(dir, rec)) out.files.push_back(name);
  out.spectra = run_spectra(rec);
  for (const auto& name : write_spectra(dir, out.spectra)) out.files.push_back(name);
  return out;
}

namespace {

// figures/training_curves from metrics.csv (loss and accuracy, train and test); false when there are fewer than 2 epochs.
bool plot_training_curves(const std::filesystem::path& figures, const std::filesystem::path& metrics_path) {
  const CsvData m = read_csv(metrics_path);
  auto column = [&](const std::string& name) {
    try {
      return m.column(name);
    } catch (const std::out_of_range& e) {
      throw IoError(metrics_path.string() + ": " + e.what());
    }
  };
  const std::size_t ce = column("epoch"), cs = column("status"), c_train_loss = column("train_loss"),
                    c_test_loss = column("test_loss"), c_train_acc = column("train_accuracy"),
                    c_test_acc = column("test_accuracy");
  std::vector<double> epoch, train_loss, test_loss, train_acc, test_acc;
  for (const auto& row : m.rows) {
    if (row[cs] != "ok") continue;
    epoch.push_back(std::stod(row[ce]));
    train_loss.push_back(std::stod(row[c_train_loss]));
    test_loss.push_back(std::stod(row[c_test_loss]));
    train_acc.push_back(std::stod(row[c_train_acc]));
    test_acc.push_back(std::stod(row[c_test_acc]));
  }
  if (epoch.size() < 2) return false;
  LinePanel loss{"Loss", "epoch", "loss", false, false,
                 {{"train", arma::vec(epoch), arma::vec(train_loss), {}, {}, true},
                  {"test", arma::vec(epoch), arma::vec(test_loss), {}, {}, true}}};
  LinePanel acc{"Accuracy", "epoch", "accuracy", false, false,
                {{"train", arma::vec(epoch), arma::vec(train_acc), {}, {}, true},
                 {"test", arma::vec(epoch), arma::vec(test_acc), {}, {}, true}},
                {}, {}, "bottom right"};
  plot_line_panels(figures, "training_curves", {loss, acc}, FigureSize{FigureWidth::full, 2.3, 8}, 2);
  return true;
}

// figures/rho_over_training: ρ over training, layer 0, diagonals, Pearson; false when no pair has 2 finite points.
bool plot_rho_over_training(const std::filesystem::path& figures, const std::vector<CorrelationRow>& rows) {
  std::vector<Series> series;
  for (const auto& [reference, quantity, label] :
       std::vector<std::tuple<std::string, std::string, std::string>>{{"gram", "vc", "ρ(diag V, diag G)"},
                                                                       {"gram", "agop", "ρ(diag AGOP, diag G)"},
                                                                       {"dgram", "vc", "ρ(diag V, diag ΔG)"},
                                                                       {"dgram", "agop", "ρ(diag AGOP, diag ΔG)"}}) {
    std::vector<double> x, y;
    for (const auto& r : rows)
      if (r.layer == 0 && r.reference == reference && r.quantity == quantity && r.part == "diagonal" &&
          std::isfinite(r.value.pearson)) {
        x.push_back(r.epoch);
        y.push_back(r.value.pearson);
      }
    if (x.size() >= 2) series.push_back({label, arma::vec(x), arma::vec(y), {}, {}, true});
  }
  if (series.empty()) return false;
  const LinePanel panel{"Pearson ρ of diagonals, layer 0", "epoch", "ρ", false, false, series, {}, {}, "bottom right"};
  plot_lines(figures, "rho_over_training", panel, FigureSize{FigureWidth::column, 2.4, 8});
  return true;
}

// Figure 1 heatmaps: diag(G) (and diag(ΔG)), diag(AGOP), diag(V) of layer 0 at the last checkpoint; appends the names.
void plot_run_heatmaps(const std::filesystem::path& figures, const RecordingsReader& rec, const std::vector<CorrelationRow>& rows,
                       std::vector<std::string>& written) {
  const auto shape = first_layer_shape(rec);
  if (shape.empty() || !rec.has("gram") || !(rec.has("vc") || rec.has("agop"))) return;
  for (const std::string reference : {"gram", "dgram"}) {
    if (!rec.has(reference)) continue;
    std::vector<HeatmapPanel> panels;
    panels.push_back({reference == "gram" ? "Weight covariance diag(W₀ᵀW₀)" : "Weight covariance change diag(ΔG₀)",
                      recording_diagonal(rec.last(reference, 0))});
    if (rec.has("agop")) {
      const double rho = last_diagonal_correlation(rows, 0, reference, "agop").pearson;
      panels.push_back({"AGOP  ρ = " + rho_text(rho), recording_diagonal(rec.last("agop", 0))});
    }
    if (rec.has("vc")) {
      const double rho = last_diagonal_correlation(rows, 0, reference, "vc").pearson;
      panels.push_back({"Virtual covariance  ρ = " + rho_text(rho), recording_diagonal(rec.last("vc", 0))});
    }
    const std::string name = reference == "gram" ? "figure1_heatmaps" : "figure1_heatmaps_dgram";
    plot_diagonal_heatmaps(figures, name, panels, shape, FigureSize{FigureWidth::full, 2.2, 8}, false);
    written.push_back(name);
    if (shape.size() == 3 && shape[0] > 1) {
      plot_diagonal_heatmaps(figures, name + "_per_channel", panels, shape,
                             FigureSize{FigureWidth::full, 1.9 * double(panels.size()), 8}, true);
      written.push_back(name + "_per_channel");
    }
  }
}

// figures/conv0_filters: the top two eigenvectors of a conv layer 0's G, V and patch-AGOP at the last checkpoint (conv
// layers are recorded in full), each drawn as a filter: one k × k panel per input channel (RGB on CIFAR-10), plus their
// sum. Eigenvectors are defined up to sign: each is drawn with a non-negative sum.
void plot_conv_filters(const std::filesystem::path& figures, const RecordingsReader& rec, std::vector<std::string>& written) {
  if (!rec.has_root_attribute("patch_shape_0")) return;
  constexpr std::size_t kFilters = 2;
  std::vector<HeatmapPanel> panels;
  for (const auto& [quantity, title] : {std::pair{"gram", "G"}, std::pair{"vc", "V"}, std::pair{"agop", "AGOP"}}) {
    if (!rec.has(quantity)) continue;
    const Recording last = rec.last(quantity, 0);
    arma::vec values;
    arma::mat vectors;
    if (last.diag || !arma::eig_sym(values, vectors, arma::mat(arma::symmatu(last.data)))) continue;
    for (std::size_t j = 0; j < kFilters && j < values.n_elem; ++j) {
      arma::vec v = vectors.col(values.n_elem - 1 - j);  // eigenvalues ascend: the largest last
      if (arma::accu(v) < 0) v = -v;
      panels.push_back({std::string(title) + " eigenvector " + std::to_string(j + 1), v});
    }
  }
  if (panels.empty()) return;
  const auto shape = rec.root_attribute_sizes("patch_shape_0");
  plot_diagonal_heatmaps(figures, "conv0_filters", panels, shape, FigureSize{FigureWidth::full, 1.9 * double(panels.size()), 8},
                         true);
  written.push_back("conv0_filters");
}

}  // namespace

std::vector<std::string> plot_run(const std::filesystem::path& run_dir, const std::vector<CorrelationRow>* precomputed) {
  std::vector<std::string> written;
  const auto figures = run_dir / "figures";
  std::filesystem::create_directories(figures);
  const auto metrics_path = run_dir / "metrics.csv";
  if (std::filesystem::exists(metrics_path) && plot_training_curves(figures, metrics_path)) written.push_back("training_curves");
  const auto recordings = run_dir / "recordings.h5";
  if (!std::filesystem::exists(recordings)) return written;
  const RecordingsReader rec = open_run(run_dir);
  const auto rows = precomputed ? *precomputed : run_correlations(rec);
  if (plot_rho_over_training(figures, rows)) written.push_back("rho_over_training");
  plot_run_heatmaps(figures, rec, rows, written);
  plot_conv_filters(figures, rec, written);
  return written;
}

}  // namespace vclab
