// `vclab reproduce figure2`: the paper's Figure 2 (§3.2) — VCL (Algorithm 1) vs SGD, 2-layer MLP hidden 256, test
// accuracy per epoch, mean ± 2 std over seeds, γ picked by test accuracy (as the paper) and by a validation split.
// Runs are independent `vclab train` processes: trained here (default), or written as a plan (--plan) for a cluster
// (--emit slurm); --collect only reports. Finished runs are reused from their committed result files.
// Stages: protocol (figure2_sweep: the grid), run (here), analyse and write report (figure2_report).
#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>

#include "app/commands.hpp"
#include "app/reproduce/figure2_report.hpp"
#include "app/reproduce/figure2_sweep.hpp"
#include "app/reproduce/provenance.hpp"
#include "data/data_dir.hpp"
#include "data/dataset_catalog.hpp"
#include "io/json_io.hpp"
#include "io/usage_error.hpp"

namespace vclab {
namespace {

void check_modes(const Figure2Options& o) {
  if (!o.emit.empty() && (o.emit.size() != 2 || o.emit[0] != "slurm"))
    throw UsageError("--emit takes two values: slurm FILE");
  if (!o.emit.empty() && o.plan.empty()) throw UsageError("--emit slurm FILE needs --plan FILE (the script runs the plan's lines)");
  if (o.collect && !o.plan.empty()) throw UsageError("--collect and --plan do not go together: plan, run the plan, then collect");
}

// The runs of datasets whose files are found here, and the datasets skipped because they are not.
std::vector<Figure2Job> trainable_missing_runs(const std::vector<Figure2Dataset>& grid, const Figure2Options& o,
                                               std::size_t* reused) {
  std::vector<Figure2Job> todo, vcl_first;
  *reused = 0;
  for (const auto& d : grid) {
    std::size_t missing = 0;
    for (const auto& job : d.jobs)
      if (finished_with(job)) ++*reused;
      else ++missing, todo.push_back(job);
    if (missing > 0 && !is_synthetic_dataset(d.name) && !search_data_dir(d.name, o.data_dir).found) {
      std::cerr << "reproduce figure2: skipping " << missing << " runs of " << d.name << ": its files were not found "
                << "(`vclab datasets list` shows where it looks; pass --data-dir)\n";
      std::erase_if(todo, [&](const Figure2Job& j) { return j.dataset == d.name; });
    }
  }
  // VCL first (the long runs), so SGD's short runs fill the gaps at the end.
  std::stable_partition(todo.begin(), todo.end(), [](const Figure2Job& j) { return j.method == "vcl"; });
  return todo;
}

int write_plan_files(const Figure2Options& o, const std::vector<Figure2Job>& todo) {
  const std::string program = o.vclab.empty() ? std::filesystem::read_symlink("/proc/self/exe").string() : o.vclab;
  write_plan(o.plan, todo, program);
  std::cout << "reproduce figure2: wrote " << todo.size() << " `vclab train` lines to " << o.plan << "\n";
  if (o.emit.empty()) return 0;
  const std::filesystem::path script = o.emit[1];
  if (todo.empty()) {
    std::filesystem::remove(script);
    std::cout << "reproduce figure2: every run has finished; no Slurm script written (run --collect)\n";
    return 0;
  }
  const auto cwd = std::filesystem::current_path();
  write_slurm_script(script, std::filesystem::absolute(o.plan), todo.size(), cwd,
                     std::filesystem::absolute(std::filesystem::path(o.out) / "runs"));
  std::cout << "reproduce figure2: wrote " << script.string() << " (array 1-" << todo.size() << "); submit with `sbatch "
            << script.string() << "`, then run this command with --collect instead of --plan/--emit\n";
  return 0;
}

// Every invocation that trains is logged, so a report rebuilt from reused runs still shows what the training took.
nlohmann::json log_invocation(const std::filesystem::path& out, const Provenance& provenance, std::size_t trained,
                              std::size_t reused, double wall) {
  nlohmann::json invocations = nlohmann::json::array();
  try {
    if (std::filesystem::exists(out / "invocations.json")) invocations = read_json(out / "invocations.json");
  } catch (const std::exception&) {
    invocations = nlohmann::json::array();
  }
  if (trained > 0) {
    invocations.push_back({{"command", provenance.command}, {"utc", provenance.generated_utc}, {"runs_trained", trained},
                           {"runs_reused", reused}, {"wall_seconds_training", wall}});
    std::filesystem::create_directories(out);
    write_json(out / "invocations.json", invocations);
  }
  return invocations;
}

int run_figure2(const Figure2Options& o) {
  const auto start = std::chrono::steady_clock::now();
  check_modes(o);
  const std::vector<Figure2Dataset> grid = figure2_grid(o);
  std::size_t trained = 0, reused = 0, failed = 0;
  if (!o.collect) {
    const std::vector<Figure2Job> todo = trainable_missing_runs(grid, o, &reused);
    if (!o.plan.empty()) return write_plan_files(o, todo);
    std::cerr << "reproduce figure2: " << todo.size() << " runs to train, " << reused << " finished runs reused, " << o.jobs
              << " at a time\n";
    run_jobs_locally(todo, o.jobs);
    trained = todo.size();
    failed = std::count_if(todo.begin(), todo.end(), [](const Figure2Job& j) { return !finished_with(j); });
  }
  const double train_wall = seconds_since(start);
  Figure2ReportContext ctx;
  ctx.provenance = Provenance::now();
  ctx.invocations = log_invocation(o.out, ctx.provenance, trained, reused, train_wall);
  ctx.wall_seconds = seconds_since(start);
  const std::size_t missing = write_figure2_report(o, grid, ctx);
  std::cout << "reproduce figure2: wrote " << (std::filesystem::path(o.out) / "README.md").string() << " and summary.json";
  if (missing > 0) std::cout << " (partial: " << missing << " runs have not finished; summary.json lists them)";
  std::cout << "\n";
  if (failed > 0) std::cerr << "reproduce figure2: " << failed << " of the runs trained here failed (see their .log)\n";
  return failed == 0 ? 0 : 1;  // a run that failed here is an error; runs not attempted (data absent) make the report partial
}

}  // namespace

void register_reproduce_figure2(CLI::App& reproduce, CommandRegistry& registry) {
  auto o = std::make_shared<Figure2Options>();
  auto* cmd = reproduce.add_subcommand("figure2", "Figure 2: VCL vs SGD test accuracy per epoch (mean ± 2 std over seeds), γ picked by test and by validation");
  cmd->option_defaults()->always_capture_default();
  cmd->add_option("--datasets", o->datasets, "Comma list; datasets whose files are absent here are not trained (a message says so)");
  cmd->add_option("--data-dir", o->data_dir, "Root holding <dataset>/ folders (default: the usual search, see `vclab datasets list`)");
  cmd->add_option("--seeds", o->seeds, "Seeds per (method, γ)");
  cmd->add_option("--seeds-for", o->seeds_for, "Per-dataset seeds, e.g. cifar10=2");
  cmd->add_option("--epochs", o->epochs, "Epochs (SGD; VCL too unless --vcl-epochs)");
  cmd->add_option("--vcl-epochs", o->vcl_epochs, "VCL epochs including the warm-up (0 = --epochs)");
  cmd->add_option("--jobs", o->jobs, "Training processes at a time (each uses 1 BLAS thread)");
  cmd->add_option("--train-size", o->train_size, "Training samples per run (0 = all before the validation split)");
  cmd->add_option("--train-size-for", o->train_size_for, "Per-dataset training samples, e.g. cifar10=5000");
  cmd->add_option("--test-size", o->test_size, "Test samples (0 = all)");
  cmd->add_option("--val-fraction", o->val_fraction, "Last fraction of the training set held out for validation-based γ selection");
  cmd->add_option("--batch", o->batch, "Mini-batch size");
  cmd->add_option("--hidden", o->hidden, "Hidden widths, comma-separated (the paper: 256)");
  cmd->add_option("--vcl-lrs", o->vcl_lrs, "VCL learning rates γ");
  cmd->add_option("--sgd-lrs", o->sgd_lrs, "SGD learning rates γ");
  cmd->add_option("--vcl-alpha", o->vcl_alpha, "VCL matrix power α");
  add_choice(*cmd, "--vcl-gram", o->vcl_gram, "VCL target Gram: current | initial | per-step");
  add_choice(*cmd, "--vcl-solver", o->vcl_solver, "full | fast | auto (fast where d_0 > 1024, e.g. CIFAR/SVHN)");
  cmd->add_option("--vcl-warmup-epochs", o->vcl_warmup_epochs, "VCL warm-up epochs (last layer only)");
  cmd->add_option("--vcl-last-lr", o->vcl_last_lr, "SGD learning rate of the last layer under VCL");
  cmd->add_option("--out", o->out, "Report directory (runs under OUT/runs/<dataset>/)");
  cmd->add_option("--plan", o->plan, "Write one `vclab train` command line per missing run to FILE (run from this directory) and train nothing");
  cmd->add_option("--emit", o->emit, "With --plan: `--emit slurm FILE` writes an sbatch job-array script whose task i runs line i of the plan")
      ->expected(2);
  cmd->add_flag("--collect", o->collect, "Train nothing: build the report from the runs that have finished and list the missing ones");
  cmd->add_option("--vclab", o->vclab, "Program named in --plan lines (default: this binary's absolute path)");
  registry.add(cmd, [o] { return run_figure2(*o); });
}

}  // namespace vclab
