// Orchestrates one training run and writes its run directory (README "vclab train"; the files: docs/recorded_quantities.md).
#include "app/train_run.hpp"

#include <cblas.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <thread>

#include "app/update_rules.hpp"
#include "data/load_dataset.hpp"
#include "io/json_io.hpp"
#include "io/recordings.hpp"
#include "io/run_dir.hpp"
#include "io/run_info.hpp"
#include "io/sha256_sidecar.hpp"
#include "io/usage_error.hpp"
#include "io/weights_io.hpp"
#include "model/loss.hpp"
#include "record/recorders.hpp"
#include "record/run_observers.hpp"

namespace vclab {
namespace {

// Settings arrive parsed and range-checked (the CLI's validators, or a reproduce driver's protocol); what is
// left are the rules that join several settings, checked before anything is written.
void check_combination(const TrainSettings& s) {
  if (s.optimizer == Optimizer::vcl) vcl_options(s);  // UsageError naming the --vcl-* flag or the conflicting one
}

MlpSpec model_spec(const TrainSettings& s, const Dataset& train) {
  return {.input_dim = train.dim(), .hidden = s.hidden, .output_dim = train.targets.is_empty() ? train.n_classes : train.targets.n_rows,
          .activation = s.activation, .bias = s.bias, .init = s.init};
}

// The network of the settings: conv layers (--conv, on the dataset's image shape), then the dense head.
template <class T> Network<T> make_network(const TrainSettings& s, const Dataset& train) {
  const MlpSpec head = model_spec(s, train);
  if (s.conv.empty()) return Network<T>(Mlp<T>(head, s.seed));
  if (train.image_shape.size() != 3)
    throw UsageError("--conv: dataset '" + train.name + "' has no image shape (channels, height, width); conv layers need "
                     "image data (mnist, fashion-mnist, cifar10, cifar100, svhn), or drop --conv");
  NetworkSpec spec{.channels = train.image_shape[0], .height = train.image_shape[1], .width = train.image_shape[2],
                   .conv = {}, .hidden = head.hidden, .output_dim = head.output_dim, .activation = head.activation,
                   .bias = head.bias, .init = head.init};
  for (std::size_t channels : s.conv)
    spec.conv.push_back(ConvLayerSpec{.c_out = channels, .kernel = s.kernel, .stride = s.conv_stride, .padding = s.padding,
                                      .pooling = s.pool});
  try {
    return Network<T>(spec, s.seed);
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--conv/--kernel/--conv-stride/--padding/--pool: ") + e.what());
  }
}

template <class T> WeightSet to_weight_set(const Network<T>& model) {
  WeightSet w;
  w.n_conv = model.n_conv_layers();
  for (std::size_t l = 0; l < model.n_layers(); ++l) {
    w.weights.push_back(arma::conv_to<arma::mat>::from(model.weight(l)));
    if (model.has_bias()) w.biases.push_back(arma::conv_to<arma::vec>::from(model.bias(l)));
  }
  return w;
}

template <class T> void load_initial_weights(Network<T>& model, const std::string& path) {
  const WeightSet w = load_weights(path, model.n_conv_layers());
  if (w.weights.size() != model.n_layers())
    throw UsageError("--init-from " + path + ": has " + std::to_string(w.weights.size()) + " weight matrices, the model needs " +
                     std::to_string(model.n_layers()) + " (check --conv and --hidden)");
  for (std::size_t l = 0; l < model.n_layers(); ++l) {
    arma::Mat<T>& weight = model.weight(l);
    if (w.weights[l].n_rows != weight.n_rows || w.weights[l].n_cols != weight.n_cols)
      throw UsageError("--init-from " + path + ": W" + std::to_string(l) + " has shape (" + std::to_string(w.weights[l].n_rows) +
                       ", " + std::to_string(w.weights[l].n_cols) + "), the model needs (" + std::to_string(weight.n_rows) +
                       ", " + std::to_string(weight.n_cols) + ") (check --conv, --kernel, --hidden and --dataset)");
    weight = arma::conv_to<arma::Mat<T>>::from(w.weights[l]);
  }
  if (model.has_bias()) {
    if (w.biases.size() != model.n_layers())
      throw UsageError("--init-from " + path + ": the model has biases (--bias) but the file has " + std::to_string(w.biases.size()) +
                       " bias vectors; pass --no-bias or a file with b0..b" + std::to_string(model.n_layers() - 1));
    for (std::size_t l = 0; l < model.n_layers(); ++l) {
      if (w.biases[l].n_elem != model.bias(l).n_elem)
        throw UsageError("--init-from " + path + ": b" + std::to_string(l) + " has the wrong length");
      model.bias(l) = arma::conv_to<arma::Col<T>>::from(w.biases[l]);
    }
  } else if (!w.biases.empty()) {
    throw UsageError("--init-from " + path + ": the file has biases but the model has none; pass --bias");
  }
}

// Root attributes of recordings.h5 that say how to read it (written once, not on resume).
template <class T>
void write_recording_attributes(RecordingWriter& writer, const nlohmann::json& config, RecordMode mode, const Network<T>& model,
                                const Dataset& train) {
  writer.set_root_attribute("vclab_config", config.dump());
  writer.set_root_attribute("record_mode", to_string(mode));
  writer.set_root_attribute("n_layers", std::int64_t(model.n_layers()));
  // The dense layers' widths d_0,d_1,...,d_L,C (of the head's input when there are conv layers).
  std::string widths = std::to_string(model.head.weights[0].n_cols);
  for (const auto& w : model.head.weights) widths += "," + std::to_string(w.n_rows);
  writer.set_root_attribute("layer_widths", widths);
  // Conv layer l's patch space is c_in × k × k (recorded in full whatever the mode): how to draw its diagonals.
  writer.set_root_attribute("n_conv_layers", std::int64_t(model.n_conv_layers()));
  const std::vector<ConvGeometry> geometries = model.spec.conv_geometries();
  for (std::size_t l = 0; l < geometries.size(); ++l) {
    const std::string k = std::to_string(geometries[l].kernel);
    writer.set_root_attribute("patch_shape_" + std::to_string(l), std::to_string(geometries[l].c_in) + "," + k + "," + k);
  }
  if (!train.image_shape.empty()) {
    std::string shape;
    for (auto v : train.image_shape) shape += (shape.empty() ? "" : ",") + std::to_string(v);
    writer.set_root_attribute("image_shape", shape);
  }
}

// What the run's observers record (record/run_observers.hpp), from the parsed settings.
ObserverSettings observer_settings(const TrainSettings& s, const std::set<std::string>& quantities, RecordMode mode, Loss loss) {
  return {.dir = s.out, .quantities = quantities, .mode = mode, .loss = loss, .agop = AgopOptions{mode, s.agop_samples, s.agop_centered},
          .agop_every = s.agop_every,
          .probes = ProbeOptions{s.probe_samples, s.linearity_lambda, s.linearity_pca, true, true, s.probe_every}};
}

TrainOptions train_options(const TrainSettings& s) {
  return {.lr = s.lr, .batch = s.batch, .epochs = s.epochs,
          .seed = s.seed + 1,  // shuffling stream distinct from the initialisation stream
          .loss = s.loss, .schedule = s.record_every, .divergence_loss = s.divergence_loss,
          .progress_label = s.dataset + " " + to_string(s.optimizer)};
}

// config.json of a run that ended: status, result, finish time.
void record_result(nlohmann::json& config, const TrainOutcome& outcome, bool has_validation, double final_val_accuracy) {
  config["status"] = outcome.result.diverged ? "diverged" : "completed";
  if (outcome.result.diverged) config["divergence"] = outcome.result.divergence_message;
  config["result"] = {{"steps", outcome.result.steps},
                      {"final_test_accuracy", outcome.final_test_accuracy},
                      {"seconds", outcome.seconds}};
  if (has_validation) config["result"]["final_val_accuracy"] = final_val_accuracy;
  config["finished_utc"] = utc_timestamp();
}

template <class T>
TrainOutcome train_typed(const TrainSettings& s, const DatasetSplit& data, nlohmann::json config, bool resume) {
  const auto start = std::chrono::steady_clock::now();
  const std::filesystem::path dir = s.out;
  const std::filesystem::path checkpoint_path = dir / "checkpoint.h5";
  Network<T> model = make_network<T>(s, data.train);
  if (!resume && !s.init_from.empty()) load_initial_weights(model, s.init_from);
  if (!resume && s.save_weights) save_weights(dir / "weights_init.h5", to_weight_set(model));

  TrainOptions options = train_options(s);
  auto rule = make_update_rule<T>(s);
  if (resume && !rule->resumable())
    throw UsageError("--resume: optimizer '" + to_string(s.optimizer) + "' does not save its state in checkpoints; rerun from the start");
  options.checkpoint_every = rule->resumable() ? s.checkpoint_every : 0;
  options.checkpoint_path = checkpoint_path;
  if (resume) options.resume_from = checkpoint_path;

  const auto quantities = parse_quantities(s.record);
  const RecordMode mode = s.record_mode;
  RecordingWriter writer(dir / "recordings.h5");  // on resume, replaced by the checkpoint's snapshot
  if (!resume) write_recording_attributes(writer, config, mode, model, data.train);

  RunObservers<T> observers(observer_settings(s, quantities, mode, options.loss), data, writer, *rule, resume);
  Trainer<T> trainer(options, *rule);
  observers.attach(trainer);
  MetricsWriter<T>& metrics = observers.metrics();

  TrainOutcome outcome;
  outcome.run_dir = dir;
  outcome.result = trainer.run(model, data.train, data.test);
  if (outcome.result.diverged) {
    metrics.mark_diverged(outcome.result.steps);
    std::cerr << "vclab: " << outcome.result.divergence_message << "\n";
  } else if (s.save_weights) {
    save_weights(dir / "weights_final.h5", to_weight_set(model));
  }
  writer.close();
  if (!outcome.result.diverged) {  // finished: nothing left to resume (a diverged run keeps its last checkpoint)
    std::error_code ignored;
    std::filesystem::remove(checkpoint_path, ignored);
    std::filesystem::remove(sha256_sidecar_path(checkpoint_path), ignored);
  }
  outcome.final_test_accuracy = outcome.result.epochs.empty() ? 0 : outcome.result.epochs.back().test_accuracy;
  outcome.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  record_result(config, outcome, data.validation.size() > 0, data.validation.size() > 0 ? metrics.final_val_accuracy() : 0.0);
  write_json(dir / "config.json", config);
  return outcome;
}

}  // namespace

std::size_t set_blas_threads(std::size_t threads) {
  const std::size_t n = threads == 0 ? std::max(1u, std::thread::hardware_concurrency()) : threads;
  openblas_set_num_threads(int(n));
  return n;
}

DatasetSplit load_training_data(const TrainSettings& s) {
  return load_dataset({.name = s.dataset, .data_dir = s.data_dir, .train_size = s.train_size, .test_size = s.test_size,
                       .normalize = s.normalize, .seed = s.seed,
                       .synthetic = {.input_dim = s.synthetic_dim, .n_train = s.synthetic_train, .n_test = s.synthetic_test,
                                     .n_classes = s.synthetic_classes, .target = s.synthetic_target},
                       .val_fraction = s.val_fraction});
}

std::optional<nlohmann::json> finished_run_config(const TrainSettings& settings) {
  const auto path = std::filesystem::path(settings.out) / "config.json";
  if (!std::filesystem::exists(path)) return std::nullopt;
  try {
    nlohmann::json config = read_json(path);
    const std::string status = config.value("status", "");
    if ((status == "completed" || status == "diverged") && config.contains("settings") && config.contains("result") &&
        to_json(train_settings_from_json(config["settings"])) == to_json(settings))
      return config;
  } catch (const std::exception&) {  // unreadable: train again
  }
  return std::nullopt;
}

TrainOutcome run_training(const TrainSettings& settings) {
  check_combination(settings);
  return run_training(settings, load_training_data(settings));
}

TrainOutcome run_training(const TrainSettings& s, const DatasetSplit& data) {
  check_combination(s);
  prepare_output_dir(s.out, s.overwrite);
  const std::size_t threads = set_blas_threads(s.threads);
  nlohmann::json config;
  config["settings"] = to_json(s);
  config["threads_in_use"] = threads;
  config["environment"] = environment_info();
  config["started_utc"] = utc_timestamp();
  config["status"] = "running";
  config["data"] = {{"name", data.train.name},
                    {"n_train", data.train.size()},
                    {"n_test", data.test.size()},
                    {"n_validation", data.validation.size()},
                    {"dim", data.train.dim()},
                    {"n_classes", data.train.n_classes},
                    {"image_shape", data.train.image_shape},
                    {"source_files", data.train.source_files}};
  config["notes"] = {
      {"vc", "V_l = sum over steps of sum_i (h+ h+^T - h h^T), h+ = h - lr * dL_batch/dh (g carries 1/B)"},
      {"agop", "A_l = (1/N) sum_i sum_c grad_{h_l} f_c grad_{h_l} f_c^T over the first agop_samples training samples"},
      {"sv", "singular values of W_l, descending"},
      {"linearity", "per layer l (features h_l; l = L+1: logits) on the first probe_samples training samples: [T_lambda, S, S_rel, "
                    "dim_used]; T = ridge R^2 of centred one-hot targets on centred features; S = ||Z^T Y||_F^2, Z = H W_l^T; "
                    "S_rel = S / (||Z||_F^2 ||Y||_2^2)"},
      {"collapse", "at the last hidden layer: [NC1, NC2, NC3, NC4] (docs/feature_probes.md)"},
      {"metrics", "train_* are means over the epoch's mini-batches before each update; test_* are full passes after the epoch"},
      {"checkpoint", "checkpoint.h5 (every checkpoint_every epochs) lets 'vclab train --resume DIR' finish an interrupted run"}};
  write_json(std::filesystem::path(s.out) / "config.json", config);
  if (s.precision == Precision::f64) return train_typed<double>(s, data, config, false);
  return train_typed<float>(s, data, config, false);
}

TrainOutcome resume_training(const std::filesystem::path& dir) {
  const std::filesystem::path config_path = dir / "config.json";
  if (!std::filesystem::exists(config_path))
    throw UsageError("--resume " + dir.string() + ": no config.json there; pass the run directory of an interrupted `vclab train`");
  nlohmann::json config = read_json(config_path);
  const std::string status = config.value("status", "");
  if (status == "completed")
    throw UsageError("--resume " + dir.string() + ": config.json says the run completed; nothing to resume");
  if (!std::filesystem::exists(dir / "checkpoint.h5"))
    throw UsageError("--resume " + dir.string() + ": no checkpoint.h5 (the run stopped before its first checkpoint, or ran with "
                     "--checkpoint-every 0); start it again");
  TrainSettings s;
  try {
    s = train_settings_from_json(config.at("settings"));
  } catch (const std::exception& e) {  // a hand-edited value, or a setting this vclab no longer knows
    throw UsageError("--resume " + config_path.string() + ": the \"settings\" block does not parse (" + e.what() +
                     "); restore the file written by `vclab train`");
  }
  s.out = dir.string();  // the directory may have moved since
  check_combination(s);
  const DatasetSplit data = load_training_data(s);
  const std::size_t threads = set_blas_threads(s.threads);
  if (config.contains("threads_in_use") && config["threads_in_use"] != threads)
    std::cerr << "vclab: note: resuming with " << threads << " BLAS threads, the run started with " << config["threads_in_use"]
              << "; results may differ at rounding level\n";
  config["status"] = "running";
  config["resumed_utc"].push_back(utc_timestamp());
  write_json(config_path, config);
  if (s.precision == Precision::f64) return train_typed<double>(s, data, config, true);
  return train_typed<float>(s, data, config, true);
}

}  // namespace vclab
