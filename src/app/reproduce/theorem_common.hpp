// What `vclab reproduce theorem2` and `theorem3` share: their options, the training subset they load, their
// provenance block and a figure that may fail to render without failing the report.
#pragma once
#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/load_dataset.hpp"
#include "train/trainer.hpp"

namespace vclab {

struct TheoremOptions {
  std::string dataset = "cifar10";
  std::string data_dir;
  std::string out;
  std::size_t train_size = 0;  // 0: the command's default
  std::size_t threads = 0;
  std::uint64_t seed = 0;
};

// Adds --dataset, --data-dir, --out, --train-size, --seed, --threads.
void add_theorem_options(CLI::App* cmd, TheoremOptions& o, const std::string& default_out);

// The first n_train training samples of o.dataset (synthetic: input dimension 256) and one test sample.
DatasetSplit load_theorem_subset(const TheoremOptions& o, Normalization normalize, std::size_t n_train);

// summary.json's "provenance": command, git revision, threads, wall time, dataset, seed, environment.
nlohmann::json theorem_provenance_json(const TheoremOptions& o, std::size_t threads, double seconds);
// The README's provenance list: command, git revision, dataset subset, threads, wall time.
std::string theorem_provenance_markdown(const TheoremOptions& o, std::size_t threads, double seconds, std::size_t n_train);

// Plain SGD options of a measurement run: `epochs` epochs shuffled by seed + 1 (the model is initialised from seed),
// no epoch-0 evaluation, progress labelled `label`.
TrainOptions measurement_run_options(double lr, std::size_t batch, std::size_t epochs, std::uint64_t seed, std::string label);

// "[reproduce] TEXT" on stderr.
void theorem_progress(const std::string& text);

// Renders a figure; a failure (e.g. no gnuplot) leaves the data and script and is noted for the README.
void try_figure(std::vector<std::string>& notes, const std::string& name, const std::function<void()>& draw);

}  // namespace vclab
