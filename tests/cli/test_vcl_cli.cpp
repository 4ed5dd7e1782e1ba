// End-to-end `vclab train --optimizer vcl` (Algorithm 1): the run directory holds the same recordings as SGD's plus
// vcl_stats.csv; a diverging γ ends as `diverged`; bad --vcl-* values are usage errors.
#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_test_util.hpp"
#include "io/csv_table.hpp"
#include "io/recordings.hpp"

using namespace vclab;
using namespace vclab::test;
namespace fs = std::filesystem;

namespace {

const std::string kTinyVcl =
    "train --dataset synthetic-teacher --synthetic-dim 12 --synthetic-train 96 --synthetic-test 32 --synthetic-classes 3 "
    "--hidden 8 --batch 16 --epochs 3 --threads 1 --optimizer vcl --vcl-warmup-epochs 1 ";

}  // namespace

TEST_CASE("train --optimizer vcl writes the run directory with recordings like SGD, plus vcl_stats.csv") {
  const fs::path dir = fresh_temp_dir("vcl");
  const auto r = run_vclab(kTinyVcl + "--lr 0.5 --record gram,dgram,vc,agop --out " + (dir / "run").string());
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  for (const char* f : {"config.json", "metrics.csv", "recordings.h5", "weights_init.h5", "weights_final.h5", "vcl_stats.csv"})
    CHECK(fs::exists(dir / "run" / f));
  const auto config = nlohmann::json::parse(std::ifstream(dir / "run" / "config.json"));
  CHECK(config["status"] == "completed");
  CHECK(config["settings"]["optimizer"] == "vcl");
  const CsvData metrics = read_csv(dir / "run" / "metrics.csv");
  CHECK(metrics.rows.size() == 4);  // epoch 0 + 3 epochs
  const RecordingsReader rec = RecordingsReader::load(dir / "run" / "recordings.h5");
  CHECK(rec.quantities() == std::vector<std::string>{"agop", "dgram", "gram", "vc"});
  const CsvData stats = read_csv(dir / "run" / "vcl_stats.csv");
  REQUIRE(stats.rows.size() == 3);  // one hidden layer × 3 epochs
  CHECK(stats.rows[0][stats.column("phase")] == "warmup");
  CHECK(stats.rows[1][stats.column("phase")] == "vcl");
  CHECK(stats.rows[1][stats.column("vcl_steps")] == "6");  // 96 / 16 eigen-steps
}

TEST_CASE("train --optimizer vcl with a huge γ ends as diverged, exit 1") {
  const fs::path dir = fresh_temp_dir("vcl_diverge");
  const auto r = run_vclab(kTinyVcl + "--lr 1e25 --record none --out " + (dir / "run").string());
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("diverged") != std::string::npos);
  const auto config = nlohmann::json::parse(std::ifstream(dir / "run" / "config.json"));
  CHECK(config["status"] == "diverged");
  const CsvData metrics = read_csv(dir / "run" / "metrics.csv");
  CHECK(metrics.rows.back()[metrics.column("status")] == "diverged");
}

TEST_CASE("bad --vcl-* values are usage errors (exit 2)") {
  const fs::path dir = fresh_temp_dir("vcl_bad");
  CHECK(run_vclab(kTinyVcl + "--vcl-gram cumulative --out " + (dir / "a").string()).exit_code == 2);
  CHECK(run_vclab(kTinyVcl + "--vcl-solver lanczos --out " + (dir / "b").string()).exit_code == 2);
  CHECK(run_vclab(kTinyVcl + "--bias --out " + (dir / "c").string()).exit_code == 2);
}

TEST_CASE("--vcl-solver: fast tracks with one cold-start EVD, auto keeps the full EVD where d_l <= 1024 (the default)") {
  const fs::path dir = fresh_temp_dir("vcl_solver");
  // d_0 = 40 > k + guards = 8 + 8 + 8, so the tracker may run; 96 / 16 = 6 eigen-steps per VCL epoch.
  const std::string base =
      "train --dataset synthetic-teacher --synthetic-dim 40 --synthetic-train 96 --synthetic-test 32 --synthetic-classes 3 "
      "--hidden 8 --batch 16 --epochs 3 --threads 1 --optimizer vcl --vcl-warmup-epochs 1 --lr 0.5 --record none ";
  const auto full_evds = [&](const std::string& solver_flag, const std::string& name) {
    const auto r = run_vclab(base + solver_flag + "--out " + (dir / name).string());
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    const CsvData stats = read_csv(dir / name / "vcl_stats.csv");
    REQUIRE(stats.rows.size() == 3);
    CHECK(stats.rows[2][stats.column("vcl_steps")] == "6");
    return stats.rows[1][stats.column("full_evd")] + "," + stats.rows[2][stats.column("full_evd")];
  };
  CHECK(full_evds("--vcl-solver fast ", "fast") == "1,0");  // the cold start only
  CHECK(full_evds("--vcl-solver auto ", "auto") == "6,6");  // d_0 = 40 <= 1024: full EVD every step
  CHECK(full_evds("", "default") == "6,6");
  const auto config = nlohmann::json::parse(std::ifstream(dir / "default" / "config.json"));
  CHECK(config["settings"]["vcl_solver"] == "auto");
}
