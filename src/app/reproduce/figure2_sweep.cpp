// The Figure 2 sweep's grid, its reuse check, and the three ways of running it (local processes, plan file, Slurm
// job array). Every command line comes from TrainSettings through train_args, so the plan, the local children and
// the reuse check all see the same settings.
#include "app/reproduce/figure2_sweep.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <sstream>

#include "app/commands.hpp"
#include "app/reproduce/provenance.hpp"
#include "data/dataset_catalog.hpp"
#include "io/atomic_write.hpp"
#include "io/csv_table.hpp"
#include "io/json_io.hpp"
#include "io/usage_error.hpp"

namespace vclab {
namespace {

// ---- Protocol: what every run of the sweep shares beyond the options ---------------------------------------------------
struct Figure2Protocol {
  static constexpr Activation activation = Activation::gelu;
  static constexpr std::size_t threads = 1;      // one BLAS thread per run; runs go in parallel instead
  static constexpr const char* record = "none";  // the report needs config.json and metrics.csv only
};
using Protocol = Figure2Protocol;

std::vector<std::string> split(const std::string& text, char sep = ',') {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, sep))
    if (!item.empty()) out.push_back(item);
  return out;
}

std::vector<double> parse_lrs(const std::string& text, const std::string& flag) {
  std::vector<double> out;
  for (const auto& s : split(text)) {
    try {
      out.push_back(std::stod(s));
    } catch (const std::exception&) {
      throw UsageError(flag + ": '" + s + "' is not a number");
    }
    if (!(out.back() > 0)) throw UsageError(flag + ": learning rates must be positive");
  }
  if (out.empty()) throw UsageError(flag + " is empty");
  return out;
}

std::vector<std::size_t> parse_hidden(const std::string& text) {
  std::vector<std::size_t> out;
  for (const auto& s : split(text)) {
    if (s.find_first_not_of("0123456789") != std::string::npos || std::stoul(s) == 0)
      throw UsageError("--hidden: '" + s + "' is not a positive width");
    out.push_back(std::stoul(s));
  }
  if (out.empty()) throw UsageError("--hidden is empty");
  return out;
}

// "cifar10=2,svhn=3" → {cifar10: 2, svhn: 3}
std::map<std::string, std::size_t> parse_overrides(const std::string& text, const std::string& flag) {
  std::map<std::string, std::size_t> out;
  for (const auto& item : split(text)) {
    const auto eq = item.find('=');
    if (eq == std::string::npos) throw UsageError(flag + ": expected DATASET=N, got '" + item + "'");
    try {
      out[canonical_dataset_name(item.substr(0, eq))] = std::stoul(item.substr(eq + 1));
    } catch (const std::exception& e) {
      throw UsageError(flag + ": '" + item + "': " + e.what());
    }
  }
  return out;
}

std::size_t input_dim(const std::string& dataset) {
  return is_synthetic_dataset(dataset) ? TrainSettings{}.synthetic_dim : dataset_info(dataset).input_dim;
}

TrainSettings job_settings(const Figure2Options& o, const Figure2Job& job, std::size_t train_size, std::size_t epochs,
                           VclSolver solver) {
  return {.dataset = job.dataset, .data_dir = o.data_dir, .train_size = train_size, .test_size = o.test_size,
          .val_fraction = o.val_fraction,
          .hidden = parse_hidden(o.hidden), .activation = Protocol::activation,
          .optimizer = parse_enum<Optimizer>(job.method, "method"), .lr = job.lr, .batch = o.batch, .epochs = epochs,
          .seed = job.seed, .threads = Protocol::threads,
          .vcl_alpha = o.vcl_alpha, .vcl_gram = o.vcl_gram, .vcl_solver = solver, .vcl_warmup_epochs = o.vcl_warmup_epochs,
          .vcl_last_lr = o.vcl_last_lr,
          .record = Protocol::record,
          .out = job.dir.string(),
          .overwrite = true,      // a half-written run directory is trained again from the start
          .save_weights = false,  // the validation accuracy is in metrics.csv
          .checkpoint_every = 0};
}

