// End-to-end figure tests: each figure writes .dat + .gp + .pdf/.png/.svg, the PNG has the
// requested pixel size (read from its IHDR header), and the script re-renders by hand.
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unistd.h>

#include "plot/gnuplot.hpp"
#include "plot/heatmap.hpp"
#include "plot/line_plot.hpp"
#include "plot/scatter.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;

namespace {

// A fresh directory under the system temp dir, removed when the test ends.
struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& tag) {
    static int counter = 0;
    path = fs::temp_directory_path() /
           ("vclab_test_plot_" + std::to_string(::getpid()) + "_" + tag + "_" + std::to_string(counter++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// (width, height) from a PNG's IHDR chunk: 8-byte signature, length, "IHDR", then two
// big-endian 32-bit integers.
std::pair<std::size_t, std::size_t> png_size(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  unsigned char header[24] = {};
  in.read(reinterpret_cast<char*>(header), sizeof header);
  REQUIRE_MESSAGE(in.gcount() == 24, "PNG too short: " << file);
  const unsigned char signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  REQUIRE_MESSAGE(std::equal(signature, signature + 8, header), "not a PNG: " << file);
  REQUIRE(std::string(reinterpret_cast<char*>(header + 12), 4) == "IHDR");
  auto be32 = [&](int at) {
    return (std::size_t{header[at]} << 24) | (std::size_t{header[at + 1]} << 16) |
           (std::size_t{header[at + 2]} << 8) | std::size_t{header[at + 3]};
  };
  return {be32(16), be32(20)};
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Data lines of a .dat file: neither empty nor comments.
std::vector<std::string> data_lines(const fs::path& file) {
  std::istringstream in(read_text(file));
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != '#') lines.push_back(line);
  }
  return lines;
}

void require_figure(const fs::path& dir, const std::string& name, vclab::FigureSize size) {
  for (const std::string ext : {".dat", ".gp", ".pdf", ".png", ".svg"}) {
    const fs::path file = dir / (name + ext);
    REQUIRE_MESSAGE(fs::exists(file), "missing " << file);
    CHECK_MESSAGE(fs::file_size(file) > 0, "empty " << file);
  }
  const auto [w, h] = png_size(dir / (name + ".png"));
  const auto [want_w, want_h] = vclab::png_pixel_size(size);
  CHECK(w == want_w);
  CHECK(h == want_h);
  for (const auto& entry : fs::directory_iterator(dir)) {
    CHECK_MESSAGE(entry.path().extension() != ".partial", "left behind: " << entry.path());
  }
}

bool skip_without_gnuplot() {
  if (vclab::gnuplot_available()) return false;
  std::cout << "SKIP: gnuplot not installed (apt-get install gnuplot-nox)\n";
  MESSAGE("SKIP: gnuplot not installed");
  return true;
}

// The Figure-1 test pattern: a bump in the middle plus a planted maximum at pixel (0, 0).
arma::vec figure1_pattern(double scale, double noise_seed) {
  arma::arma_rng::set_seed(static_cast<arma::uword>(noise_seed));
  arma::vec v(3 * 32 * 32);
  for (std::size_t c = 0; c < 3; ++c) {
    for (std::size_t r = 0; r < 32; ++r) {
      for (std::size_t k = 0; k < 32; ++k) {
        const double d2 = (r - 15.5) * (r - 15.5) + (k - 15.5) * (k - 15.5);
        v(c * 1024 + r * 32 + k) = scale * (0.3 + std::exp(-d2 / 120.0) + 0.05 * arma::randu());
      }
    }
  }
  return v;
}

}  // namespace

TEST_CASE("Figure-1 heatmaps: files, PNG size, data layout, and the script re-renders by hand") {
  if (skip_without_gnuplot()) return;
  TempDir tmp("fig1");
  const vclab::FigureSize size{vclab::FigureWidth::full, 2.1};
  arma::vec gram = figure1_pattern(1.0, 1);
  gram(0) = 100.0;  // channel 0, row 0, col 0
  const std::vector<vclab::HeatmapPanel> panels = {
      {"Weight covariance", gram},
      {"AGOP ρ = 0.71", figure1_pattern(1e-3, 2)},
      {"Virtual covariance ρ = 0.98", figure1_pattern(1.0, 3)}};
  vclab::plot_diagonal_heatmaps(tmp.path, "figure1", panels, {3, 32, 32}, size, false);
  require_figure(tmp.path, "figure1", size);

  // Three 32 x 32 blocks; the first line of block 0 is image row 0 of the channel sum.
  const std::vector<std::string> lines = data_lines(tmp.path / "figure1.dat");
  REQUIRE(lines.size() == 3 * 32);
  std::istringstream first_row(lines[0]);
  std::vector<double> row0;
  for (double v; first_row >> v;) row0.push_back(v);
  REQUIRE(row0.size() == 32);
  const arma::mat sum = vclab::diagonal_to_image(gram, 3, 32, 32, -1);
  CHECK(row0[0] == doctest::Approx(sum(0, 0)).epsilon(1e-15));
  CHECK(row0[0] > 100.0);
  CHECK(row0[31] == doctest::Approx(sum(0, 31)).epsilon(1e-15));

  // The script reads its data by relative name: rerun it by hand from the figure directory.
  const std::string script = read_text(tmp.path / "figure1.gp");
  CHECK(script.find("'figure1.dat'") != std::string::npos);
  CHECK(script.find(tmp.path.string()) == std::string::npos);  // no absolute paths inside
  fs::remove(tmp.path / "figure1.png");
  const std::string command = "cd '" + tmp.path.string() + "' && gnuplot -e \"fmt='png'\" figure1.gp";
  REQUIRE(std::system(command.c_str()) == 0);
  REQUIRE(fs::exists(tmp.path / "figure1.png"));
  const auto [w, h] = png_size(tmp.path / "figure1.png");
  CHECK(w == vclab::png_pixel_size(size).first);
  CHECK(h == vclab::png_pixel_size(size).second);
  // UTF-8 titles reach the SVG as text.
  CHECK(read_text(tmp.path / "figure1.svg").find("ρ = 0.98") != std::string::npos);
}

TEST_CASE("per-channel grid, one-channel image, diverging palette and matrix heatmap render") {
  if (skip_without_gnuplot()) return;
  TempDir tmp("grid");
  const vclab::FigureSize grid_size{vclab::FigureWidth::full, 4.5};
  vclab::plot_diagonal_heatmaps(tmp.path, "grid", {{"G", figure1_pattern(1.0, 4)}, {"V", figure1_pattern(1.0, 5)}},
                                {3, 32, 32}, grid_size, true);
  require_figure(tmp.path, "grid", grid_size);
  CHECK(data_lines(tmp.path / "grid.dat").size() == 2 * 4 * 32);  // 2 panels x (R, G, B, sum)

  const vclab::FigureSize column{vclab::FigureWidth::column, 1.6};
  const arma::vec mnist = arma::linspace(-1.0, 2.0, 28 * 28);
  vclab::plot_diagonal_heatmaps(tmp.path, "mnist", {{"ΔG", mnist}, {"V", -mnist}}, {1, 28, 28}, column,
                                false, vclab::Palette::diverging);
  require_figure(tmp.path, "mnist", column);
  // Diverging colour range is symmetric about zero: max |value| = 2.
  CHECK(read_text(tmp.path / "mnist.gp").find("set cbrange [-2:2]") != std::string::npos);

  const arma::mat rates = {{0.0, 0.25, 0.5}, {0.75, 1.0, arma::datum::nan}};
  vclab::MatrixHeatmapOptions options;
  options.row_axis_label = "activation";
  options.col_axis_label = "batch size";
  options.color_min = 0.0;
  options.color_max = 1.0;
  vclab::plot_matrix_heatmap(tmp.path, "violations", rates, {"ReLU", "GELU"}, {"1", "8", "64"},
                             "Violation rate", "rate", column, options);
  require_figure(tmp.path, "violations", column);
  const std::vector<std::string> labels = data_lines(tmp.path / "violations_labels.dat");
  REQUIRE(labels.size() == 6);
  CHECK(labels[0] == "0 0 \"0.00\" 16777215");  // dark viridis cell: white text
  CHECK(labels[4] == "1 1 \"1.00\" 0");         // bright cell: black text
  CHECK(labels[5] == "2 1 \"n/a\" 0");
  CHECK_THROWS_AS(vclab::plot_matrix_heatmap(tmp.path, "bad", rates, {"one"}, {"1", "8", "64"}, "", "",
                                             column),
                  std::invalid_argument);
}

TEST_CASE("line panels with ±2 std bands and a log-log panel render") {
  if (skip_without_gnuplot()) return;
  TempDir tmp("lines");
  const arma::vec epochs = arma::regspace(1.0, 10.0);
  const arma::vec mean = 60.0 - 30.0 * arma::exp(-epochs / 3.0);
  vclab::LinePanel accuracy{"CIFAR-10", "epoch", "test accuracy (%)"};
  accuracy.key = "bottom right";
  accuracy.series.push_back({"SGD γ = 0.05", epochs, mean, mean - 2.0, mean + 2.0});
  accuracy.series.push_back({"VCL γ = 1", epochs, mean + 5.0, {}, {}, true});
  vclab::LinePanel residual{"Theorem 2", "learning rate γ", "residual"};
  residual.logx = residual.logy = true;
  const arma::vec lr = arma::logspace(-3.0, 0.0, 7);
  residual.series.push_back({"measured", lr, 0.3 * arma::square(lr), {}, {}, true});
  residual.series.push_back({"fit: slope 2", lr, 0.3 * arma::square(lr)});

  const vclab::FigureSize full{vclab::FigureWidth::full, 2.2};
  vclab::plot_line_panels(tmp.path, "curves", {accuracy, residual}, full, 2);
  require_figure(tmp.path, "curves", full);
  // 4 series blocks: 10 + 10 + 7 + 7 rows of x y lo hi; no band = NaN.
  const std::vector<std::string> lines = data_lines(tmp.path / "curves.dat");
  REQUIRE(lines.size() == 34);
  CHECK(lines[10].find("NaN NaN") != std::string::npos);
  CHECK(lines[0].find("NaN") == std::string::npos);

  const vclab::FigureSize column{vclab::FigureWidth::column, 2.4};
  vclab::plot_lines(tmp.path, "single", residual, column);
  require_figure(tmp.path, "single", column);

  vclab::LinePanel broken = accuracy;
  broken.series[0].y = arma::vec(3, arma::fill::ones);
  CHECK_THROWS_AS(vclab::plot_lines(tmp.path, "broken", broken, column), std::invalid_argument);
  vclab::LinePanel negative_log = accuracy;
  negative_log.logy = true;
  for (auto& s : negative_log.series) s.y = -s.y;
  CHECK_THROWS_AS(vclab::plot_lines(tmp.path, "neglog", negative_log, column), std::invalid_argument);
}

TEST_CASE("scatter subsamples deterministically to max_points and draws reference lines") {
  if (skip_without_gnuplot()) return;
  TempDir tmp("scatter");
  arma::arma_rng::set_seed(7);
  const arma::vec v = arma::randn(5000);
  const arma::vec a = v % arma::randu(5000);
  const vclab::FigureSize column{vclab::FigureWidth::column, 2.6};
  vclab::plot_scatter(tmp.path, "theorem3", v, a, "virtual change v", "actual change a", "ReLU",
                      {{"|a| = L^2|v|", "x"}, {"", "-x"}}, column, 1000);
  require_figure(tmp.path, "theorem3", column);
  const std::vector<std::string> lines = data_lines(tmp.path / "theorem3.dat");
  REQUIRE(lines.size() == 1000);
  // Row i holds point floor(i * 5000 / 1000) = 5 i.
  std::istringstream row(lines[3]);
  double x = 0.0, y = 0.0;
  row >> x >> y;
  CHECK(x == v(15));
  CHECK(y == a(15));
  CHECK(read_text(tmp.path / "theorem3.gp").find("'|a| = L\\^2|v|'") != std::string::npos);
  CHECK_THROWS_AS(vclab::plot_scatter(tmp.path, "bad", v, a.head(10), "", "", "", {}, column, 10),
                  std::invalid_argument);
}

TEST_CASE("a failing script reports gnuplot's stderr and the script path, and leaves no render") {
  if (skip_without_gnuplot()) return;
  TempDir tmp("fail");
  const vclab::FigureSize size{};
  try {
    vclab::render_figure(tmp.path, "broken", {{"broken.dat", "1 2\n"}},
                         "plot 'no_such_file.dat' using 1:2 with lines\n", size);
    FAIL("render_figure should have thrown");
  } catch (const std::runtime_error& e) {
    const std::string message = e.what();
    CHECK(message.find("broken.gp") != std::string::npos);
    CHECK(message.find("no_such_file.dat") != std::string::npos);  // from gnuplot's stderr
  }
  CHECK(fs::exists(tmp.path / "broken.gp"));  // kept so the user can debug it
  CHECK(fs::exists(tmp.path / "broken.dat"));
  CHECK_FALSE(fs::exists(tmp.path / "broken.pdf"));
  for (const auto& entry : fs::directory_iterator(tmp.path)) {
    CHECK_MESSAGE(entry.path().extension() != ".partial", "left behind: " << entry.path());
  }
  CHECK_THROWS_AS(vclab::render_figure(tmp.path, "../escape", {}, "plot x\n", size), std::invalid_argument);
  CHECK_THROWS_AS(vclab::render_figure(tmp.path, "ok", {{"a b.dat", ""}}, "plot x\n", size),
                  std::invalid_argument);
}

TEST_CASE("without gnuplot the error says how to install it and the data and script are kept") {
  TempDir tmp("nognuplot");
  const char* previous = std::getenv("VCLAB_GNUPLOT");
  const std::string saved = previous ? previous : "";
  ::setenv("VCLAB_GNUPLOT", "/nonexistent/vclab/gnuplot", 1);
  CHECK_FALSE(vclab::gnuplot_available());
  std::string message;
  try {
    vclab::render_figure(tmp.path, "fig", {{"fig.dat", "1 2\n"}}, "plot 'fig.dat'\n", {});
  } catch (const std::runtime_error& e) {
    message = e.what();
  }
  if (previous) {
    ::setenv("VCLAB_GNUPLOT", saved.c_str(), 1);
  } else {
    ::unsetenv("VCLAB_GNUPLOT");
  }
  CHECK(message.find("apt-get install gnuplot-nox") != std::string::npos);
  CHECK(fs::exists(tmp.path / "fig.dat"));
  CHECK(fs::exists(tmp.path / "fig.gp"));
  CHECK_FALSE(fs::exists(tmp.path / "fig.pdf"));
}
