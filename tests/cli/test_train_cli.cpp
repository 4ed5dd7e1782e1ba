// End-to-end `vclab train`: run directory contents, an independent HDF5 reader, determinism, errors and exit codes.
#include <doctest/doctest.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_test_util.hpp"
#include "io/csv_table.hpp"
#include "io/recordings.hpp"
#include "test_util.hpp"

using namespace vclab;
using namespace vclab::test;
namespace fs = std::filesystem;

namespace {

const std::string kTinyData =
    "train --dataset synthetic-teacher --synthetic-dim 12 --synthetic-train 96 --synthetic-test 32 --synthetic-classes 3 "
    "--lr 0.1 --batch 16 --epochs 3 --threads 1 --record gram,dgram,vc,agop,egop ";
const std::string kTinyRun = kTinyData + "--hidden 8,6 ";

bool contains(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

}  // namespace

TEST_CASE("train writes config.json, metrics.csv, recordings.h5 and weights") {
  const fs::path dir = fresh_temp_dir("basic");
  const auto r = run_vclab(kTinyRun + "--record-mode full --out " + (dir / "run").string());
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  for (const char* f : {"config.json", "metrics.csv", "recordings.h5", "weights_init.h5", "weights_final.h5"})
    CHECK(fs::exists(dir / "run" / f));
  CHECK_FALSE(fs::exists(dir / "run" / "recordings.h5.partial"));

  const auto config = nlohmann::json::parse(std::ifstream(dir / "run" / "config.json"));
  CHECK(config["status"] == "completed");
  CHECK(config["settings"]["lr"] == 0.1);
  CHECK(config["settings"]["hidden"] == std::vector<int>{8, 6});
  CHECK(config["threads_in_use"] == 1);
  CHECK(config["environment"].contains("git"));

  const CsvData metrics = read_csv(dir / "run" / "metrics.csv");
  CHECK(metrics.header.front() == "epoch");
  CHECK(metrics.rows.size() == 4);  // epoch 0 (initial) + 3 epochs

  const RecordingsReader rec = RecordingsReader::load(dir / "run" / "recordings.h5");
  CHECK(rec.quantities() == std::vector<std::string>{"agop", "dgram", "egop", "gram", "vc"});
  CHECK(rec.layers("vc") == std::vector<std::size_t>{0, 1, 2});
  CHECK(rec.checkpoints("gram", 0) == std::vector<std::size_t>{0, 1, 2, 3});
  const Recording last = rec.last("dgram", 0);
  CHECK(last.meta.step == 18);  // 96 / 16 = 6 steps per epoch
  CHECK(last.data.n_rows == 12);
  CHECK(last.data.n_cols == 12);
  // ΔG at checkpoint 0 is zero, and G(0) + ΔG(t) = G(t)
  CHECK(arma::norm(rec.series("dgram", 1).front().data) == 0.0);
  require_close(rec.series("gram", 1).front().data + rec.last("dgram", 1).data, rec.last("gram", 1).data, 1e-12, "G0 + dG");
}

TEST_CASE("recordings.h5 is readable by h5py with the documented layout") {
  if (!have_python_h5py()) {
    MESSAGE("SKIP: /usr/bin/python3 with h5py not available");
    return;
  }
  const fs::path dir = fresh_temp_dir("h5py");
  REQUIRE(run_vclab(kTinyRun + "--out " + (dir / "run").string()).exit_code == 0);
  const std::string script =
      "import h5py,sys\n"
      "f=h5py.File(sys.argv[1],'r')\n"
      "d=f['vc/layer0/000003']\n"
      "print(d.shape, d.attrs['step'], d.attrs['mode'].decode() if isinstance(d.attrs['mode'], bytes) else d.attrs['mode'])\n"
      "print(sorted(f.keys()))\n";
  std::ofstream(dir / "read.py") << script;
  const auto r = run_command("/usr/bin/python3 " + (dir / "read.py").string() + " " + (dir / "run" / "recordings.h5").string());
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.output, "(12,) 18 diag"));
  CHECK(contains(r.output, "['agop', 'dgram', 'egop', 'gram', 'vc']"));
}

