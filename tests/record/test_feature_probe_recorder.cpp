// The feature-probe observer (record/feature_probe_recorder.hpp) during real training: the values it writes equal a
// direct computation, its own step schedule, and its refusal of a probe set that misses a class.
#include <doctest/doctest.h>

#include <cmath>

#include "analyses/neural_collapse.hpp"
#include "analyses/run_probes.hpp"
#include "analyses/target_linearity.hpp"
#include "model/backprop.hpp"
#include "record/feature_probe_recorder.hpp"
#include "train/sgd.hpp"
#include "train/trainer.hpp"
#include "blobs.hpp"
#include "test_util.hpp"

using namespace vclab;

namespace {

// Labels cycling 0, 1, 2: every class equally often.
Dataset blobs(std::size_t n, std::uint64_t seed) { return test::blobs(n, seed, test::BlobLabels::cyclic); }

}  // namespace

TEST_CASE("FeatureProbeRecorder writes T, S and NC per layer, equal to a direct computation at the first and last checkpoint") {
  const Dataset train = blobs(60, 1), test = blobs(30, 2);
  MlpSpec spec;
  spec.input_dim = 6;
  spec.hidden = {8, 5};
  spec.output_dim = 3;
  Mlp<double> model(spec, 3);
  const Mlp<double> initial = model;
  vclab::test::TempDir dir;
  RecordingWriter writer(dir / "rec.h5");
  ProbeOptions options;
  options.samples = 45;
  FeatureProbeRecorder<double> probes(writer, train, options);
  CHECK(probes.probe_size() == 45);
  TrainOptions train_options;
  train_options.lr = 0.3;
  train_options.batch = 10;
  train_options.epochs = 2;
  Sgd<double> sgd;
  Trainer<double> trainer(train_options, sgd);
  trainer.add_observer(probes);
  REQUIRE_FALSE(trainer.run(model, train, test).diverged);
  writer.close();
  const RecordingsReader rec = RecordingsReader::load(dir / "rec.h5");
  REQUIRE(rec.layers("linearity") == std::vector<std::size_t>{0, 1, 2, 3});  // h_0, h_1, h_2, logits
  REQUIRE(rec.layers("collapse") == std::vector<std::size_t>{2});
  const arma::mat x = arma::conv_to<arma::mat>::from(train.x.head_cols(45));
  arma::mat y(45, 3, arma::fill::zeros);
  for (std::size_t i = 0; i < 45; ++i) y(i, train.y(i)) = 1;
  for (const Mlp<double>* m : {&initial, static_cast<const Mlp<double>*>(&model)}) {
    ForwardPass<double> pass;
    forward(*m, x, pass);
    const std::size_t k = m == &initial ? 0 : rec.checkpoints("linearity", 1).back();
    for (std::size_t l = 0; l <= 3; ++l) {
      const arma::mat h = (l == 3 ? pass.logits : pass.h[l]).t();
      const arma::vec stored = rec.at("linearity", l, k)->data.col(0);
      CHECK(stored(0) == doctest::Approx(target_linearity(h, y, 0.0)).epsilon(1e-12));
      if (l < 3) {
        const arma::mat hc = h.each_row() - arma::mean(h, 0), yc = y.each_row() - arma::mean(y, 0);
        CHECK(stored(1) == doctest::Approx(target_linearity_surrogate(hc, m->weights[l], yc)).epsilon(1e-12));
      }
    }
    const NeuralCollapse nc = neural_collapse(pass.h[2].t(), train.y.head(45), m->weights[2]);
    const arma::vec stored = rec.at("collapse", 2, k)->data.col(0);
    CHECK(stored(0) == doctest::Approx(nc.nc1).epsilon(1e-12));
    CHECK(stored(3) == doctest::Approx(nc.nc4).epsilon(1e-12));
  }
  // Training makes the last hidden layer more linear in the labels than the random initial features.
  const auto series = probe_series(read_probe_rows(rec, "linearity"), 0);
  CHECK(series.values(series.values.n_rows - 1, 2) > series.values(0, 2));
  // The written tables.
  const auto files = write_probe_tables(dir / "analysis", rec);
  CHECK(files == std::vector<std::string>{"linearity.csv", "linearization.json", "collapse.csv"});
}

TEST_CASE("FeatureProbeRecorder on its own step schedule: the initial model, every N steps, and the end") {
  const Dataset train = blobs(60, 1), test = blobs(30, 2);
  MlpSpec spec;
  spec.input_dim = 6;
  spec.hidden = {8};
  spec.output_dim = 3;
  Mlp<double> model(spec, 3);
  vclab::test::TempDir dir;
  RecordingWriter writer(dir / "rec.h5");
  ProbeOptions options;
  options.every_steps = 5;
  FeatureProbeRecorder<double> probes(writer, train, options);
  TrainOptions train_options;
  train_options.batch = 10;  // 6 steps per epoch, 12 in all; recording checkpoints at the epochs
  train_options.epochs = 2;
  Sgd<double> sgd;
  Trainer<double> trainer(train_options, sgd);
  trainer.add_observer(probes);
  REQUIRE_FALSE(trainer.run(model, train, test).diverged);
  writer.close();
  const RecordingsReader rec = RecordingsReader::load(dir / "rec.h5");
  const auto series = rec.series("linearity", 1);
  REQUIRE(series.size() == 4);
  const std::int64_t steps[4] = {0, 5, 10, 12};
  for (std::size_t k = 0; k < 4; ++k) {
    CHECK(series[k].checkpoint == k);
    CHECK(series[k].meta.step == steps[k]);
  }
  CHECK(series[1].meta.epoch == doctest::Approx(5.0 / 6.0));
}

TEST_CASE("FeatureProbeRecorder refuses a probe set that misses a class") {
  Dataset train = blobs(30, 1);
  train.y.fill(0);
  vclab::test::TempDir dir;
  RecordingWriter writer(dir / "rec.h5");
  CHECK_THROWS_WITH_AS(FeatureProbeRecorder<double>(writer, train, ProbeOptions{}),
                       doctest::Contains("no sample of class 1"), std::invalid_argument);
}
