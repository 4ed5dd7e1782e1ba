// End-to-end issue-8 features: feature probes and singular values recorded by `vclab train`, the tables
// `vclab analyze` writes from them, and small runs of `vclab reproduce spike` and `reproduce linearization`.
#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_test_util.hpp"
#include "io/csv_table.hpp"
#include "io/recordings.hpp"
#include "test_util.hpp"

using namespace vclab;
using namespace vclab::test;
namespace fs = std::filesystem;

TEST_CASE("train --record linearity,collapse,sv and analyze write the probe, spectra and angle tables") {
  const fs::path dir = fresh_temp_dir("probes");
  const auto r = run_vclab(
      "train --dataset synthetic-teacher --synthetic-dim 12 --synthetic-train 120 --synthetic-test 32 --synthetic-classes 3 "
      "--hidden 8,6 --lr 0.1 --batch 16 --epochs 2 --threads 1 --record gram,dgram,vc,agop,sv,linearity,collapse --record-mode full "
      "--probe-samples 90 --out " + (dir / "run").string());
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const RecordingsReader rec = RecordingsReader::load(dir / "run" / "recordings.h5");
  CHECK(rec.layers("linearity") == std::vector<std::size_t>{0, 1, 2, 3});
  CHECK(rec.layers("collapse") == std::vector<std::size_t>{2});
  CHECK(rec.layers("sv") == std::vector<std::size_t>{0, 1, 2});
  CHECK(rec.root_attribute_int("probe_samples") == 90);
  CHECK(rec.root_attribute_sizes("layer_widths") == std::vector<std::size_t>{12, 8, 6, 3});
  CHECK(rec.last("sv", 0).data.n_rows == 8);  // min(8, 12) singular values

  const auto a = run_vclab("analyze " + (dir / "run").string());
  INFO(a.output);
  REQUIRE(a.exit_code == 0);
  for (const char* f : {"linearity.csv", "collapse.csv", "linearization.json", "spectra.csv", "outliers.csv", "subspace_angles.csv"})
    CHECK(fs::exists(dir / "run" / "analysis" / f));
  const CsvData lin = read_csv(dir / "run" / "analysis" / "linearity.csv");
  CHECK(lin.header == std::vector<std::string>{"layer", "checkpoint", "step", "epoch", "target_linearity", "surrogate", "surrogate_rel", "dim_used"});
  CHECK(lin.rows.size() == 4 * 3);  // 4 layers x (init + 2 epochs)
  for (const auto& row : lin.rows) {
    const double t = std::stod(row[lin.column("target_linearity")]);
    CHECK(t >= -1e-12);
    CHECK(t <= 1 + 1e-12);
  }
  const CsvData angles = read_csv(dir / "run" / "analysis" / "subspace_angles.csv");
  CHECK(angles.rows.size() > 0);
}

TEST_CASE("train refuses collapse probes on a regression dataset and a negative --linearity-lambda, with exit 2") {
  const fs::path dir = fresh_temp_dir("probe_errors");
  auto r = run_vclab("train --dataset synthetic-single-index --synthetic-dim 8 --synthetic-train 64 --loss mse --epochs 1 --hidden 4 "
                     "--record collapse --out " + (dir / "a").string());
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("regression") != std::string::npos);
  r = run_vclab("train --dataset synthetic-teacher --synthetic-dim 8 --epochs 1 --hidden 4 --record linearity --linearity-lambda -1 --out " +
                (dir / "b").string());
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("--linearity-lambda") != std::string::npos);
}

TEST_CASE("reproduce spike writes its report; the exact split holds and the η² part carries the spike for tanh") {
  const fs::path dir = fresh_temp_dir("spike");
  const auto r = run_vclab("reproduce spike --d 48 --width 96 --n-test 400 --lr-scales 0.1,3 --ratios 2,4 --targets tanh --seeds 2 "
                           "--threads 1 --out " + dir.string());
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(fs::exists(dir / "README.md"));
  CHECK(fs::exists(dir / "figures" / "spike_tanh.png"));
  const auto summary = nlohmann::json::parse(std::ifstream(dir / "summary.json"));
  const auto& big = summary["targets"]["tanh"]["lr_sweep"][1];
  CHECK(big["identity_error"]["mean"].get<double>() < 1e-12);
  // At 3 η_ref the step makes a β-aligned outlier, and P₂, not P₁, is aligned with β.
  CHECK(big["outliers_after"]["mean"].get<double>() >= 1);
  CHECK(big["overlap_second"]["mean"].get<double>() > big["overlap_first"]["mean"].get<double>());
}

TEST_CASE("reproduce linearization on a slice of MNIST writes the per-layer answer") {
  const auto mnist = test_data_root() / "mnist";
  if (skip_without(mnist)) return;
  const fs::path dir = fresh_temp_dir("linearization");
  const auto r = run_vclab("reproduce linearization --datasets mnist,no-such-dataset --data-root " + test_data_root().string() +
                           " --hidden 32,32 --epochs 1 --train-size 1000 --probe-samples 500 --agop-samples 200 --checkpoints-per-epoch 2 "
                           "--threads 1 --out " + dir.string());
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const auto summary = nlohmann::json::parse(std::ifstream(dir / "summary.json"));
  REQUIRE(summary["datasets"].size() == 2);
  const auto& m = summary["datasets"][0];
  CHECK(m["dataset"] == "mnist");
  CHECK(m["linearization"]["layers"].size() == 2);  // the hidden layers h1, h2
  CHECK(summary["datasets"][1].contains("skipped"));
  CHECK(fs::exists(dir / "figures" / "mnist_linearity.png"));
  CHECK(fs::exists(dir / "figures" / "mnist_spectra.png"));
  std::ifstream md(dir / "README.md");
  const std::string text((std::istreambuf_iterator<char>(md)), std::istreambuf_iterator<char>());
  CHECK(text.find("## Answer") != std::string::npos);
}
