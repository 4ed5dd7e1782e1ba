// Every setting of `vclab train`, with defaults; serialised into config.json next to the results.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace vclab {

struct TrainSettings {
  // data
  std::string dataset = "cifar10";
  std::string data_dir;                 // empty: search (flag, $VCLAB_DATA, defaults)
  std::size_t train_size = 0;           // 0 = all
  std::size_t test_size = 0;            // 0 = all
  double val_fraction = 0;              // > 0: the last fraction of the training set is held out and scored per epoch
  std::string normalize = "unit";       // unit | symmetric | center | standardize | l2
  std::size_t synthetic_dim = 32;       // synthetic datasets only
  std::size_t synthetic_train = 1024;
  std::size_t synthetic_test = 1024;
  std::size_t synthetic_classes = 10;
  std::string synthetic_target = "tanh";
  // model
  std::vector<std::size_t> hidden{256};
  std::string activation = "gelu";
  bool bias = false;
  std::string init = "pytorch";         // normal | pytorch | xavier
  std::string init_from;                // HDF5 weights file or directory of W<l>.npy
  std::string loss = "cross-entropy";
  std::string precision = "float";      // float | double
  // optimisation
  std::string optimizer = "sgd";        // sgd | vcl
  double lr = 0.05;
  std::size_t batch = 64;
  std::size_t epochs = 12;
  std::uint64_t seed = 0;
  double momentum = 0;                  // breaks Theorem 2's identity
  double weight_decay = 0;              // breaks Theorem 2's identity
  std::size_t threads = 0;              // 0 = all cores
  double divergence_loss = 1e4;
  // VCL (Algorithm 1; see vcl options in docs)
  double vcl_alpha = 0.1;
  std::string vcl_gram = "current";     // current | initial | per-step
  std::string vcl_solver = "auto";      // full | fast | auto (fast where d_l > 1024)
  bool vcl_clip = true;
  std::size_t vcl_warmup_epochs = 1;
  bool vcl_train_last = true;
  double vcl_last_lr = 0.05;
  // recording
  std::string record = "gram,dgram,vc,agop";
  std::string record_mode = "diag";     // diag | full
  std::string record_every = "1";       // N (epochs), Nepochs, Nsteps
  std::size_t agop_samples = 0;         // 0 = whole training set
  bool agop_centered = false;
  std::size_t probe_samples = 5000;     // linearity/collapse probes: first N training samples (0 = all)
  std::size_t probe_every = 0;          // probes every N steps on their own schedule (0 = at the recording checkpoints)
  double linearity_lambda = 0;          // ridge λ of Target Linearity (0 = pseudo-inverse)
  std::size_t linearity_pca = 0;        // 0 = off; k: wider features reduced to k principal components
  // output
  std::string out = "runs/latest";
  bool overwrite = false;
  bool save_weights = true;             // weights_init.h5 / weights_final.h5
  std::size_t checkpoint_every = 1;     // epochs between DIR/checkpoint.h5 writes (0 = none); see --resume
  bool quiet = false;
};

nlohmann::json to_json(const TrainSettings& s);
TrainSettings train_settings_from_json(const nlohmann::json& j);  // missing keys keep defaults

// The `vclab train` arguments (after "train") that reproduce `s`: one flag per setting that differs from
// its default (field foo_bar -> --foo-bar; booleans as --flag / --no-flag), so parsing them with
// add_train_options gives back `s`. Doubles are written in their shortest exact form.
std::vector<std::string> train_args(const TrainSettings& s);

}  // namespace vclab
