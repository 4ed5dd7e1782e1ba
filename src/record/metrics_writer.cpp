// metrics.csv writer: rows kept in memory (and in training checkpoints), the file rewritten atomically.
#include "record/metrics_writer.hpp"

#include <cmath>
#include <limits>
#include <string>

#include "io/state_archive.hpp"
#include "io/io_error.hpp"

namespace vclab {
namespace {

std::vector<std::string> metrics_columns(bool validation) {
  std::vector<std::string> c{"epoch", "steps", "train_loss", "train_accuracy", "test_loss", "test_accuracy"};
  if (validation) c.insert(c.end(), {"val_loss", "val_accuracy"});
  c.insert(c.end(), {"seconds", "status"});
  return c;
}

}  // namespace

template <class T>
MetricsWriter<T>::MetricsWriter(std::filesystem::path path, const Dataset& validation, Loss loss)
    : path_(std::move(path)), validation_(validation), loss_(loss), table_(metrics_columns(validation.size() > 0)) {}

template <class T> void MetricsWriter<T>::on_epoch_end(const Network<T>& model, const EpochMetrics& m) {
  append(m, has_validation() ? evaluate(model, validation_, loss_) : Evaluation{});
  table_.write(path_);
}

template <class T> void MetricsWriter<T>::save_state(StateArchive& file, const std::string& prefix) const {
  arma::mat rows(rows_.size(), 7), val_rows(val_rows_.size(), 2);
  for (std::size_t i = 0; i < rows_.size(); ++i) {
    const EpochMetrics& m = rows_[i];
    rows.row(i) = arma::rowvec{double(m.epoch), double(m.steps), m.train_loss, m.train_accuracy, m.test_loss, m.test_accuracy, m.seconds};
    val_rows.row(i) = arma::rowvec{val_rows_[i].loss, val_rows_[i].accuracy};
  }
  file.write_matrix(prefix + "/rows", rows);
  if (has_validation()) file.write_matrix(prefix + "/val_rows", val_rows);
}

template <class T> void MetricsWriter<T>::load_state(const StateArchive& file, const std::string& prefix) {
  const arma::mat rows = file.read_matrix(prefix + "/rows");
  if (rows.n_elem > 0 && rows.n_cols != 7) throw IoError(file.path(), prefix + "/rows: expected 7 columns");
  const arma::mat val = has_validation() ? file.read_matrix(prefix + "/val_rows") : arma::mat(rows.n_rows, 2);
  if (val.n_rows != rows.n_rows) throw IoError(file.path(), prefix + "/val_rows: expected one row per metrics row");
  for (std::size_t i = 0; i < rows.n_rows; ++i)
    append(EpochMetrics{std::size_t(rows(i, 0)), std::int64_t(rows(i, 1)), rows(i, 2), rows(i, 3), rows(i, 4), rows(i, 5), rows(i, 6)},
           Evaluation{val(i, 0), val(i, 1)});
  table_.write(path_);
}

template <class T> void MetricsWriter<T>::mark_diverged(std::int64_t steps) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<CsvCell> row{std::int64_t(-1), steps, nan, nan, nan, nan};
  if (has_validation()) row.insert(row.end(), {nan, nan});
  row.insert(row.end(), {nan, std::string("diverged")});
  table_.append_row(row);
  table_.write(path_);
}

template <class T> double MetricsWriter<T>::final_val_accuracy() const {
  return val_rows_.empty() || !has_validation() ? NAN : val_rows_.back().accuracy;
}

template <class T> void MetricsWriter<T>::append(const EpochMetrics& m, const Evaluation& val) {
  rows_.push_back(m);
  val_rows_.push_back(val);
  std::vector<CsvCell> row{std::int64_t(m.epoch), m.steps, m.train_loss, m.train_accuracy, m.test_loss, m.test_accuracy};
  if (has_validation()) row.insert(row.end(), {val.loss, val.accuracy});
  row.insert(row.end(), {m.seconds, std::string("ok")});
  table_.append_row(row);
}

template class MetricsWriter<float>;
template class MetricsWriter<double>;

}  // namespace vclab