// Settings that only say where and what extra files a run wrote; they do not change its results.
nlohmann::json result_settings(TrainSettings s) {
  nlohmann::json j = to_json(s);
  for (const char* key : {"out", "data_dir", "overwrite", "save_weights", "checkpoint_every", "quiet"}) j.erase(key);
  return j;
}

}  // namespace

std::string lr_text(double lr) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", lr);
  return buf;
}

std::vector<Figure2Dataset> figure2_grid(const Figure2Options& o) {
  if (o.val_fraction < 0 || o.val_fraction >= 0.5) throw UsageError("--val-fraction must be in [0, 0.5)");
  const auto vcl_lrs = parse_lrs(o.vcl_lrs, "--vcl-lrs"), sgd_lrs = parse_lrs(o.sgd_lrs, "--sgd-lrs");
  const auto seeds_for = parse_overrides(o.seeds_for, "--seeds-for");
  const auto train_size_for = parse_overrides(o.train_size_for, "--train-size-for");
  parse_hidden(o.hidden);
  const std::size_t vcl_epochs = o.vcl_epochs ? o.vcl_epochs : o.epochs;
  std::vector<Figure2Dataset> grid;
  for (const auto& raw : split(o.datasets)) {
    Figure2Dataset d;
    try {
      d.name = canonical_dataset_name(raw);
    } catch (const std::exception& e) {
      throw UsageError(std::string("--datasets: ") + e.what());
    }
    d.seeds = seeds_for.count(d.name) ? seeds_for.at(d.name) : o.seeds;
    d.solver = o.vcl_solver == VclSolver::automatic ? (input_dim(d.name) > kAutoFastSolverMinDim ? VclSolver::fast : VclSolver::full) : o.vcl_solver;
    const std::size_t train_size = train_size_for.count(d.name) ? train_size_for.at(d.name) : o.train_size;
    for (const std::string method : {"sgd", "vcl"})
      for (double lr : method == "sgd" ? sgd_lrs : vcl_lrs)
        for (std::size_t seed = 0; seed < d.seeds; ++seed) {
          Figure2Job job{d.name, method, lr, seed, {}, {}};
          job.dir = std::filesystem::path(o.out) / "runs" / d.name / (method + "_lr" + lr_text(lr) + "_seed" + std::to_string(seed));
          job.settings = job_settings(o, job, train_size, method == "sgd" ? o.epochs : vcl_epochs, d.solver);
          d.jobs.push_back(job);
        }
    grid.push_back(std::move(d));
  }
  if (grid.empty()) throw UsageError("--datasets is empty");
  return grid;
}

bool finished_with(const Figure2Job& job) {
  try {
    const auto config = read_json(job.dir / "config.json");
    const std::string status = config.value("status", "");
    if (status != "completed" && status != "diverged") return false;
    if (result_settings(train_settings_from_json(config.at("settings"))) != result_settings(job.settings)) return false;
    if (status == "diverged") return true;
    const CsvData metrics = read_csv(job.dir / "metrics.csv");
    if (job.settings.val_fraction > 0) metrics.column("val_accuracy");  // throws when absent
    return !metrics.rows.empty();
  } catch (const std::exception&) {  // absent or unreadable: not finished
    return false;
  }
}

std::vector<std::string> job_command(const Figure2Job& job, const std::string& program) {
  std::vector<std::string> words{program, "train"};
  for (auto& a : train_args(job.settings)) words.push_back(std::move(a));
  return words;
}

std::string shell_line(const std::vector<std::string>& words) {
  std::string line;
  for (const auto& w : words) {
    const bool plain = !w.empty() && w.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                                         "_-.,/=:+@%") == std::string::npos;
    std::string quoted = "'";
    for (char c : w) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    line += (line.empty() ? "" : " ") + (plain ? w : quoted + "'");
  }
  return line;
}

