// End-to-end `vclab reproduce figure1` on a tiny Fashion-MNIST subset: outputs, and a rerun that reuses
// the finished runs reports exactly the same numbers.
#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_test_util.hpp"

using namespace vclab::test;
namespace fs = std::filesystem;

TEST_CASE("reproduce figure1 writes summary, README and figures; a rerun reuses runs with identical numbers") {
  if (!fs::exists("/usr/share/datasets/fashion-mnist")) {
    MESSAGE("SKIP: /usr/share/datasets/fashion-mnist absent (apt-get install dataset-fashion-mnist)");
    return;
  }
  const fs::path dir = fresh_temp_dir("reproduce_figure1");
  const std::string args = "reproduce figure1 --dataset fashion-mnist --train-size 640 --seeds 2 --epochs 2 --no-sensitivity "
                           "--agop-samples 200 --threads 1 --out " + (dir / "out").string();
  const auto first = run_vclab(args);
  INFO(first.output);
  REQUIRE(first.exit_code == 0);
  for (const char* f : {"summary.json", "README.md", "figures/figure1.png", "figures/figure1.gp", "figures/figure1.dat",
                        "figures/rho_over_training.pdf"})
    CHECK(fs::exists(dir / "out" / f));
  const auto a = nlohmann::json::parse(std::ifstream(dir / "out" / "summary.json"));
  CHECK(a["rho_vc_vs_gram"]["per_seed"].size() == 2);

  const auto second = run_vclab(args);
  INFO(second.output);
  REQUIRE(second.exit_code == 0);
  CHECK(second.output.find("reusing finished run") != std::string::npos);
  const auto b = nlohmann::json::parse(std::ifstream(dir / "out" / "summary.json"));
  for (const char* key : {"rho_vc_vs_gram", "rho_agop_vs_gram", "rho_vc_vs_dgram", "rho_agop_vs_dgram", "test_accuracy"})
    CHECK_MESSAGE(a[key]["per_seed"] == b[key]["per_seed"], key);
}

TEST_CASE("reproduce figure1 --dataset auto with a --data-dir that lacks CIFAR-10 falls back to the packaged Fashion-MNIST") {
  if (!fs::exists("/usr/share/datasets/fashion-mnist")) {
    MESSAGE("SKIP: /usr/share/datasets/fashion-mnist absent (apt-get install dataset-fashion-mnist)");
    return;
  }
  const fs::path dir = fresh_temp_dir("reproduce_figure1_auto");
  fs::create_directories(dir / "no_cifar");  // the --data-dir holds neither dataset
  const auto r = run_vclab("reproduce figure1 --dataset auto --data-dir " + (dir / "no_cifar").string() +
                           " --train-size 320 --seeds 1 --epochs 1 --no-sensitivity --agop-samples 64 --threads 1 --out " +
                           (dir / "out").string());
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(r.output.find("CIFAR-10 not found (" + (dir / "no_cifar").string() + "); using Fashion-MNIST instead (from the default "
                      "places") != std::string::npos);
  CHECK(r.output.find("training images from /usr/share/datasets/fashion-mnist") != std::string::npos);
  CHECK(fs::exists(dir / "out" / "summary.json"));
}