TEST_CASE("two identical runs give identical recordings and metrics, in diag and full mode") {
  const fs::path dir = fresh_temp_dir("determinism");
  REQUIRE(run_vclab(kTinyRun + "--out " + (dir / "a").string()).exit_code == 0);
  REQUIRE(run_vclab(kTinyRun + "--out " + (dir / "b").string()).exit_code == 0);
  REQUIRE(run_vclab(kTinyRun + "--seed 9 --out " + (dir / "c").string()).exit_code == 0);
  REQUIRE(run_vclab(kTinyRun + "--record-mode full --out " + (dir / "a_full").string()).exit_code == 0);
  REQUIRE(run_vclab(kTinyRun + "--record-mode full --out " + (dir / "b_full").string()).exit_code == 0);
  for (const auto& [first, second] : {std::pair{"a", "b"}, std::pair{"a_full", "b_full"}}) {
    CAPTURE(first);
    const auto a = RecordingsReader::load(dir / first / "recordings.h5"), b = RecordingsReader::load(dir / second / "recordings.h5");
    REQUIRE(a.quantities() == b.quantities());
    for (const auto& q : a.quantities())
      for (auto l : a.layers(q)) {
        const auto sa = a.series(q, l), sb = b.series(q, l);
        REQUIRE(sa.size() == sb.size());
        for (std::size_t k = 0; k < sa.size(); ++k) CHECK(arma::approx_equal(sa[k].data, sb[k].data, "absdiff", 0.0));
      }
  }
  const auto a = RecordingsReader::load(dir / "a" / "recordings.h5"), c = RecordingsReader::load(dir / "c" / "recordings.h5");
  CHECK_FALSE(arma::approx_equal(a.last("vc", 0).data, c.last("vc", 0).data, "absdiff", 0.0));
  const CsvData ma = read_csv(dir / "a" / "metrics.csv"), mb = read_csv(dir / "b" / "metrics.csv");
  REQUIRE(ma.rows.size() == mb.rows.size());
  for (std::size_t i = 0; i < ma.rows.size(); ++i)
    for (std::size_t j = 0; j < ma.header.size(); ++j)
      if (ma.header[j] != "seconds") CHECK(ma.rows[i][j] == mb.rows[i][j]);
}

TEST_CASE("--init-from restarts from given weights and rejects wrong shapes") {
  const fs::path dir = fresh_temp_dir("init_from");
  REQUIRE(run_vclab(kTinyRun + "--seed 3 --out " + (dir / "a").string()).exit_code == 0);
  const std::string from = (dir / "a" / "weights_init.h5").string();
  // a different --seed, but the same initial weights and shuffling seed... only the init comes from the file
  const auto r = run_vclab(kTinyRun + "--seed 3 --init-from " + from + " --init xavier --out " + (dir / "b").string());
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const auto a = RecordingsReader::load(dir / "a" / "recordings.h5"), b = RecordingsReader::load(dir / "b" / "recordings.h5");
  CHECK(arma::approx_equal(a.last("gram", 0).data, b.last("gram", 0).data, "absdiff", 0.0));
  const auto bad = run_vclab(kTinyData + "--hidden 7,6 --init-from " + from + " --out " + (dir / "c").string());
  CHECK(bad.exit_code == 2);
  CHECK(contains(bad.output, "W0 has shape (8, 12), the model needs (7, 12)"));
}

TEST_CASE("usage errors exit 2 with a message naming the problem") {
  const fs::path dir = fresh_temp_dir("usage");
  struct Case {
    std::string args, expected;
    std::vector<std::string> also = {};
  };
  const std::vector<Case> cases{
      {"train --no-such-flag", "The following argument was not expected: --no-such-flag", {"Run 'vclab --help'"}},
      {"train --lr", "--lr: 1 required FLOAT missing"},
      {"train --dataset synthetic-teacher --lr -0.1 --out " + (dir / "a").string(), "--lr: expected a number > 0, got '-0.1'"},
      {"train --dataset synthetic-teacher --lr 0 --out " + (dir / "a").string(), "--lr: expected a number > 0, got '0'"},
      {"train --dataset synthetic-teacher --batch 0 --out " + (dir / "a").string(), "--batch: expected a whole number >= 1, got '0'"},
      {"train --dataset synthetic-teacher --hidden 0 --out " + (dir / "a").string(), "--hidden: expected a whole number >= 1, got '0'"},
      {"train --dataset synthetic-teacher --activation swish --out " + (dir / "a").string(), "--activation: unknown value 'swish'"},
      {"train --dataset synthetic-teacher --record gram,foo --out " + (dir / "a").string(), "--record: unknown quantity 'foo'"},
      {"train --dataset synthetic-teacher --precision half --out " + (dir / "a").string(), "--precision: unknown value 'half'; valid: float, double"},
      {"frobnicate", "unknown command 'frobnicate'; valid commands: train"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.args);
    const auto r = run_vclab(c.args);
    INFO(r.output);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.output, c.expected));
    for (const auto& more : c.also) CHECK(contains(r.output, more));
  }
  // an existing non-empty output directory
  fs::create_directories(dir / "full");
  std::ofstream(dir / "full" / "keep.txt") << "x";
  const auto r = run_vclab(kTinyRun + "--out " + (dir / "full").string());
  CHECK(r.exit_code == 2);
  CHECK(contains(r.output, "--overwrite"));
  CHECK(fs::exists(dir / "full" / "keep.txt"));
}

