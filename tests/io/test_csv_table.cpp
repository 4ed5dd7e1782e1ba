// Tests for CsvTable / read_csv: quoting, exact number round trip, ragged-row errors.
#include "io/csv_table.hpp"

#include <charconv>
#include <cmath>
#include <limits>

#include "io/io_error.hpp"
#include "io_test_util.hpp"

using namespace vclab;
using vclab::test::TempDir;

namespace {
double parse_double(const std::string& s) {
  double x = 0;
  const auto res = std::from_chars(s.data(), s.data() + s.size(), x);
  REQUIRE_MESSAGE(res.ec == std::errc(), "cannot parse '" << s << "'");
  REQUIRE(res.ptr == s.data() + s.size());
  return x;
}
}  // namespace

TEST_CASE("CsvTable writes and read_csv reads back strings, integers and doubles exactly") {
  TempDir dir;
  const auto path = dir / "metrics.csv";
  const std::vector<double> values = {0.1, 1.0 / 3.0, 1e-300, -2.5e17, 6.02214076e23, 5e-324,
                                      std::nextafter(1.0, 2.0)};
  CsvTable table({"epoch", "name", "value"});
  for (std::size_t i = 0; i < values.size(); ++i) {
    table.append_row({std::int64_t(i), std::string("row ") + std::to_string(i), values[i]});
  }
  table.append_row({std::int64_t{-7}, std::string("has, comma \"and quotes\"\nand newline"), 0.5});
  table.write(path);
  CHECK(dir.entries() == std::vector<std::string>{"metrics.csv"});

  const CsvData data = read_csv(path);
  CHECK(data.header == std::vector<std::string>{"epoch", "name", "value"});
  REQUIRE(data.rows.size() == values.size() + 1);
  for (std::size_t i = 0; i < values.size(); ++i) {
    CHECK(data.rows[i][0] == std::to_string(i));
    CHECK(parse_double(data.rows[i][data.column("value")]) == values[i]);  // bit-exact round trip
  }
  CHECK(data.rows.back()[0] == "-7");
  CHECK(data.rows.back()[1] == "has, comma \"and quotes\"\nand newline");
  CHECK_THROWS_AS(data.column("loss"), std::out_of_range);
}

TEST_CASE("format_csv_cell writes non-finite values as nan/inf") {
  CHECK(format_csv_cell(std::numeric_limits<double>::quiet_NaN()) == "nan");
  CHECK(format_csv_cell(-std::numeric_limits<double>::infinity()) == "-inf");
  CHECK(format_csv_cell(0.25) == "0.25");
  CHECK(format_csv_cell(std::int64_t{42}) == "42");
}

TEST_CASE("append_row rejects a row with the wrong number of cells") {
  CsvTable table({"a", "b"});
  CHECK_THROWS_AS(table.append_row({1.0}), std::invalid_argument);
  CHECK(table.n_rows() == 0);
}

TEST_CASE("read_csv names the file and the line of a ragged row") {
  TempDir dir;
  const auto path = dir / "ragged.csv";
  test::write_text_file(path, "a,b,c\r\n1,2,3\r\n4,5\r\n");
  const std::string msg = test::thrown_message<IoError>([&] { read_csv(path); });
  CHECK(msg.find("ragged.csv") != std::string::npos);
  CHECK(msg.find("line 3") != std::string::npos);
  CHECK(msg.find("expected 3") != std::string::npos);
}

TEST_CASE("read_csv accepts CRLF line ends and a missing final newline") {
  TempDir dir;
  const auto path = dir / "crlf.csv";
  test::write_text_file(path, "x,y\r\n1,\"2\"\r\n3,4");
  const CsvData data = read_csv(path);
  REQUIRE(data.rows.size() == 2);
  CHECK(data.rows[0] == std::vector<std::string>{"1", "2"});
  CHECK(data.rows[1] == std::vector<std::string>{"3", "4"});
}
