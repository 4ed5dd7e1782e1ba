// Every setting of `vclab train`, with defaults; serialised into config.json next to the results.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "model/activation.hpp"
#include "model/init.hpp"
#include "model/loss.hpp"
#include "model/network.hpp"
#include "record/agop_schedule.hpp"
#include "record/record_mode.hpp"
#include "train/sgd.hpp"
#include "train/trainer.hpp"
#include "train/vcl.hpp"
#include "util/enum_names.hpp"

namespace vclab {

enum class Precision { f32, f64 };
inline constexpr EnumName<Precision> kPrecisionNames[] = {{"float", Precision::f32}, {"double", Precision::f64}};
constexpr std::span<const EnumName<Precision>> enum_names(Precision) { return kPrecisionNames; }

enum class Optimizer { sgd, vcl };
inline constexpr EnumName<Optimizer> kOptimizerNames[] = {{"sgd", Optimizer::sgd}, {"vcl", Optimizer::vcl}};
constexpr std::span<const EnumName<Optimizer>> enum_names(Optimizer) { return kOptimizerNames; }

// auto: the eigen-tracker on layers with d_l > kAutoFastSolverMinDim, the full EVD elsewhere.
enum class VclSolver { full, fast, automatic };
inline constexpr EnumName<VclSolver> kVclSolverNames[] = {{"full", VclSolver::full}, {"fast", VclSolver::fast}, {"auto", VclSolver::automatic}};
constexpr std::span<const EnumName<VclSolver>> enum_names(VclSolver) { return kVclSolverNames; }

// Parsed once at the CLI edge (app/cli_app.cpp); defaults of the settings shared with the library come
// from the library's option structs, so `--help`, config.json and the sweeps' command lines all agree.
struct TrainSettings {
  // data
  std::string dataset = "cifar10";
  std::string data_dir;                 // empty: search (flag, $VCLAB_DATA, defaults)
  std::size_t train_size = 0;           // 0 = all
  std::size_t test_size = 0;            // 0 = all
  double val_fraction = 0;              // > 0: the last fraction of the training set is held out and scored per epoch
  Normalization normalize = Normalization::unit;
  std::size_t synthetic_dim = 32;       // synthetic datasets only
  std::size_t synthetic_train = 1024;
  std::size_t synthetic_test = 1024;
  std::size_t synthetic_classes = 10;
  std::string synthetic_target = "tanh";
  // model: conv layers (none: an MLP), then the dense head
  std::vector<std::size_t> conv;        // output channels of each conv layer, e.g. {32, 64}
  std::size_t kernel = ConvLayerSpec{}.kernel;  // k × k windows, every conv layer
  std::size_t conv_stride = ConvLayerSpec{}.stride;
  Padding padding = ConvLayerSpec{}.padding;
  Pooling pool = Pooling::max;          // 2 × 2 after every conv layer's activation
  std::vector<std::size_t> hidden{256};
  Activation activation = Activation::gelu;
  bool bias = false;
  Init init = Init::pytorch;
  std::string init_from;                // HDF5 weights file or directory of W<l>.npy
  Loss loss = Loss::cross_entropy;
  Precision precision = Precision::f32;
  // optimisation
  Optimizer optimizer = Optimizer::sgd;
  double lr = TrainOptions{}.lr;
  std::size_t batch = TrainOptions{}.batch;
  std::size_t epochs = TrainOptions{}.epochs;
  std::uint64_t seed = 0;
  double momentum = SgdOptions{}.momentum;          // breaks Theorem 2's identity
  double weight_decay = SgdOptions{}.weight_decay;  // breaks Theorem 2's identity
  std::size_t threads = 0;              // 0 = all cores
  double divergence_loss = TrainOptions{}.divergence_loss;
  // VCL (Algorithm 1; see vcl options in docs)
  double vcl_alpha = VclOptions{}.alpha;
  VclGram vcl_gram = VclOptions{}.gram;
  VclSolver vcl_solver = VclSolver::automatic;
  bool vcl_clip = VclOptions{}.clip_negative;
  std::size_t vcl_warmup_epochs = VclOptions{}.warmup_epochs;
  bool vcl_train_last = VclOptions{}.train_last;
  double vcl_last_lr = VclOptions{}.last_lr;
  // recording
  std::string record = "gram,dgram,vc,agop";  // checked against recordable_quantities() at the CLI edge
  RecordMode record_mode = RecordMode::diag;
  RecordSchedule record_every;
  std::size_t agop_samples = 0;         // 0 = whole training set
  bool agop_centered = false;
  AgopSchedule agop_every;              // checkpoint (every recording checkpoint) | final | N[epochs|steps]
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
