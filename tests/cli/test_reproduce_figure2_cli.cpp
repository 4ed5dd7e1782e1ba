// `vclab train --val-fraction`, settings -> flags, and the Figure 2 sweep on a tiny synthetic grid: a plan with one line
// per missing run, a Slurm array script run by bash for each index (and submitted to a single-node cluster where one
// can be started), --collect from what finished, and a rerun that reuses runs from their result files alone.
#include <doctest/doctest.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "app/commands.hpp"
#include "app/train_settings.hpp"
#include "cli_test_util.hpp"
#include "io/csv_table.hpp"

using namespace vclab::test;
namespace fs = std::filesystem;

namespace {

std::size_t count_lines(const fs::path& path) {
  std::ifstream in(path);
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);) n += !line.empty();
  return n;
}

nlohmann::json read_json_file(const fs::path& path) { return nlohmann::json::parse(std::ifstream(path)); }

// 2 datasets' worth of nothing: one synthetic dataset, 2 SGD γ and 2 VCL γ, 2 seeds, 3 epochs = 8 runs of a second or less.
std::string sweep_args(const fs::path& out) {
  return "reproduce figure2 --datasets synthetic-teacher --hidden 8 --seeds 2 --epochs 3 --sgd-lrs 0.5,0.1 --vcl-lrs 1,0.1 "
         "--jobs 2 --out " + out.string();
}

// Runs the array script for tasks first..last with SLURM_ARRAY_TASK_ID set, as Slurm would (#SBATCH lines are comments).
void run_array_tasks(const fs::path& script, std::size_t first, std::size_t last) {
  for (std::size_t i = first; i <= last; ++i) {
    const auto r = run_command("SLURM_ARRAY_TASK_ID=" + std::to_string(i) + " bash " + script.string());
    INFO("task " << i << ": " << r.output);
    REQUIRE(r.exit_code == 0);
  }
}

}  // namespace

TEST_CASE("train_args gives back every non-default setting through the train flags") {
  vclab::TrainSettings s;
  s.dataset = "synthetic-teacher";
  s.data_dir = "/data with space";
  s.train_size = 100;
  s.val_fraction = 0.1;
  s.hidden = {16, 8};
  s.bias = true;
  s.optimizer = vclab::Optimizer::vcl;
  s.vcl_solver = vclab::VclSolver::full;
  s.vcl_gram = vclab::VclGram::per_step;
  s.normalize = vclab::Normalization::l2;
  s.record_mode = vclab::RecordMode::full;
  s.record_every = vclab::RecordSchedule{25, vclab::RecordSchedule::Unit::step};
  s.lr = 0.1;  // not exact in binary: must come back bit for bit
  s.epochs = 3;
  s.seed = 7;
  s.vcl_alpha = 1.0 / 3;
  s.vcl_clip = false;
  s.vcl_train_last = false;
  s.save_weights = false;
  s.agop_centered = true;
  s.record = "none";
  s.out = "runs/x";
  s.overwrite = true;
  std::vector<std::string> args = vclab::train_args(s);
  CHECK(std::find(args.begin(), args.end(), "--no-vcl-clip") != args.end());
  CHECK(std::find(args.begin(), args.end(), "--activation") == args.end());  // defaults are left out
  CLI::App app;
  vclab::TrainSettings parsed;
  vclab::add_train_options(app, parsed);
  std::reverse(args.begin(), args.end());  // CLI11 parses a reversed vector
  app.parse(args);
  CHECK(vclab::to_json(parsed) == vclab::to_json(s));
}

TEST_CASE("train --val-fraction scores the held-out end of the training set every epoch; without it metrics.csv is unchanged") {
  const fs::path dir = fresh_temp_dir("val_fraction");
  const std::string base = "train --dataset synthetic-teacher --hidden 8 --epochs 2 --record none --threads 1 --out ";
  const auto with = run_vclab(base + (dir / "val").string() + " --val-fraction 0.25 --train-size 500");
  INFO(with.output);
  REQUIRE(with.exit_code == 0);
  const auto metrics = vclab::read_csv(dir / "val" / "metrics.csv");
  CHECK(metrics.header == std::vector<std::string>{"epoch", "steps", "train_loss", "train_accuracy", "test_loss", "test_accuracy",
                                                   "val_loss", "val_accuracy", "seconds", "status"});
  CHECK(metrics.rows.size() == 3);
  const auto config = read_json_file(dir / "val" / "config.json");
  CHECK(config["data"]["n_train"] == 500);
  CHECK(config["data"]["n_validation"] == 256);  // the last 25% of the 1024 generated samples
  CHECK(config["result"]["final_val_accuracy"] == doctest::Approx(std::stod(metrics.rows.back()[7])));

  REQUIRE(run_vclab(base + (dir / "plain").string()).exit_code == 0);
  CHECK(vclab::read_csv(dir / "plain" / "metrics.csv").header ==
        std::vector<std::string>{"epoch", "steps", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "seconds", "status"});
  CHECK(run_vclab(base + (dir / "bad").string() + " --val-fraction 1").exit_code == 2);

  // a killed run resumes with its validation columns intact (the checkpoint keeps them)
  const std::string three = "train --dataset synthetic-teacher --hidden 8 --epochs 3 --record none --threads 1 --val-fraction 0.25 --out ";
  REQUIRE(run_vclab(three + (dir / "full").string()).exit_code == 0);
  run_vclab_killed_after_write(three + (dir / "killed").string(), "metrics.csv", 3);  // after the epoch-2 row
  REQUIRE(run_vclab("train --resume " + (dir / "killed").string()).exit_code == 0);
  const auto full = vclab::read_csv(dir / "full" / "metrics.csv"), resumed = vclab::read_csv(dir / "killed" / "metrics.csv");
  REQUIRE(full.rows.size() == resumed.rows.size());
  for (std::size_t i = 0; i < full.rows.size(); ++i)
    for (std::size_t j = 0; j < full.header.size(); ++j)
      if (full.header[j] != "seconds") CHECK(full.rows[i][j] == resumed.rows[i][j]);
  const auto too_many = run_vclab(base + (dir / "big").string() + " --val-fraction 0.5 --train-size 600");
  CHECK(too_many.exit_code == 1);
  CHECK(too_many.output.find("lie before the validation split") != std::string::npos);
}

