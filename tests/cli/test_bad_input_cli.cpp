// The command line's half of docs/bad_input.md: each bad input exits 2 (usage) or 1 (runtime) with a message
// naming the problem and the fix, and leaves nothing half-written; a diverging run keeps what it recorded.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_test_util.hpp"
#include "io/csv_table.hpp"
#include "io/recordings.hpp"

using namespace vclab;
using namespace vclab::test;
namespace fs = std::filesystem;

namespace {

const std::string kTinyData =
    "train --dataset synthetic-teacher --synthetic-dim 12 --synthetic-train 96 --synthetic-test 32 --synthetic-classes 3 "
    "--batch 16 --epochs 3 --threads 1 ";
const std::string kTiny = kTinyData + "--hidden 8 ";

bool contains(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

struct Case {
  std::string args, expected;
  std::vector<std::string> also = {};  // further fragments the output must contain
};

void check_exit(const std::vector<Case>& cases, int exit_code) {
  for (const auto& c : cases) {
    CAPTURE(c.args);
    const auto r = run_vclab(c.args);
    INFO(r.output);
    CHECK(r.exit_code == exit_code);
    CHECK(contains(r.output, c.expected));
    for (const auto& more : c.also) CHECK(contains(r.output, more));
  }
}

}  // namespace

TEST_CASE("bad flags and values exit 2 naming the flag") {
  const fs::path dir = fresh_temp_dir("bad_flags");
  const std::string out = " --out " + (dir / "a").string();
  check_exit({{"train --batch", "--batch: 1 required", {"missing"}},
              {"train --out", "--out: 1 required TEXT missing"},
              {"train --lr abc", "Could not convert: --lr = abc"},
              {"train --batch -4", "--batch: expected a whole number >= 1, got '-4'"},
              {"train --hidden 8,-2", "--hidden: expected a whole number >= 1, got '-2'"},
              {"train --epochs 0 --dataset synthetic-teacher" + out, "--epochs: expected a whole number >= 1, got '0'"},
              {"train --dataset imagenet" + out, "--dataset: unknown dataset 'imagenet'; valid: mnist"},
              {"train --dataset synthetic-teacher --loss hinge" + out, "--loss: unknown value 'hinge'; valid: cross-entropy"},
              {"train --dataset synthetic-teacher --normalize zscore" + out, "--normalize: unknown value 'zscore'; valid: unit"},
              {"train --dataset synthetic-teacher --record-every 0" + out, "--record-every"},
              {"train --dataset synthetic-teacher --optimizer adam" + out, "--optimizer: unknown value 'adam'; valid: sgd, vcl"}},
             2);
  CHECK_FALSE(fs::exists(dir / "a" / "config.json"));  // nothing written for a usage error found before training
}

TEST_CASE("reproduce theorem2 refuses a training set smaller than its protocol needs, before writing anything") {
  const fs::path dir = fresh_temp_dir("theorem2_small");
  check_exit({{"reproduce theorem2 --dataset mnist --train-size 100 --out " + (dir / "r").string(), "--train-size 100 is too small",
               {"at least 1344 samples", "Use --train-size 1344 or more"}}},
             1);
  CHECK_FALSE(fs::exists(dir / "r"));
}

TEST_CASE("--init-from with the wrong number of layers or a missing file") {
  const fs::path dir = fresh_temp_dir("bad_init");
  REQUIRE(run_vclab(kTiny + "--out " + (dir / "a").string()).exit_code == 0);
  const std::string from = (dir / "a" / "weights_init.h5").string();
  check_exit({{kTinyData + "--hidden 8,4 --init-from " + from + " --out " + (dir / "b").string(), "has 2 weight matrices, the model needs 3"},
              {kTiny + "--bias --init-from " + from + " --out " + (dir / "c").string(), "--no-bias"}},
             2);
  const auto missing = run_vclab(kTiny + "--init-from " + (dir / "none.h5").string() + " --out " + (dir / "d").string());
  CHECK(missing.exit_code == 1);
  CHECK(contains(missing.output, "none.h5: file not found (expected an HDF5 file)"));
  CHECK(contains(missing.output, "Check the path"));
}

TEST_CASE("an output path that is a file, or under a file, is refused") {
  const fs::path dir = fresh_temp_dir("bad_out");
  std::ofstream(dir / "file") << "x";
  const auto is_file = run_vclab(kTiny + "--out " + (dir / "file").string());
  CHECK(is_file.exit_code == 2);
  CHECK(contains(is_file.output, "exists and is not a directory"));
  const auto under_file = run_vclab(kTiny + "--out " + (dir / "file" / "run").string());
  INFO(under_file.output);
  CHECK(under_file.exit_code == 1);
  CHECK(contains(under_file.output, "cannot create the output directory"));
  CHECK(contains(under_file.output, "Choose another --out"));
}

TEST_CASE("an output directory without write permission is refused (as root: checked as the user nobody)") {
  const fs::path dir = fresh_temp_dir("readonly_out");
  fs::create_directories(dir / "ro");
  const auto read_exec = fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read | fs::perms::group_exec |
                         fs::perms::others_read | fs::perms::others_exec;
  fs::permissions(dir / "ro", read_exec);
  std::string command = std::string("VCLAB_NO_PROGRESS=1 ") + VCLAB_BINARY;
  if (::geteuid() == 0) {
    // Root ignores directory permissions, so run the binary as nobody (uid/gid 65534) from a copy it can
    // reach (the build tree may sit under a 0700 directory).
    fs::permissions(dir, read_exec | fs::perms::owner_write);
    fs::copy_file(VCLAB_BINARY, dir / "vclab");
    fs::permissions(dir / "vclab", read_exec);
    const std::string as_nobody = "setpriv --reuid=65534 --regid=65534 --clear-groups ";
    if (run_command(as_nobody + (dir / "vclab").string() + " --version").exit_code != 0) {
      MESSAGE("SKIP: running as root and setpriv cannot drop to uid 65534 here; the path-under-a-file case above "
              "covers the same error path");
      return;
    }
    command = "VCLAB_NO_PROGRESS=1 " + as_nobody + (dir / "vclab").string();
  }
  const auto r = run_command(command + " " + kTiny + "--out " + (dir / "ro" / "run").string());
  fs::permissions(dir / "ro", fs::perms::owner_all);
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.output, "cannot create the output directory"));
  CHECK(contains(r.output, "Permission denied"));
  CHECK_FALSE(fs::exists(dir / "ro" / "run"));
}

