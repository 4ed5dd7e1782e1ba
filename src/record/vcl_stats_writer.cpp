// DIR/vcl_stats.csv rows: epoch, phase (warmup | vcl), layer, eigen-steps, clipped eigenvalues, λ_k min, solver
// fallbacks, filtered products, largest certificate and cost.
#include "record/vcl_stats_writer.hpp"

#include <limits>
#include <variant>

#include "io/state_archive.hpp"
#include "io/io_error.hpp"

namespace vclab {
namespace {

// The columns and the kind of cell each holds: on_epoch_end writes its rows in this order, and a resumed run
// reads the checkpoint's rows back with these kinds.
enum class Cell { integer, real, phase };
struct Column {
  const char* name;
  Cell cell;
};
constexpr Column kColumns[] = {
    {"epoch", Cell::integer},         {"phase", Cell::phase},           {"layer", Cell::integer},
    {"vcl_steps", Cell::integer},     {"clipped_total", Cell::integer}, {"clipped_max_per_step", Cell::integer},
    {"clipped_mean_per_step", Cell::real}, {"min_kept_eigenvalue", Cell::real}, {"full_evd", Cell::integer},
    {"solver_fallbacks", Cell::integer}, {"solver_iterations", Cell::integer}, {"max_certificate", Cell::real},
    {"solver_seconds", Cell::real}};

std::vector<std::string> column_names() {
  std::vector<std::string> names;
  for (const Column& c : kColumns) names.emplace_back(c.name);
  return names;
}

}  // namespace

template <class T>
VclStatsWriter<T>::VclStatsWriter(std::filesystem::path path, const Vcl<T>& rule)
    : path_(std::move(path)), rule_(rule), table_(column_names()) {}

template <class T> void VclStatsWriter<T>::on_epoch_end(const Network<T>& model, const EpochMetrics& m) {
  if (m.epoch == 0) return;  // the initial evaluation, before any step
  if (rule_.in_warmup()) {
    for (std::size_t l = 0; l + 1 < model.n_layers(); ++l)
      table_.append_row({std::int64_t(m.epoch), std::string("warmup"), std::int64_t(l), std::int64_t(0), std::int64_t(0),
                         std::int64_t(0), 0.0, std::numeric_limits<double>::quiet_NaN(), std::int64_t(0), std::int64_t(0), std::int64_t(0), 0.0, 0.0});
  } else {
    for (const VclLayerStats& s : rule_.epoch_stats())
      table_.append_row({std::int64_t(m.epoch), std::string("vcl"), std::int64_t(s.layer), std::int64_t(s.vcl_steps),
                         std::int64_t(s.clipped_total), std::int64_t(s.clipped_max),
                         s.vcl_steps ? double(s.clipped_total) / double(s.vcl_steps) : 0.0, s.min_kept_eigenvalue,
                         std::int64_t(s.full_evd), std::int64_t(s.solver_fallbacks), std::int64_t(s.solver_iterations),
                         s.max_certificate, s.solver_seconds});
  }
  table_.write(path_);
}

template <class T> void VclStatsWriter<T>::save_state(StateArchive& file, const std::string& prefix) const {
  const std::size_t columns = table_.header().size();
  arma::mat rows(table_.n_rows(), columns);
  for (std::size_t i = 0; i < table_.n_rows(); ++i) {
    for (std::size_t j = 0; j < columns; ++j) {
      const CsvCell& cell = table_.rows()[i][j];
      if (const auto* text = std::get_if<std::string>(&cell)) {
        rows(i, j) = *text == "vcl" ? 1.0 : 0.0;
      } else if (const auto* integer = std::get_if<std::int64_t>(&cell)) {
        rows(i, j) = double(*integer);  // counts < 2^53: exact
      } else {
        rows(i, j) = std::get<double>(cell);
      }
    }
  }
  file.write_matrix(prefix + "/rows", rows);
}

template <class T> void VclStatsWriter<T>::load_state(const StateArchive& file, const std::string& prefix) {
  const arma::mat rows = file.read_matrix(prefix + "/rows");
  const std::size_t columns = table_.header().size();
  if (rows.n_elem > 0 && rows.n_cols != columns)
    throw IoError(file.path(), prefix + "/rows: expected " + std::to_string(columns) + " columns (vcl_stats.csv's)");
  CsvTable table(table_.header());
  for (arma::uword i = 0; i < rows.n_rows; ++i) {
    std::vector<CsvCell> row;
    for (std::size_t j = 0; j < columns; ++j) {
      switch (kColumns[j].cell) {
        case Cell::phase: row.emplace_back(std::string(rows(i, j) != 0 ? "vcl" : "warmup")); break;
        case Cell::real: row.emplace_back(rows(i, j)); break;
        case Cell::integer: row.emplace_back(std::int64_t(rows(i, j))); break;
      }
    }
    table.append_row(std::move(row));
  }
  table_ = std::move(table);
  table_.write(path_);
}

template class VclStatsWriter<float>;
template class VclStatsWriter<double>;

}  // namespace vclab
