// The Figure 2 sweep (paper §3.2) as independent `vclab train` runs: the grid dataset × method × γ × seed, which of
// its runs have finished (from the small files each run directory keeps: config.json, metrics.csv), and three ways
// to train the rest: local child processes, a plan file of command lines, a Slurm job array over that plan.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "app/train_settings.hpp"

namespace vclab {

struct Figure2Options {
  std::string datasets = "mnist,fashion-mnist,cifar10,svhn,cifar100";
  std::string data_dir;
  std::size_t seeds = 5;
  std::string seeds_for;        // per-dataset override, e.g. "cifar10=2"
  std::size_t epochs = 20;      // SGD epochs (and VCL's unless --vcl-epochs)
  std::size_t vcl_epochs = 0;   // 0 = --epochs; counts the warm-up epoch(s)
  std::size_t jobs = 1;
  std::size_t train_size = 0;   // 0 = every training sample before the validation split
  std::string train_size_for;   // per-dataset override, e.g. "cifar10=5000"
  std::size_t test_size = 0;
  double val_fraction = 0.1;    // last fraction of the training set, held out for γ selection (`vclab train --val-fraction`)
  std::size_t batch = 64;
  std::string hidden = "256";   // hidden widths (the paper: one layer of 256)
  std::string vcl_lrs = "5,1,0.5,0.1,0.05";
  std::string sgd_lrs = "0.1,0.05,0.01,0.005";
  double vcl_alpha = 0.1;
  VclGram vcl_gram = VclGram::current;
  VclSolver vcl_solver = VclSolver::automatic;  // auto: fast where d_0 > 1024
  std::size_t vcl_warmup_epochs = 1;
  double vcl_last_lr = kPaperLearningRate;
  std::string out = "reports/figure2";
  // Where the runs happen (default: train the missing runs locally, then collect).
  std::string plan;               // --plan FILE: write one `vclab train` line per missing run, train nothing
  std::vector<std::string> emit;  // --emit slurm FILE (with --plan): a job-array script running line $SLURM_ARRAY_TASK_ID
  bool collect = false;           // --collect: only build the report from the runs that finished
  std::string vclab;              // program named in plan lines (default: this binary's absolute path)
};

struct Figure2Job {
  std::string dataset, method;  // method: sgd | vcl
  double lr = 0;
  std::size_t seed = 0;
  std::filesystem::path dir;    // OUT/runs/<dataset>/<method>_lr<γ>_seed<s>
  TrainSettings settings;       // what `vclab train` runs (settings.out == dir)
};

// One dataset's part of the grid.
struct Figure2Dataset {
  std::string name;
  VclSolver solver = VclSolver::full;  // --vcl-solver auto resolved for this dataset
  std::size_t seeds = 0;
  std::vector<Figure2Job> jobs;  // SGD cells first, then VCL; seeds innermost
};

std::string lr_text(double lr);  // "0.05", "5"

// Validates the options (UsageError naming the flag) and lays out the grid of every dataset in --datasets.
// Data files are not opened: a report can be collected where the data is absent.
std::vector<Figure2Dataset> figure2_grid(const Figure2Options& o);

// True when job.dir holds a finished run (completed or diverged) whose config.json settings equal the job's
// (except where it was written: out, data_dir, overwrite, save_weights, checkpoint_every, quiet) and, if completed,
// its metrics.csv. Weights, logs and recordings are not needed, so committed result files are enough.
bool finished_with(const Figure2Job& job);

// The full command line of a job: `PROGRAM train <flags from train_args(job.settings)>`.
std::vector<std::string> job_command(const Figure2Job& job, const std::string& program);

// POSIX shell quoting of each word ('...' where needed), joined by spaces: a line `eval` or `bash -c` runs as is.
std::string shell_line(const std::vector<std::string>& words);

// Writes one job_command line per job to `path` (atomically).
void write_plan(const std::filesystem::path& path, const std::vector<Figure2Job>& jobs, const std::string& program);

// Writes an sbatch script whose array task i (1-based, --array=1-N) runs line i of `plan` from `workdir`;
// Slurm's output of each task goes to LOG_DIR/slurm-<job>_<task>.log.
void write_slurm_script(const std::filesystem::path& path, const std::filesystem::path& plan, std::size_t n_lines,
                        const std::filesystem::path& workdir, const std::filesystem::path& log_dir);

// Runs the jobs as child processes `/proc/self/exe train ...`, at most `parallel` at a time; each child's output
// goes to <job.dir>.log. A child's failure is reported on stderr, never thrown.
void run_jobs_locally(const std::vector<Figure2Job>& jobs, std::size_t parallel);

}  // namespace vclab
