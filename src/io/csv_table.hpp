// CsvTable: a small RFC 4180 CSV table (metrics.csv, analysis tables). Numbers are written with
// the shortest representation that round-trips exactly; files are written atomically.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <variant>
#include <vector>

namespace vclab {

using CsvCell = std::variant<std::string, double, std::int64_t>;

// Formats one cell: strings as is, doubles with std::to_chars (shortest exact round trip;
// "nan", "inf", "-inf" for non-finite values), integers in decimal.
std::string format_csv_cell(const CsvCell& cell);

class CsvTable {
 public:
  explicit CsvTable(std::vector<std::string> header);

  // Throws std::invalid_argument when the row does not have one cell per header column.
  void append_row(std::vector<CsvCell> row);

  const std::vector<std::string>& header() const { return header_; }
  const std::vector<std::vector<CsvCell>>& rows() const { return rows_; }
  std::size_t n_rows() const { return rows_.size(); }

  // The whole table as CSV text: header line, one line per row, "\n" line ends; cells that
  // contain a comma, quote or line break are quoted.
  std::string to_string() const;

  // Writes to_string() atomically (IoError on failure).
  void write(const std::filesystem::path& path) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<CsvCell>> rows_;
};

// A CSV file as read back: the header and the rows as strings.
struct CsvData {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;

  // Index of a header column; throws std::out_of_range naming the column and listing the header.
  std::size_t column(const std::string& name) const;
};

// Reads a CSV file (first line is the header; quoted fields allowed; "\n" or "\r\n" line ends).
// Throws IoError naming the file and line for ragged rows or an unterminated quote.
CsvData read_csv(const std::filesystem::path& path);

}  // namespace vclab
