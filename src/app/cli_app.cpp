// The vclab command line (CLI11): subcommands train, datasets, analyze, plot, reproduce, bench.
// Exit codes: 0 success, 1 runtime error (bad file, divergence), 2 usage error (bad flag or value).
#include "app/cli_app.hpp"

#include <CLI/CLI.hpp>
#include <cmath>
#include <iostream>

#include "app/commands.hpp"
#include "app/train_run.hpp"
#include "data/data_error.hpp"
#include "data/dataset_catalog.hpp"
#include "data/dataset_status.hpp"
#include "io/usage_error.hpp"
#include "record/recorders.hpp"

namespace vclab {

namespace {

// --dataset and --record are checked by the parsers that later read them.
CLI::Validator parses_as(std::function<void(const std::string&)> parse) {
  return CLI::Validator(
      [parse](std::string& text) {
        try {
          parse(text);
          return std::string();
        } catch (const std::exception& e) {  // DataError, std::invalid_argument
          return std::string(e.what());
        }
      },
      "");
}

// The conv layers in front of the dense head (issue 18; docs/conv_layers.md).
void add_conv_options(CLI::App& cmd, TrainSettings& s) {
  const auto positive_count = number_check([](double v) { return v >= 1 && v == std::floor(v); }, "a whole number >= 1");
  cmd.add_option("--conv", s.conv, "Conv layers before the dense head: output channels, comma-separated (e.g. 32,64; "
                 "needs image data)")->delimiter(',')->check(positive_count);
  cmd.add_option("--kernel", s.kernel, "Conv layers: k of the k x k kernels (odd with --padding same)")->check(positive_count);
  cmd.add_option("--conv-stride", s.conv_stride, "Conv layers: stride 1 or 2")
      ->check(number_check([](double v) { return v == 1 || v == 2; }, "1 or 2"));
  add_choice(cmd, "--padding", s.padding, "Conv layers: same (k // 2 zeros per side) | valid (none)");
  add_choice(cmd, "--pool", s.pool, "Conv layers: 2 x 2 pooling after each activation: max | avg | none");
}

}  // namespace

void add_train_options(CLI::App& cmd, TrainSettings& s) {
  cmd.option_defaults()->always_capture_default();
  const auto positive = number_check([](double v) { return v > 0; }, "a number > 0");
  const auto non_negative = number_check([](double v) { return v >= 0; }, "a number >= 0");
  const auto fraction = number_check([](double v) { return v >= 0 && v < 1; }, "a number in [0, 1)");
  const auto count = number_check([](double v) { return v >= 0 && v == std::floor(v); }, "a whole number >= 0");
  const auto positive_count = number_check([](double v) { return v >= 1 && v == std::floor(v); }, "a whole number >= 1");
  // data
  cmd.add_option("--dataset", s.dataset, "mnist | fashion-mnist | cifar10 | cifar100 | svhn | synthetic-teacher | synthetic-single-index")
      ->check(parses_as([](const std::string& name) { canonical_dataset_name(name); }));
  cmd.add_option("--data-dir", s.data_dir, "Dataset directory (default: $VCLAB_DATA/<name>, then ./data/<name>, ../shared/data/<name>, ~/.local/share/vclab/<name>, /usr/share/datasets/<name>)");
  cmd.add_option("--train-size", s.train_size, "Use the first N training samples (0 = all)")->check(count);
  cmd.add_option("--test-size", s.test_size, "Use the first N test samples (0 = all)")->check(count);
  cmd.add_option("--val-fraction", s.val_fraction,
                 "Hold out the last fraction of the training set (0 = none): --train-size then counts from the samples "
                 "before it, and metrics.csv gains val_loss/val_accuracy columns (full pass after every epoch)")->check(fraction);
  add_choice(cmd, "--normalize", s.normalize, "unit ([0,1], the paper) | symmetric ([-1,1]) | center | standardize | l2");
  cmd.add_option("--synthetic-dim", s.synthetic_dim, "Synthetic data: input dimension")->check(count);
  cmd.add_option("--synthetic-train", s.synthetic_train, "Synthetic data: training samples")->check(count);
  cmd.add_option("--synthetic-test", s.synthetic_test, "Synthetic data: test samples")->check(count);
  cmd.add_option("--synthetic-classes", s.synthetic_classes, "Synthetic teacher: number of classes")->check(count);
  cmd.add_option("--synthetic-target", s.synthetic_target, "Synthetic single-index: g in tanh | relu | he2");
  // model
  add_conv_options(cmd, s);
  cmd.add_option("--hidden", s.hidden, "Hidden widths, comma-separated (e.g. 256 or 512,256)")->delimiter(',')->check(positive_count);
  add_choice(cmd, "--activation", s.activation, "gelu | relu | leaky-relu | tanh | sigmoid | softplus | identity");
  cmd.add_flag("--bias,!--no-bias", s.bias, "Add biases (the theory has none)")->default_str(s.bias ? "true" : "false");
  add_choice(cmd, "--init", s.init, "normal (N(0,1/fan_in)) | pytorch (U(+-1/sqrt(fan_in))) | xavier");
  cmd.add_option("--init-from", s.init_from, "Start from these weights: HDF5 (/W0,/W1,..,/b0,..) or a directory of W0.npy, W1.npy, ...");
  add_choice(cmd, "--loss", s.loss, "cross-entropy | mse (on one-hot targets)");
  add_choice(cmd, "--precision", s.precision, "float | double");
  // optimisation
  add_choice(cmd, "--optimizer", s.optimizer, "sgd | vcl (Virtual Covariance Learning, Algorithm 1)");
  cmd.add_option("--lr", s.lr, "Learning rate gamma")->check(positive);
  cmd.add_option("--batch", s.batch, "Mini-batch size")->check(positive_count);
  cmd.add_option("--epochs", s.epochs, "Epochs")->check(positive_count);
  cmd.add_option("--seed", s.seed, "Seed (initialisation; shuffling uses seed+1)")->check(count);
  cmd.add_option("--momentum", s.momentum, "SGD momentum (breaks Theorem 2's exact identity)")->check(fraction);
  cmd.add_option("--weight-decay", s.weight_decay, "SGD weight decay (breaks Theorem 2's exact identity)")->check(non_negative);
  cmd.add_option("--threads", s.threads, "BLAS threads (0 = all cores); results are bit-identical only for the same count")->check(count);
  cmd.add_option("--divergence-loss", s.divergence_loss, "A batch loss above this stops the run as diverged")->check(positive);
  // VCL
  cmd.add_option("--vcl-alpha", s.vcl_alpha, "VCL: matrix power alpha of the kept eigenvalues (paper: 0.1; 0.5 makes the new Gram the rank-k truncation of the target)")->check(positive);
  add_choice(cmd, "--vcl-gram", s.vcl_gram, "VCL target Gram: current (W^T W + V, Algorithm 1 as printed; default: best of the three on MNIST) | initial (W(0)^T W(0) + V, Theorem 2 cumulative) | per-step (W^T W + v, Prop. 4). V = sum of v since the warm-up");
  add_choice(cmd, "--vcl-solver", s.vcl_solver, "VCL: full (LAPACK EVD) | fast (one-product top-k tracker, docs/vcl_eigen_step.md; 22x faster per eigen-step at d = 3072, about even at d = 784) | auto (fast on layers with d_l > 1024)");
  cmd.add_flag("--vcl-clip,!--no-vcl-clip", s.vcl_clip, "VCL: clip negative kept eigenvalues to 0 before the power (counted in DIR/vcl_stats.csv); off: a negative one stops the run")->default_str(s.vcl_clip ? "true" : "false");
  cmd.add_option("--vcl-warmup-epochs", s.vcl_warmup_epochs, "VCL: warm-up epochs training only the last layer (by SGD at --vcl-last-lr); they count in --epochs")->check(count);
  cmd.add_flag("--vcl-train-last,!--no-vcl-train-last", s.vcl_train_last, "VCL: keep training the last layer by SGD during VCL")->default_str(s.vcl_train_last ? "true" : "false");
  cmd.add_option("--vcl-last-lr", s.vcl_last_lr, "VCL: SGD learning rate of the last layer")->check(positive);
  // recording
  cmd.add_option("--record", s.record,
                 "Comma list of gram,dgram,gram_dw,vc,agop,egop,sv (singular values of W_l), linearity (Target Linearity and "
                 "surrogate per layer), collapse (NC1-NC4 at the last hidden layer), or none")
      ->check(parses_as([](const std::string& list) { parse_quantities(list); }));
  add_choice(cmd, "--record-mode", s.record_mode, "diag (O(d) memory) | full (d x d)");
  add_parsed(cmd, "--record-every", s.record_every, RecordSchedule::parse, s.record_every.to_string(),
             "Checkpoint schedule: N or Nepochs or Nsteps (init and end always)");
  cmd.add_option("--agop-samples", s.agop_samples, "AGOP/EGOP over the first N training samples (0 = all)")->check(count);
  cmd.add_flag("--agop-centered", s.agop_centered, "AGOP with centred Jacobians");
  add_parsed(cmd, "--agop-every", s.agop_every, AgopSchedule::parse, s.agop_every.to_string(),
             "When the AGOP/EGOP (a full pass over the training set) is recorded: checkpoint (at every --record-every "
             "checkpoint), final (at the last one only), or N / Nepochs / Nsteps (at the checkpoints on that schedule, "
             "init and end included)");
  cmd.add_option("--probe-samples", s.probe_samples, "linearity/collapse: probe set = the first N training samples (0 = all)")->check(count);
  cmd.add_option("--probe-every", s.probe_every,
                 "linearity/collapse: probe every N optimiser steps, on a schedule of their own (0 = at the --record-every checkpoints)")->check(count);
  cmd.add_option("--linearity-lambda", s.linearity_lambda,
                 "linearity: ridge lambda of T_lambda (0 = pseudo-inverse projection, the lambda -> 0+ limit, defined when H^T H is singular)")
      ->check(number_check([](double v) { return std::isfinite(v) && v >= 0; }, "a finite number >= 0"));
  cmd.add_option("--linearity-pca", s.linearity_pca, "linearity: reduce features wider than K to their top-K principal components (0 = off)")->check(count);
  // output
  cmd.add_option("--out", s.out, "Run directory to create");
  cmd.add_flag("--overwrite", s.overwrite, "Reuse a non-empty --out directory");
  cmd.add_flag("--save-weights,!--no-save-weights", s.save_weights, "Write weights_init.h5 and weights_final.h5")->default_str(s.save_weights ? "true" : "false");
  cmd.add_option("--checkpoint-every", s.checkpoint_every,
                 "Write DIR/checkpoint.h5 (weights, optimiser, shuffle state, recordings so far) every N epochs (0 = never)")->check(count);
}

namespace {

// An unknown first word gets the list of commands (CLI11 alone would call it an extra positional argument).
bool check_known_command(CLI::App& app, int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-') return true;
  bool known = false;
  std::string valid;
  for (const auto* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    known = known || sub->get_name() == argv[1];
    valid += (valid.empty() ? "" : ", ") + sub->get_name();
  }
  if (!known) std::cerr << "vclab: unknown command '" << argv[1] << "'; valid commands: " << valid << "\n";
  return known;
}

// `vclab train` (or `vclab train --resume DIR`, which takes no other flag).
int run_train(const CLI::App& train, const CLI::Option* resume, const std::string& resume_dir, const TrainSettings& settings) {
  if (resume->count() > 0) {
    for (const CLI::Option* option : train.get_options())
      if (option != resume && option->count() > 0)
        throw UsageError("--resume takes every setting from " + resume_dir + "/config.json; drop " + option->get_name());
  }
  const TrainOutcome outcome = resume->count() > 0 ? resume_training(resume_dir) : run_training(settings);
  std::cout << "run directory: " << outcome.run_dir.string() << "\n"
            << "final test accuracy: " << outcome.final_test_accuracy << " (" << outcome.result.steps << " steps, "
            << outcome.seconds << " s)\n";
  return outcome.result.diverged ? 1 : 0;
}

// `vclab datasets list|verify`.
int run_datasets(const std::string& action, const std::string& dir, const std::string& name) {
  std::vector<DatasetStatus> statuses;
  if (action == "list") {
    statuses = list_datasets(dir);
  } else {
    for (const auto& known : dataset_names())
      if (name.empty() || name == known) statuses.push_back(verify_dataset(known, dir));
    if (statuses.empty()) throw UsageError("--dataset " + name + " is not a known dataset");
  }
  std::cout << format_status(statuses);
  bool ok = true;
  if (action == "verify")
    for (const auto& s : statuses) ok = ok && (s.ok || s.synthetic || !s.found);
  return ok ? 0 : 1;
}

}  // namespace

int run_cli(int argc, char** argv) {
  set_invocation(argc, argv);
  CLI::App app{"vclab: feature learning as virtual covariance learning (Cha & Lee 2025) -- training, recording, analysis"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("vclab ") + VCLAB_APP_VERSION);

  TrainSettings train_settings;
  auto* train = app.add_subcommand(
      "train", "Train an MLP or CNN (--conv) by SGD or VCL, recording Gram, AGOP and virtual covariance shift");
  add_train_options(*train, train_settings);
  std::string resume_dir;
  auto* resume = train->add_option("--resume", resume_dir,
                                   "Finish an interrupted run: settings from DIR/config.json, state from DIR/checkpoint.h5 "
                                   "(give no other flag)");

  auto* datasets = app.add_subcommand("datasets", "Show which datasets are found where (list) or decode and checksum them (verify)");
  std::string datasets_action = "list", datasets_dir, datasets_name;
  datasets->add_option("action", datasets_action, "list | verify")->check(CLI::IsMember({"list", "verify"}));
  datasets->add_option("--data-dir", datasets_dir, "Look here first");
  datasets->add_option("--dataset", datasets_name, "verify only this dataset");

  CommandRegistry extra;
  register_commands(app, extra);

  if (!check_known_command(app, argc, argv)) return 2;
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "vclab: " << e.what() << "\nRun 'vclab --help' or 'vclab <command> --help' for the options.\n";
    return 2;
  }

  try {
    if (train->parsed()) return run_train(*train, resume, resume_dir, train_settings);
    if (datasets->parsed()) return run_datasets(datasets_action, datasets_dir, datasets_name);
    return extra.dispatch();
  } catch (const UsageError& e) {
    std::cerr << "vclab: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "vclab: error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace vclab
