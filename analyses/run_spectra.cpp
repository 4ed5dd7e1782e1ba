// Spectra, MP outliers and principal angles from a run's recordings.
#include "analyses/run_spectra.hpp"

#include <cmath>
#include <map>
#include <numbers>
#include <optional>
#include <stdexcept>

#include "analyses/spectra.hpp"
#include "io/csv_table.hpp"

namespace vclab {
namespace {

const std::vector<std::string> kEigenQuantities{"gram", "dgram", "vc", "agop", "egop"};
// Pairs whose top eigenspaces are compared: G (and ΔG) against V and AGOP, and V against AGOP.
const std::vector<std::pair<std::string, std::string>> kAnglePairs{
    {"gram", "vc"}, {"gram", "agop"}, {"dgram", "vc"}, {"dgram", "agop"}, {"vc", "agop"}};

struct Eigen {
  arma::vec values;   // descending
  arma::mat vectors;  // matching columns
};

Eigen eigen_descending(const arma::mat& m) {
  Eigen e;
  if (!arma::eig_sym(e.values, e.vectors, arma::mat(0.5 * (m + m.t())), "dc")) throw std::runtime_error("eig_sym failed in run_spectra");
  e.values = arma::flipud(e.values);
  e.vectors = arma::fliplr(e.vectors);
  return e;
}

std::vector<double> leading(const arma::vec& v, std::size_t top) {
  const std::size_t n = std::min<std::size_t>(top, v.n_elem);
  return std::vector<double>(v.begin(), v.begin() + n);
}

}  // namespace

RunSpectra run_spectra(const RecordingsReader& rec, const SpectraOptions& options) {
  RunSpectra out;
  const auto widths = rec.root_attribute_sizes("layer_widths");  // of the dense layers, after any conv layers
  const std::size_t n_conv = rec.has_root_attribute("n_conv_layers") ? std::size_t(rec.root_attribute_int("n_conv_layers")) : 0;
  if (rec.has("sv")) {
    for (auto layer : rec.layers("sv")) {
      const auto series = rec.series("sv", layer);
      if (series.empty()) continue;
      const arma::vec sv0 = series.front().data.col(0);
      const std::size_t dense = layer - n_conv;  // the MP edge is drawn for dense layers only
      const bool have_shape = layer >= n_conv && dense + 1 < widths.size();
      const double mp_edge =
          have_shape ? marchenko_pastur_upper_edge(widths[dense + 1], widths[dense],
                                                   arma::accu(arma::square(sv0)) / double(widths[dense + 1] * widths[dense]))
                     : std::nan("");
      const double init_max = sv0.is_empty() ? 0.0 : sv0(0) * sv0(0);
      for (const Recording& r : series) {
        const arma::vec sv = r.data.col(0);
        out.spectra.push_back({layer, r.checkpoint, r.meta.step, r.meta.epoch, "sv", leading(sv, options.top), 0});
        if (!have_shape) continue;
        const arma::vec sv2 = arma::square(sv);
        out.outliers.push_back({layer, r.checkpoint, r.meta.step, r.meta.epoch, mp_edge, init_max, sv2.is_empty() ? 0.0 : sv2(0),
                                count_outliers(sv2, mp_edge), count_outliers(sv2, init_max)});
      }
    }
  }
  // Full-mode matrices: eigen-decompose each once per (quantity, layer, checkpoint).
  std::map<std::tuple<std::string, std::size_t, std::size_t>, Eigen> cache;
  auto eigen_of = [&](const std::string& q, std::size_t layer, std::size_t k) -> const Eigen* {
    const auto key = std::make_tuple(q, layer, k);
    if (auto it = cache.find(key); it != cache.end()) return &it->second;
    const auto r = rec.at(q, layer, k);
    if (!r || r->diag) return nullptr;
    return &cache.emplace(key, eigen_descending(r->data)).first->second;
  };
  for (const auto& q : kEigenQuantities) {
    if (!rec.has(q)) continue;
    for (auto layer : rec.layers(q))
      for (auto k : rec.checkpoints(q, layer)) {
        const auto r = rec.at(q, layer, k);
        if (!r || r->diag) continue;
        const Eigen* e = eigen_of(q, layer, k);
        const double scale = arma::abs(e->values).max();
        if (scale == 0) continue;  // ΔG, V at initialisation
        out.spectra.push_back({layer, k, r->meta.step, r->meta.epoch, q, leading(e->values, options.top),
                               std::size_t(arma::accu(e->values < -1e-12 * scale))});
      }
  }
  for (const auto& [a, b] : kAnglePairs) {
    if (!rec.has(a) || !rec.has(b)) continue;
    for (auto layer : rec.layers(a))
      for (auto k : rec.checkpoints(a, layer)) {
        const Eigen* ea = eigen_of(a, layer, k);
        const Eigen* eb = ea ? eigen_of(b, layer, k) : nullptr;
        if (!ea || !eb) continue;
        if (arma::abs(ea->values).max() == 0 || arma::abs(eb->values).max() == 0) continue;
        const std::size_t dim = ea->values.n_elem, kk = std::min(options.k, dim);
        const arma::vec theta = principal_angles(ea->vectors.head_cols(kk), eb->vectors.head_cols(kk));
        const auto meta = rec.at(a, layer, k)->meta;
        constexpr double deg = 180.0 / std::numbers::pi;
        out.angles.push_back({layer, k, meta.step, meta.epoch, a, b, kk, dim, arma::mean(arma::square(arma::cos(theta))),
                              theta.min() * deg, theta.max() * deg});
      }
  }
  return out;
}

std::vector<std::string> write_spectra(const std::filesystem::path& dir, const RunSpectra& s) {
  std::vector<std::string> written;
  std::filesystem::create_directories(dir);
  if (!s.spectra.empty()) {
    CsvTable table({"layer", "checkpoint", "step", "epoch", "quantity", "rank", "value", "n_negative"});
    for (const auto& r : s.spectra)
      for (std::size_t i = 0; i < r.leading.size(); ++i)
        table.append_row({std::int64_t(r.layer), std::int64_t(r.checkpoint), r.step, r.epoch, r.quantity, std::int64_t(i + 1),
                          r.leading[i], std::int64_t(r.n_negative)});
    table.write(dir / "spectra.csv");
    written.push_back("spectra.csv");
  }
  if (!s.outliers.empty()) {
    CsvTable table({"layer", "checkpoint", "step", "epoch", "mp_edge", "init_max_sv2", "top_sv2", "outliers_above_mp_edge",
                    "outliers_above_init_max"});
    for (const auto& r : s.outliers)
      table.append_row({std::int64_t(r.layer), std::int64_t(r.checkpoint), r.step, r.epoch, r.mp_edge, r.init_max, r.top,
                        std::int64_t(r.outliers_mp), std::int64_t(r.outliers_init)});
    table.write(dir / "outliers.csv");
    written.push_back("outliers.csv");
  }
  if (!s.angles.empty()) {
    CsvTable table({"layer", "checkpoint", "step", "epoch", "a", "b", "k", "d", "mean_cos2", "random_baseline_k_over_d",
                    "min_angle_deg", "max_angle_deg"});
    for (const auto& r : s.angles)
      table.append_row({std::int64_t(r.layer), std::int64_t(r.checkpoint), r.step, r.epoch, r.a, r.b, std::int64_t(r.k),
                        std::int64_t(r.d), r.mean_cos2, double(r.k) / double(r.d), r.min_angle_deg, r.max_angle_deg});
    table.write(dir / "subspace_angles.csv");
    written.push_back("subspace_angles.csv");
  }
  return written;
}

}  // namespace vclab