TEST_CASE("figure2 sweep: plan, Slurm array script run per index, collect, and a rerun from result files alone") {
  const fs::path dir = fresh_temp_dir("figure2_sweep");
  const fs::path out = dir / "out", plan = dir / "plan.txt", script = dir / "figure2.sbatch";
  const std::string args = sweep_args(out);

  // (a) a plan with one line per missing run; nothing trained
  auto r = run_vclab(args + " --plan " + plan.string() + " --emit slurm " + script.string());
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(count_lines(plan) == 8);
  CHECK(!fs::exists(out / "runs" / "synthetic-teacher" / "sgd_lr0.5_seed0" / "config.json"));
  std::ifstream plan_in(plan);
  std::string first_line;
  std::getline(plan_in, first_line);
  CHECK(first_line.find(" train ") != std::string::npos);
  CHECK(first_line.find("--val-fraction 0.1") != std::string::npos);
  CHECK(first_line.find("--optimizer vcl") != std::string::npos);  // VCL's long runs first

  // (b) the array script, task by task; after 3 tasks, --collect is partial and a new plan holds the other 5
  std::ifstream script_in(script);
  const std::string script_text((std::istreambuf_iterator<char>(script_in)), std::istreambuf_iterator<char>());
  CHECK(script_text.find("#SBATCH --array=1-8") != std::string::npos);
  run_array_tasks(script, 1, 3);
  r = run_vclab(args + " --collect");
  REQUIRE(r.exit_code == 0);
  CHECK(r.output.find("partial: 5 runs") != std::string::npos);
  auto summary = read_json_file(out / "summary.json");
  CHECK(summary["complete"] == false);
  CHECK(summary["missing_runs"].size() == 5);
  REQUIRE(run_vclab(args + " --plan " + plan.string() + " --emit slurm " + script.string()).exit_code == 0);
  CHECK(count_lines(plan) == 5);
  run_array_tasks(script, 1, 5);
  r = run_vclab(args + " --collect");
  REQUIRE(r.exit_code == 0);
  const auto collected = read_json_file(out / "summary.json");
  CHECK(collected["complete"] == true);
  CHECK(collected["settings"]["train_size"] == 0);
  CHECK(collected["datasets"]["synthetic-teacher"]["selected_by_validation"]["vcl"]["final_val_accuracy"]["per_seed"].size() == 2);
  CHECK(fs::exists(out / "README.md"));
  CHECK(fs::exists(out / "figures" / "figure2.dat"));

  // (c) keep only what is committed (config.json, metrics.csv, vcl_stats.csv): a rerun trains nothing, same numbers
  for (const auto& entry : fs::recursive_directory_iterator(out / "runs")) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && name != "config.json" && name != "metrics.csv" && name != "vcl_stats.csv") fs::remove(entry.path());
  }
  r = run_vclab(args);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(r.output.find("0 runs to train, 8 finished runs reused") != std::string::npos);
  CHECK(read_json_file(out / "summary.json")["datasets"] == collected["datasets"]);
  REQUIRE(run_vclab(args + " --plan " + plan.string() + " --emit slurm " + script.string()).exit_code == 0);
  CHECK(count_lines(plan) == 0);
  CHECK(!fs::exists(script));
}

TEST_CASE("figure2 sweep: usage errors of the sweep flags") {
  const fs::path dir = fresh_temp_dir("figure2_usage");
  const std::string args = sweep_args(dir / "out");
  CHECK(run_vclab(args + " --emit slurm " + (dir / "s").string()).exit_code == 2);  // without --plan
  CHECK(run_vclab(args + " --plan p --emit pbs " + (dir / "s").string()).exit_code == 2);
  CHECK(run_vclab(args + " --plan p --collect").exit_code == 2);
}

TEST_CASE("figure2 sweep: the Slurm array script submitted to a single-node cluster") {
  const fs::path dir = fresh_temp_dir("figure2_slurm");
  const fs::path out = dir / "out", plan = dir / "plan.txt", script = dir / "figure2.sbatch";
  const std::string args = sweep_args(out);
  REQUIRE(run_vclab(args + " --plan " + plan.string() + " --emit slurm " + script.string()).exit_code == 0);
  const auto submitted =
      run_command("bash " + std::string(VCLAB_SOURCE_DIR) + "/tests/cli/slurm_single_node.sh " + (dir / "cluster").string() + " " +
                  script.string());
  if (submitted.exit_code == 77) {
    std::cout << "SKIP: no single-node Slurm cluster here: " << submitted.output;
    MESSAGE("SKIP: no single-node Slurm cluster here: " << submitted.output);
    return;
  }
  INFO(submitted.output);
  REQUIRE(submitted.exit_code == 0);
  const auto r = run_vclab(args + " --collect");
  REQUIRE(r.exit_code == 0);
  CHECK(read_json_file(out / "summary.json")["complete"] == true);
}