TEST_CASE("a diverging run exits 1, names step, layer and quantity, and keeps its finite records") {
  const fs::path dir = fresh_temp_dir("diverge");
  const fs::path run = dir / "run";
  const auto r = run_vclab(kTiny + "--lr 1e6 --record gram,vc --out " + run.string());
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.output, "training diverged at step"));
  CHECK(contains(r.output, "try a smaller --lr"));
  // recordings.h5 was closed properly (renamed from .partial) and holds only finite checkpoints, the first being the initial model
  REQUIRE(fs::exists(run / "recordings.h5"));
  CHECK_FALSE(fs::exists(run / "recordings.h5.partial"));
  const auto rec = RecordingsReader::load(run / "recordings.h5");
  REQUIRE_FALSE(rec.checkpoints("gram", 0).empty());
  CHECK(rec.checkpoints("gram", 0).front() == 0);
  for (const auto& q : rec.quantities())
    for (auto l : rec.layers(q))
      for (const auto& x : rec.series(q, l)) CHECK(x.data.is_finite());
  // metrics.csv ends with a `diverged` row; config.json says diverged and quotes the message
  const CsvData metrics = read_csv(run / "metrics.csv");
  REQUIRE_FALSE(metrics.rows.empty());
  CHECK(metrics.rows.back()[metrics.column("status")] == "diverged");
  const auto config = nlohmann::json::parse(std::ifstream(run / "config.json"));
  CHECK(config["status"] == "diverged");
  CHECK(contains(config["divergence"].get<std::string>(), "training diverged at step"));
  CHECK_FALSE(fs::exists(run / "weights_final.h5"));
}

TEST_CASE("divergence messages name step, layer and quantity") {
  const fs::path dir = fresh_temp_dir("diverge_loss");
  // a low --divergence-loss trips on the batch loss itself: the message names the output layer
  const auto r = run_vclab(kTiny + "--lr 0.1 --divergence-loss 0.01 --record none --out " + (dir / "run").string());
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.output, "training diverged at step 0, output, batch loss: loss"));
  CHECK(contains(r.output, "exceeds 0.01"));
  // an lr that overflows float makes the weights Inf/NaN after the first update, with a finite loss and gradient:
  // checked at the checkpoint after every step
  const auto w = run_vclab(kTiny + "--precision float --lr 1e300 --record-every 1steps --record none --out " +
                           (dir / "weights").string());
  INFO(w.output);
  CHECK(w.exit_code == 1);
  CHECK(contains(w.output, "training diverged at step 1, layer 0, W0: NaN or Inf after the update (try a smaller --lr)"));
}