void write_plan(const std::filesystem::path& path, const std::vector<Figure2Job>& jobs, const std::string& program) {
  std::string text;
  for (const auto& job : jobs) text += shell_line(job_command(job, program)) + "\n";
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  write_file_atomically(path, text);
}

void write_slurm_script(const std::filesystem::path& path, const std::filesystem::path& plan, std::size_t n_lines,
                        const std::filesystem::path& workdir, const std::filesystem::path& log_dir) {
  const std::string plan_q = shell_line({plan.string()});
  std::ostringstream s;
  s << "#!/bin/bash\n"
    << "# Slurm job array of `vclab reproduce figure2`: array task i runs line i of the plan (1-based, --array=1-" << n_lines
    << ").\n# Written by `" << invocation() << "`.\n"
    << "# Submit with `sbatch " << path.string() << "` (sbatch flags such as --time, --mem or --partition on that command line\n"
    << "# override the ones below); when the tasks are done, `vclab reproduce figure2 --collect` with the same flags.\n"
    << "#SBATCH --job-name=vclab-figure2\n"
    << "#SBATCH --array=1-" << n_lines << "\n"
    << "#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=1\n"
    << "#SBATCH --output=" << (log_dir / "slurm-%A_%a.log").string() << "\n"
    << "set -euo pipefail\n"
    << "cd " << shell_line({workdir.string()}) << "\n"
    << "task=\"${SLURM_ARRAY_TASK_ID:?set by sbatch --array (or by hand: SLURM_ARRAY_TASK_ID=1 bash this-script)}\"\n"
    << "line=$(sed -n \"${task}p\" " << plan_q << ")\n"
    << "if [ -z \"$line\" ]; then echo \"no line $task in \"" << plan_q << " >&2; exit 2; fi\n"
    << "export VCLAB_NO_PROGRESS=1\n"
    << "eval \"$line\"\n";
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  std::filesystem::create_directories(log_dir);
  write_file_atomically(path, s.str());
  std::filesystem::permissions(path, std::filesystem::perms::owner_exec | std::filesystem::perms::group_exec,
                               std::filesystem::perm_options::add);
}

namespace {

pid_t start_child(const Figure2Job& job) {
  std::filesystem::create_directories(job.dir.parent_path());
  const std::string log = job.dir.string() + ".log";
  std::vector<std::string> argv_store = job_command(job, "vclab");
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::close(fd);
  }
  ::setenv("VCLAB_NO_PROGRESS", "1", 1);
  std::vector<char*> argv;
  for (auto& a : argv_store) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::execv("/proc/self/exe", argv.data());
  std::perror("execv /proc/self/exe");
  ::_exit(127);
}

}  // namespace

void run_jobs_locally(const std::vector<Figure2Job>& jobs, std::size_t parallel) {
  std::map<pid_t, const Figure2Job*> running;
  std::size_t next = 0, done = 0;
  const auto start = std::chrono::steady_clock::now();
  while (next < jobs.size() || !running.empty()) {
    if (next < jobs.size() && running.size() < std::max<std::size_t>(1, parallel)) {
      const Figure2Job& job = jobs[next++];
      const pid_t pid = start_child(job);
      if (pid < 0) std::cerr << "reproduce figure2: fork failed for " << job.dir.string() << "\n";
      else running[pid] = &job;
      continue;
    }
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, 0);
    if (pid < 0) break;  // no child left to wait for
    const auto it = running.find(pid);
    if (it == running.end()) continue;
    ++done;
    const double minutes = seconds_since(start) / 60;
    const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    std::cerr << "reproduce figure2: [" << done << "/" << jobs.size() << ", " << fmt(minutes, 1) << " min] "
              << it->second->dir.string()
              << (ok ? "" : " (exit " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ", see " +
                                it->second->dir.string() + ".log)")
              << "\n";
    running.erase(it);
  }
}

}  // namespace vclab