TEST_CASE("data errors exit 1 and name the file or the places searched") {
  const fs::path dir = fresh_temp_dir("data_errors");
  const auto missing = run_vclab("train --dataset mnist --data-dir " + (dir / "nothing").string() + " --out " + (dir / "a").string());
  INFO(missing.output);
  CHECK(missing.exit_code == 1);
  CHECK(contains(missing.output, (dir / "nothing").string()));
  CHECK(contains(missing.output, "dataset 'mnist' not found. Looked in:"));
  CHECK(contains(missing.output, "Fix: pass --data-dir DIR"));
  // a truncated labels file next to good-looking names
  fs::create_directories(dir / "mnist");
  for (const char* f : {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"})
    std::ofstream(dir / "mnist" / f) << std::string("\x00\x00\x08", 3);
  const auto truncated = run_vclab("train --dataset mnist --data-dir " + (dir / "mnist").string() + " --out " + (dir / "b").string());
  INFO(truncated.output);
  CHECK(truncated.exit_code == 1);
  CHECK(contains(truncated.output, "idx"));
}

TEST_CASE("fashion-mnist is found without --data-dir (Debian package)") {
  if (!fs::exists("/usr/share/datasets/fashion-mnist")) {
    MESSAGE("SKIP: /usr/share/datasets/fashion-mnist absent (apt-get install dataset-fashion-mnist)");
    return;
  }
  const fs::path dir = fresh_temp_dir("fashion");
  const auto r = run_vclab("train --dataset fashion-mnist --train-size 600 --test-size 200 --hidden 32 --epochs 1 --threads 1 --out " +
                           (dir / "run").string());
  INFO(r.output);
  CHECK(r.exit_code == 0);
  const auto config = nlohmann::json::parse(std::ifstream(dir / "run" / "config.json"));
  CHECK(config["data"]["n_train"] == 600);
  CHECK(contains(config["data"]["source_files"].dump(), "/usr/share/datasets/fashion-mnist"));
}

TEST_CASE("--agop-every: the AGOP/EGOP at every checkpoint (default), the final one only, or its own schedule") {
  const fs::path dir = fresh_temp_dir("agop_every");
  const auto agop_checkpoints = [&](const std::string& flag, const std::string& name) {
    const auto r = run_vclab(kTinyRun + flag + " --out " + (dir / name).string());
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    const RecordingsReader rec = RecordingsReader::load(dir / name / "recordings.h5");
    CHECK(rec.checkpoints("gram", 0) == std::vector<std::size_t>{0, 1, 2, 3});  // the other quantities keep --record-every
    CHECK(rec.checkpoints("egop", 1) == rec.checkpoints("agop", 1));
    const auto config = nlohmann::json::parse(std::ifstream(dir / name / "config.json"));
    CHECK(config["settings"]["agop_every"] == (flag.empty() ? "checkpoint" : flag.substr(flag.find(' ') + 1)));
    return rec.checkpoints("agop", 0);
  };
  CHECK(agop_checkpoints("", "default") == std::vector<std::size_t>{0, 1, 2, 3});
  CHECK(agop_checkpoints("--agop-every final", "final") == std::vector<std::size_t>{3});
  CHECK(agop_checkpoints("--agop-every 2", "two") == std::vector<std::size_t>{0, 2, 3});
  CHECK(agop_checkpoints("--agop-every 12steps", "steps") == std::vector<std::size_t>{0, 2, 3});  // 6 steps per epoch

  // the final AGOP is the same with or without the ones before it (the schedule only skips work)
  const RecordingsReader all = RecordingsReader::load(dir / "default" / "recordings.h5");
  const RecordingsReader last = RecordingsReader::load(dir / "final" / "recordings.h5");
  for (std::size_t l = 0; l < 3; ++l) {
    CHECK(arma::approx_equal(all.last("agop", l).data, last.last("agop", l).data, "absdiff", 0.0));
    CHECK(arma::approx_equal(all.last("egop", l).data, last.last("egop", l).data, "absdiff", 0.0));
  }
}
