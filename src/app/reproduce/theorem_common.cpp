// Options, data subset, provenance and figure handling shared by the Theorem 2 and Theorem 3 reports.
#include "app/reproduce/theorem_common.hpp"

#include <iostream>
#include <sstream>
#include <thread>

#include "app/reproduce/provenance.hpp"
#include "io/run_info.hpp"

namespace vclab {

void add_theorem_options(CLI::App* cmd, TheoremOptions& o, const std::string& default_out) {
  cmd->option_defaults()->always_capture_default();
  cmd->add_option("--dataset", o.dataset, "cifar10 | fashion-mnist | mnist | synthetic-teacher | ...");
  cmd->add_option("--data-dir", o.data_dir, "Dataset directory (default: the usual search)");
  cmd->add_option("--out", o.out, "Output directory (default " + default_out + ")");
  cmd->add_option("--train-size", o.train_size, "Training samples used (0 = the command's default subset)");
  cmd->add_option("--seed", o.seed, "Seed of the models");
  cmd->add_option("--threads", o.threads, "BLAS threads (0 = all cores)");
}

DatasetSplit load_theorem_subset(const TheoremOptions& o, Normalization normalize, std::size_t n_train) {
  // One test sample: the analyses use training samples only.
  return load_dataset({.name = o.dataset, .data_dir = o.data_dir, .train_size = n_train, .test_size = 1, .normalize = normalize,
                       .seed = o.seed, .synthetic = {.input_dim = 256, .n_train = n_train, .n_test = 1}});
}

nlohmann::json theorem_provenance_json(const TheoremOptions& o, std::size_t threads, double seconds) {
  const Provenance p = Provenance::now();
  return {{"command", p.command}, {"git_revision", p.git_revision}, {"threads", threads},
          {"hardware_threads", std::thread::hardware_concurrency()}, {"wall_seconds", seconds},
          {"dataset", o.dataset}, {"seed", o.seed}, {"environment", environment_info()}};
}

std::string theorem_provenance_markdown(const TheoremOptions& o, std::size_t threads, double seconds, std::size_t n_train) {
  std::ostringstream md;
  md << Provenance::now().as_list() << "- dataset: " << o.dataset << " (first " << n_train << " training samples)\n- BLAS threads: "
     << threads << " (machine: " << std::thread::hardware_concurrency() << " hardware threads)\n- wall time: " << fmt_sig(seconds, 3)
     << " s\n";
  return md.str();
}

TrainOptions measurement_run_options(double lr, std::size_t batch, std::size_t epochs, std::uint64_t seed, std::string label) {
  return {.lr = lr, .batch = batch, .epochs = epochs, .seed = seed + 1, .evaluate_initial = false, .progress_label = std::move(label)};
}

void theorem_progress(const std::string& text) { std::cerr << "[reproduce] " << text << std::endl; }

void try_figure(std::vector<std::string>& notes, const std::string& name, const std::function<void()>& draw) {
  try {
    draw();
  } catch (const std::exception& e) {
    notes.push_back("figure " + name + " not rendered: " + e.what());
  }
}

}  // namespace vclab
