// The training loop shared by SGD and VCL: batches → forward → backward → hooks → update → hooks.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "model/loss.hpp"
#include "train/batch.hpp"
#include "train/observer.hpp"
#include "train/paper_defaults.hpp"
#include "train/update_rule.hpp"

namespace vclab {

// When recording checkpoints happen: every `every` epochs or steps (plus the initial model and the end).
struct RecordSchedule {
  enum class Unit { epoch, step };
  std::size_t every = 1;
  Unit unit = Unit::epoch;
  static RecordSchedule parse(const std::string& text);  // "2", "2epochs", "500steps", "500s"
  std::string to_string() const;
};

struct TrainOptions {
  double lr = kPaperLearningRate;
  std::size_t batch = kPaperBatch;
  std::size_t epochs = 12;      // Figure 1's run
  std::uint64_t seed = 0;       // shuffling stream (initialisation uses its own stream)
  Loss loss = Loss::cross_entropy;
  RecordSchedule schedule;
  double divergence_loss = 1e4; // a batch loss above this counts as divergence
  bool evaluate_initial = true; // epoch-0 row in metrics (full passes over train and test)
  std::string progress_label = "train";
  // Training checkpoints (train/checkpoint.hpp): written to checkpoint_path at the end of every
  // checkpoint_every-th epoch except the last (0 or an empty path: none). A non-empty resume_from
  // continues from such a checkpoint instead of starting afresh (no initial evaluation or recording).
  std::size_t checkpoint_every = 0;
  std::filesystem::path checkpoint_path;
  std::filesystem::path resume_from;
};

struct TrainResult {
  std::vector<EpochMetrics> epochs;
  std::int64_t steps = 0;
  bool diverged = false;
  std::string divergence_message;
};

struct Evaluation {
  double loss = 0;
  double accuracy = 0;
};

template <class T>
Evaluation evaluate(const Network<T>& model, const Dataset& data, Loss loss, std::size_t batch = 1000);
template <class T>
Evaluation evaluate(const Mlp<T>& model, const Dataset& data, Loss loss, std::size_t batch = 1000);


template <class T> class Trainer {
 public:
  Trainer(TrainOptions options, UpdateRule<T>& rule) : options_(std::move(options)), rule_(rule) {}
  void add_observer(Observer<T>& observer) { observers_.push_back(&observer); }
  // Trains in place. Divergence stops training (observers still get on_end) and is reported in the result;
  // the recordings then end at the last checkpoint whose quantities were all finite. g_0 = ∂ℒ/∂x is computed
  // when the rule or an attached observer asks for it (needs_input_grad).
  TrainResult run(Network<T>& model, const Dataset& train, const Dataset& test);
  // An MLP trains as a Network without conv layers (moved in and back out; observers see the Network).
  TrainResult run(Mlp<T>& model, const Dataset& train, const Dataset& test);

 private:
  TrainOptions options_;
  UpdateRule<T>& rule_;
  std::vector<Observer<T>*> observers_;
};

}  // namespace vclab
