// `vclab train --conv ...` end to end (issue 18): recordings for the conv layer (full, patch space) and the dense head,
// config.json's settings, the weights files, then `vclab analyze` and `vclab plot` on the run; bad conv settings fail
// with a message naming the flag.
#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_test_util.hpp"
#include "io/recordings.hpp"
#include "io/weights_io.hpp"
#include "test_util.hpp"

using namespace vclab;
using namespace vclab::test;
namespace fs = std::filesystem;

TEST_CASE("vclab train --conv on MNIST records the conv layer in patch space and analyze/plot read the run") {
  const auto mnist = test_data_root() / "mnist";
  if (skip_without(mnist)) return;
  const fs::path dir = fresh_temp_dir("conv_train");
  const auto r = run_vclab("train --dataset mnist --data-dir " + mnist.string() +
                           " --train-size 256 --test-size 128 --conv 4 --kernel 3 --pool max --hidden 16 --epochs 1 --batch 32"
                           " --record gram,dgram,vc,agop --record-mode diag --agop-samples 64 --threads 1 --out " + dir.string());
  INFO(r.output);
  REQUIRE(r.exit_code == 0);

  const auto rec = RecordingsReader::load(dir / "recordings.h5");
  CHECK(rec.root_attribute_int("n_conv_layers") == 1);
  CHECK(rec.root_attribute_sizes("patch_shape_0") == std::vector<std::size_t>{1, 3, 3});
  CHECK(rec.root_attribute_sizes("layer_widths") == std::vector<std::size_t>{4 * 14 * 14, 16, 10});  // the head
  for (const std::string q : {"gram", "dgram", "vc", "agop"}) {
    CAPTURE(q);
    REQUIRE(rec.layers(q) == std::vector<std::size_t>{0, 1, 2});
    const auto conv = rec.last(q, 0), dense = rec.last(q, 1);
    CHECK_FALSE(conv.diag);  // conv layers in full whatever --record-mode says
    CHECK(arma::size(conv.data) == arma::size(9, 9));
    CHECK(dense.diag);
    CHECK(dense.data.n_rows == 4 * 14 * 14);
  }
  const auto config = nlohmann::json::parse(std::ifstream(dir / "config.json"));
  CHECK(config["settings"]["conv"] == nlohmann::json::array({4}));
  CHECK(config["settings"]["pool"] == "max");
  const WeightSet w = load_weights(dir / "weights_final.h5", 1);
  REQUIRE(w.weights.size() == 3);
  CHECK(arma::size(w.weights[0]) == arma::size(4, 9));

  const auto a = run_vclab("analyze " + dir.string());
  INFO(a.output);
  REQUIRE(a.exit_code == 0);
  CHECK(fs::exists(dir / "analysis" / "correlations.csv"));
  const auto p = run_vclab("plot " + dir.string());
  INFO(p.output);
  REQUIRE(p.exit_code == 0);
  CHECK(fs::exists(dir / "figures" / "figure1_heatmaps.png"));  // layer 0's diagonals as 1 panel of 3 × 3
  CHECK(fs::exists(dir / "figures" / "conv0_filters.png"));     // top eigenvectors of G, V, AGOP as 3 × 3 filters
  fs::remove_all(dir);
}

TEST_CASE("conv settings that do not fit the data fail before training, naming the flag") {
  const fs::path dir = fresh_temp_dir("conv_bad");
  const auto no_image = run_vclab("train --dataset synthetic-teacher --synthetic-dim 10 --synthetic-train 32 --conv 4 --epochs 1 "
                                  "--out " + (dir / "a").string());
  CHECK(no_image.exit_code != 0);
  CHECK(no_image.output.find("--conv") != std::string::npos);
  CHECK(no_image.output.find("image") != std::string::npos);
  const auto even = run_vclab("train --dataset synthetic-teacher --kernel 4 --conv 4 --out " + (dir / "b").string());
  CHECK(even.exit_code != 0);
  const auto stride = run_vclab("train --conv-stride 3 --out " + (dir / "c").string());
  CHECK(stride.exit_code != 0);
  CHECK(stride.output.find("--conv-stride") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("reproduce cnn on a slice of MNIST writes per-conv-layer rho and VCL against SGD") {
  const auto mnist = test_data_root() / "mnist";
  if (skip_without(mnist)) return;
  const fs::path dir = fresh_temp_dir("reproduce_cnn");
  const auto r = run_vclab("reproduce cnn --dataset mnist --data-dir " + mnist.string() +
                           " --conv 4,8 --hidden 16 --seeds 2 --epochs 1 --vcl-epochs 2 --train-size 256 --agop-samples 64"
                           " --threads 1 --out " + dir.string());
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const auto summary = nlohmann::json::parse(std::ifstream(dir / "summary.json"));
  const auto& layers = summary["conv_layers"];
  REQUIRE(layers["rho_vc_gram"].size() == 2);  // both conv layers
  for (const auto& key : {"rho_vc_gram", "rho_agop_gram", "nfa_gram_vs_agop_sqrt_upper"})
    for (const auto& layer : layers[key]) {
      CAPTURE(key);
      REQUIRE(layer["per_seed"].size() == 2);
      for (const auto& rho : layer["per_seed"]) CHECK(std::abs(rho.get<double>()) <= 1.0);
    }
  CHECK(summary["test_accuracy_by_epoch"]["sgd"].size() == 2);  // epochs 0 and 1
  CHECK(summary["test_accuracy_by_epoch"]["vcl"].size() == 3);  // epochs 0, 1 (warm-up) and 2
  CHECK(summary["finished"]["vcl"] == 2);
  CHECK(fs::exists(dir / "README.md"));
  CHECK(fs::exists(dir / "runs" / "sgd_seed1" / "figures" / "figure1_heatmaps.png"));
  fs::remove_all(dir);
}
