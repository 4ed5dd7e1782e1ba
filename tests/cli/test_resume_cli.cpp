// Checkpoint and resume end to end: a run SIGKILLed after its first checkpoint, resumed with `--resume DIR`,
// ends with the same metrics (all columns but seconds) and the same recordings, bit for bit, as an uninterrupted run.
#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_test_util.hpp"
#include "io/csv_table.hpp"
#include "io/recordings.hpp"
#include "io/weights_io.hpp"

using namespace vclab;
using namespace vclab::test;
namespace fs = std::filesystem;

namespace {

// 80 samples / batch 16 = 5 steps per epoch.
const std::string kRun =
    "train --dataset synthetic-teacher --synthetic-dim 10 --synthetic-train 80 --synthetic-test 24 --synthetic-classes 3 "
    "--hidden 8,6 --lr 0.1 --batch 16 --threads 1 --record gram,dgram,gram_dw,vc,agop,egop ";

bool contains(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

nlohmann::json read_config(const fs::path& dir) { return nlohmann::json::parse(std::ifstream(dir / "config.json")); }

// Every quantity, layer and checkpoint: same list, same metadata, same values bit for bit.
void require_same_recordings(const fs::path& a_path, const fs::path& b_path) {
  const auto a = RecordingsReader::load(a_path), b = RecordingsReader::load(b_path);
  REQUIRE(a.quantities() == b.quantities());
  std::size_t compared = 0;
  for (const auto& q : a.quantities()) {
    REQUIRE(a.layers(q) == b.layers(q));
    for (auto l : a.layers(q)) {
      REQUIRE(a.checkpoints(q, l) == b.checkpoints(q, l));
      const auto sa = a.series(q, l), sb = b.series(q, l);
      for (std::size_t k = 0; k < sa.size(); ++k) {
        CAPTURE(q);
        CAPTURE(l);
        CAPTURE(k);
        CHECK(sa[k].meta.step == sb[k].meta.step);
        CHECK(sa[k].meta.epoch == sb[k].meta.epoch);
        CHECK(sa[k].diag == sb[k].diag);
        REQUIRE(arma::size(sa[k].data) == arma::size(sb[k].data));
        CHECK(arma::approx_equal(sa[k].data, sb[k].data, "absdiff", 0.0));
        ++compared;
      }
    }
  }
  CHECK(compared > 0);
}

void require_same_metrics(const fs::path& a_path, const fs::path& b_path) {
  const CsvData a = read_csv(a_path), b = read_csv(b_path);
  REQUIRE(a.header == b.header);
  REQUIRE(a.rows.size() == b.rows.size());
  for (std::size_t i = 0; i < a.rows.size(); ++i)
    for (std::size_t j = 0; j < a.header.size(); ++j)
      if (a.header[j] != "seconds") CHECK_MESSAGE(a.rows[i][j] == b.rows[i][j], "row " << i << " column " << a.header[j]);
}

// Runs `args` uninterrupted into dir/full, and killed at `kill_epoch` then resumed into dir/killed; compares.
void check_kill_and_resume(const fs::path& dir, const std::string& args, std::size_t kill_epoch, std::size_t checkpoint_epoch) {
  const auto full = run_vclab(args + "--out " + (dir / "full").string());
  INFO(full.output);
  REQUIRE(full.exit_code == 0);
  CHECK_FALSE(fs::exists(dir / "full" / "checkpoint.h5"));  // a finished run leaves nothing to resume
  CHECK_FALSE(fs::exists(dir / "full" / "checkpoint.h5.sha256"));

  const auto killed = run_vclab_killed_after_write(args + "--out " + (dir / "killed").string(), "metrics.csv", kill_epoch + 1);
  INFO(killed.output);
  REQUIRE(killed.exit_code != 0);  // SIGKILL: the shell reports 137 (or no exit status at all)
  REQUIRE(fs::exists(dir / "killed" / "checkpoint.h5"));
  REQUIRE(fs::exists(dir / "killed" / "checkpoint.h5.sha256"));
  CHECK_FALSE(fs::exists(dir / "killed" / "recordings.h5"));  // only the .partial of the interrupted run
  CHECK(fs::exists(dir / "killed" / "recordings.h5.partial"));
  CHECK(read_config(dir / "killed")["status"] == "running");
  // metrics.csv already holds the killed epoch's row, which the checkpoint predates
  CHECK(read_csv(dir / "killed" / "metrics.csv").rows.size() == kill_epoch + 1);
  CHECK(checkpoint_epoch < kill_epoch);

  const auto resumed = run_vclab("train --resume " + (dir / "killed").string());
  INFO(resumed.output);
  REQUIRE(resumed.exit_code == 0);
  CHECK(read_config(dir / "killed")["status"] == "completed");
  CHECK(read_config(dir / "killed")["resumed_utc"].size() == 1);
  CHECK_FALSE(fs::exists(dir / "killed" / "checkpoint.h5"));
  CHECK_FALSE(fs::exists(dir / "killed" / "checkpoint.h5.sha256"));
  CHECK_FALSE(fs::exists(dir / "killed" / "recordings.h5.partial"));
  CHECK(fs::exists(dir / "killed" / "recordings.h5.sha256"));
  require_same_metrics(dir / "full" / "metrics.csv", dir / "killed" / "metrics.csv");
  require_same_recordings(dir / "full" / "recordings.h5", dir / "killed" / "recordings.h5");
  const WeightSet wa = load_weights(dir / "full" / "weights_final.h5"), wb = load_weights(dir / "killed" / "weights_final.h5");
  REQUIRE(wa.weights.size() == wb.weights.size());
  for (std::size_t l = 0; l < wa.weights.size(); ++l) CHECK(arma::approx_equal(wa.weights[l], wb.weights[l], "absdiff", 0.0));
}

}  // namespace

TEST_CASE("a run killed after a checkpoint and resumed equals an uninterrupted run: momentum, step-recorded, diag") {
  // Checkpoint at epoch 2; killed when epoch 3 ends, after recordings at steps 12 and 14 were written past it.
  const fs::path dir = fresh_temp_dir("resume_diag");
  check_kill_and_resume(dir, kRun + "--epochs 5 --momentum 0.9 --record-every 2steps --checkpoint-every 2 ", 3, 2);
}

TEST_CASE("a run killed after a checkpoint and resumed equals an uninterrupted run: double, full recordings, biases") {
  const fs::path dir = fresh_temp_dir("resume_full");
  check_kill_and_resume(dir, kRun + "--epochs 4 --precision double --bias --record-mode full --checkpoint-every 1 ", 2, 1);
}

TEST_CASE("a VCL run killed after a checkpoint and resumed equals an uninterrupted run: eigen-tracker and full-EVD layers") {
  // --synthetic-dim 60: layer 0 (W0: 8 x 60) tracks its top eigenpairs with the fast solver (k + 40 guard vectors
  // < d = 60), layer 1 (W1: 6 x 8) takes the full EVD. Warm-up epoch 1; VCL from epoch 2; checkpoint at epoch 2,
  // killed when epoch 3 ends: the resumed run restores V, the trackers' warm bases and carried V·Q, and the
  // predictor's SGD state from the checkpoint.
  const std::string vcl_run =
      "train --dataset synthetic-teacher --synthetic-dim 60 --synthetic-train 80 --synthetic-test 24 --synthetic-classes 3 "
      "--hidden 8,6 --lr 0.05 --batch 16 --threads 1 --record gram,vc --optimizer vcl --vcl-solver fast --vcl-last-lr 0.1 ";
  for (const std::string gram : {"current", "initial"}) {
    CAPTURE(gram);
    const fs::path dir = fresh_temp_dir("resume_vcl_" + gram);
    check_kill_and_resume(dir, vcl_run + "--vcl-gram " + gram + " --epochs 4 --checkpoint-every 2 ", 3, 2);
    // vcl_stats.csv: the same rows (the eigen-steps, clipped eigenvalues, full EVDs and tracker iterations of every
    // epoch and layer), all columns but the timing.
    const CsvData a = read_csv(dir / "full" / "vcl_stats.csv"), b = read_csv(dir / "killed" / "vcl_stats.csv");
    REQUIRE(a.header == b.header);
    REQUIRE(a.rows.size() == 4 * 2);  // epochs 1..4 x 2 hidden layers
    REQUIRE(a.rows.size() == b.rows.size());
    const std::size_t evd = a.column("full_evd"), steps = a.column("vcl_steps");
    CHECK(a.rows.back()[a.column("phase")] == "vcl");
    CHECK(std::stoi(a.rows.back()[steps]) > 0);
    CHECK(std::stoi(a.rows[a.rows.size() - 2][evd]) < std::stoi(a.rows[a.rows.size() - 2][steps]));  // layer 0 used the tracker
    for (std::size_t i = 0; i < a.rows.size(); ++i)
      for (std::size_t j = 0; j < a.header.size(); ++j)
        if (a.header[j] != "solver_seconds") CHECK_MESSAGE(a.rows[i][j] == b.rows[i][j], "vcl_stats row " << i << " column " << a.header[j]);
  }
}

TEST_CASE("--resume refuses what it cannot finish, with exit code 2") {
  const fs::path dir = fresh_temp_dir("resume_errors");
  REQUIRE(run_vclab(kRun + "--epochs 1 --out " + (dir / "done").string()).exit_code == 0);
  const auto completed = run_vclab("train --resume " + (dir / "done").string());
  CHECK(completed.exit_code == 2);
  CHECK(contains(completed.output, "completed; nothing to resume"));
  const auto other_flags = run_vclab("train --resume " + (dir / "done").string() + " --lr 0.5");
  CHECK(other_flags.exit_code == 2);
  CHECK(contains(other_flags.output, "drop --lr"));
  const auto missing = run_vclab("train --resume " + (dir / "nothing").string());
  CHECK(missing.exit_code == 2);
  CHECK(contains(missing.output, "no config.json"));
  // killed before its first checkpoint: nothing to resume from
  const auto early = run_vclab_killed_after_write(kRun + "--epochs 3 --out " + (dir / "early").string(), "metrics.csv", 2);
  REQUIRE(early.exit_code != 0);
  const auto no_checkpoint = run_vclab("train --resume " + (dir / "early").string());
  CHECK(no_checkpoint.exit_code == 2);
  CHECK(contains(no_checkpoint.output, "no checkpoint.h5"));
}

TEST_CASE("--resume refuses a damaged checkpoint, or one without its SHA-256 sidecar, naming the file (exit 1)") {
  const fs::path dir = fresh_temp_dir("resume_damaged");
  const auto killed =
      run_vclab_killed_after_write(kRun + "--epochs 3 --checkpoint-every 1 --out " + (dir / "run").string(), "metrics.csv", 3);
  REQUIRE(killed.exit_code != 0);
  const fs::path checkpoint = dir / "run" / "checkpoint.h5", sidecar = dir / "run" / "checkpoint.h5.sha256";
  REQUIRE(fs::exists(checkpoint));
  REQUIRE(fs::exists(sidecar));
  fs::copy_file(checkpoint, dir / "good.h5");
  fs::copy_file(sidecar, dir / "good.sha256");
  {
    std::fstream f(checkpoint, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(std::streamoff(fs::file_size(checkpoint) / 2));
    const char byte = char(f.get() ^ 0x01);
    f.seekp(std::streamoff(fs::file_size(checkpoint) / 2));
    f.put(byte);
  }
  const auto damaged = run_vclab("train --resume " + (dir / "run").string());
  INFO(damaged.output);
  CHECK(damaged.exit_code == 1);
  CHECK(contains(damaged.output, checkpoint.string() + ": its SHA-256 "));
  CHECK(contains(damaged.output, "recorded in checkpoint.h5.sha256 when vclab wrote it: the file is damaged or truncated"));
  CHECK(contains(damaged.output, "Re-run the command that wrote checkpoint.h5, or restore it together with its checkpoint.h5.sha256"));

  fs::copy_file(dir / "good.h5", checkpoint, fs::copy_options::overwrite_existing);
  fs::remove(sidecar);
  const auto unrecorded = run_vclab("train --resume " + (dir / "run").string());
  INFO(unrecorded.output);
  CHECK(unrecorded.exit_code == 1);
  CHECK(contains(unrecorded.output, checkpoint.string() + ": no SHA-256 recorded for it (checkpoint.h5.sha256 is missing)"));

  fs::copy_file(dir / "good.sha256", sidecar);  // both restored: the refusals left the run resumable
  const auto resumed = run_vclab("train --resume " + (dir / "run").string());
  INFO(resumed.output);
  CHECK(resumed.exit_code == 0);
  CHECK(read_config(dir / "run")["status"] == "completed");
}
