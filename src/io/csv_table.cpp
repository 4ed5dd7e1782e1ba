// CsvTable writing and read_csv parsing. See csv_table.hpp.
#include "io/csv_table.hpp"

#include <charconv>
#include <cmath>
#include <stdexcept>

#include "io/atomic_write.hpp"
#include "io/io_error.hpp"
#include "io/whole_file.hpp"

namespace vclab {

namespace {

std::string quote_if_needed(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string join_line(const std::vector<std::string>& cells) {
  std::string line;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) line += ',';
    line += quote_if_needed(cells[i]);
  }
  line += '\n';
  return line;
}

}  // namespace

std::string format_csv_cell(const CsvCell& cell) {
  if (const auto* s = std::get_if<std::string>(&cell)) return *s;
  if (const auto* i = std::get_if<std::int64_t>(&cell)) return std::to_string(*i);
  const double x = std::get<double>(cell);
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, x);  // shortest exact round trip
  return std::string(buf, res.ptr);
}

CsvTable::CsvTable(std::vector<std::string> header) : header_(std::move(header)) {
  if (header_.empty()) throw std::invalid_argument("CsvTable: the header needs at least one column");
}

void CsvTable::append_row(std::vector<CsvCell> row) {
  if (row.size() != header_.size())
    throw std::invalid_argument("CsvTable::append_row: expected " + std::to_string(header_.size()) +
                                " cells (one per header column), got " + std::to_string(row.size()));
  rows_.push_back(std::move(row));
}

std::string CsvTable::to_string() const {
  std::string out = join_line(header_);
  std::vector<std::string> cells;
  for (const auto& row : rows_) {
    cells.clear();
    for (const auto& cell : row) cells.push_back(format_csv_cell(cell));
    out += join_line(cells);
  }
  return out;
}

void CsvTable::write(const std::filesystem::path& path) const { write_file_atomically(path, to_string()); }

std::size_t CsvData::column(const std::string& name) const {
  for (std::size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return i;
  std::string cols;
  for (const auto& h : header) cols += (cols.empty() ? "" : ", ") + h;
  throw std::out_of_range("CSV column '" + name + "' not found; the header has: " + cols);
}

CsvData read_csv(const std::filesystem::path& path) {
  const std::string text = read_whole_file(path, "CSV file");

  CsvData data;
  std::vector<std::string> record;
  std::string field;
  std::size_t line = 1, record_line = 1;
  bool in_quotes = false, field_started = false, have_header = false;

  auto end_record = [&]() {
    record.push_back(field);
    field.clear();
    field_started = false;
    const bool blank = record.size() == 1 && record[0].empty();  // blank lines are skipped
    if (!blank && !have_header) {
      data.header = record;
      have_header = true;
    } else if (!blank) {
      if (record.size() != data.header.size()) {
        throw IoError(path, "line " + std::to_string(record_line) + " has " +
                                std::to_string(record.size()) + " fields, expected " +
                                std::to_string(data.header.size()) + " (one per header column)",
                      "Fix or regenerate the file");
      }
      data.rows.push_back(record);
    }
    record.clear();
  };

  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"' && !field_started) {
      in_quotes = true;
      field_started = true;
    } else if (c == ',') {
      record.push_back(field);
      field.clear();
      field_started = false;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      end_record();
      ++line;
      record_line = line;
    } else {
      field += c;
      field_started = true;
    }
  }
  if (in_quotes)
    throw IoError(path, "unterminated quoted field starting on line " + std::to_string(record_line),
                  "Fix or regenerate the file");
  if (field_started || !record.empty()) end_record();
  if (data.header.empty()) throw IoError(path, "empty CSV file (expected a header line)", "Regenerate it");
  return data;
}

}  // namespace vclab
