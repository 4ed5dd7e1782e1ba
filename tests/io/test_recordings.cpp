// Tests for the recording format: layout, metadata, sorting, .partial handling.
#include "io/recordings.hpp"
#include "io/sha256_sidecar.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include "io/hdf5_file.hpp"
#include "io/io_error.hpp"
#include "io_test_util.hpp"

using namespace vclab;
using vclab::test::TempDir;

namespace {
CheckpointMeta meta_for(std::size_t k) {
  return CheckpointMeta{static_cast<std::int64_t>(100 * k), 0.5 * static_cast<double>(k), 0.05 / (1.0 + k)};
}
arma::mat gram_at(std::size_t k) { return test::position_matrix(4, 4) + static_cast<double>(k); }
arma::mat diag_at(std::size_t layer, std::size_t k) {
  return arma::linspace(1, 3, 3 + layer) * (1.0 + static_cast<double>(k));
}
}  // namespace

TEST_CASE("recording_path formats the checkpoint as six digits") {
  CHECK(recording_path("gram", 0, 12) == "/gram/layer0/000012");
  CHECK(recording_path("vc", 3, 0) == "/vc/layer3/000000");
}

TEST_CASE("RecordingWriter and RecordingsReader round-trip full and diag recordings with metadata") {
  TempDir dir;
  const auto path = dir / "recordings.h5";
  {
    RecordingWriter w(path);
    for (std::size_t k : {2u, 0u, 1u}) {  // out of order on purpose: the reader sorts
      w.add("gram", 0, k, meta_for(k), gram_at(k), false);
      for (std::size_t layer : {1u, 0u}) w.add("vc", layer, k, meta_for(k), diag_at(layer, k), true);
    }
    w.set_root_attribute("dataset", "cifar10");
    w.set_root_attribute("seed", std::int64_t{42});
    w.set_root_attribute("batch_fraction", 0.25);
    w.flush();
    CHECK(std::filesystem::exists(w.partial_path()));
    CHECK_FALSE(std::filesystem::exists(path));
    w.close();
    CHECK(w.closed());
    CHECK_THROWS_AS(w.add("gram", 0, 9, meta_for(9), gram_at(9), false), IoError);
  }
  CHECK(dir.entries() == std::vector<std::string>{"recordings.h5", "recordings.h5.sha256"});

  const RecordingsReader r = RecordingsReader::load(path);
  CHECK(r.quantities() == std::vector<std::string>{"gram", "vc"});
  CHECK(r.layers("vc") == std::vector<std::size_t>{0, 1});
  CHECK(r.checkpoints("gram", 0) == std::vector<std::size_t>{0, 1, 2});
  CHECK(r.root_attribute_string("dataset") == "cifar10");
  CHECK(r.root_attribute_int("seed") == 42);
  CHECK(r.root_attribute_double("batch_fraction") == 0.25);

  const std::vector<Recording> series = r.series("gram", 0);
  REQUIRE(series.size() == 3);
  for (std::size_t k = 0; k < 3; ++k) {
    CHECK(series[k].checkpoint == k);
    CHECK(series[k].quantity == "gram");
    CHECK_FALSE(series[k].diag);
    CHECK(series[k].meta.step == meta_for(k).step);
    CHECK(series[k].meta.epoch == meta_for(k).epoch);
    CHECK(series[k].meta.lr == meta_for(k).lr);
    test::require_equal_elements(series[k].data, gram_at(k), "gram checkpoint " + std::to_string(k));
  }
  const Recording last = r.last("vc", 1);
  CHECK(last.diag);
  CHECK(last.checkpoint == 2);
  CHECK(last.layer == 1);
  test::require_equal_elements(last.data, diag_at(1, 2), "vc layer1 last");
  CHECK(r.at("vc", 0, 1).has_value());
  CHECK_FALSE(r.at("vc", 0, 7).has_value());

  // The stored layout is what users of h5py rely on.
  const Hdf5File file = Hdf5File::open_read(path);
  CHECK(file.dataset_shape("/vc/layer1/000002") == std::vector<std::size_t>{4});
  CHECK(file.dataset_shape("/gram/layer0/000001") == std::vector<std::size_t>{4, 4});
  CHECK(file.get_attribute_string("/vc/layer1/000002", "mode") == "diag");
  CHECK(file.get_attribute_string("/gram/layer0/000002", "mode") == "full");
}

TEST_CASE("RecordingsReader errors list what is available") {
  TempDir dir;
  const auto path = dir / "rec.h5";
  {
    RecordingWriter w(path);
    w.add("agop", 2, 0, meta_for(0), diag_at(0, 0), true);
    w.close();
  }
  const RecordingsReader r = RecordingsReader::load(path);
  std::string msg = test::thrown_message<IoError>([&] { r.series("gram", 0); });
  CHECK(msg.find("rec.h5") != std::string::npos);
  CHECK(msg.find("no quantity 'gram' recorded; available: agop") != std::string::npos);
  CHECK(msg.find("--record gram") != std::string::npos);
  msg = test::thrown_message<IoError>([&] { r.last("agop", 0); });
  CHECK(msg.find("recorded layers: 2") != std::string::npos);
}

TEST_CASE("RecordingWriter stores float32 when asked") {
  TempDir dir;
  const auto path = dir / "f32.h5";
  {
    RecordingWriter w(path, StoredPrecision::Float32);
    w.add("gram", 0, 0, meta_for(0), gram_at(0), false);
    w.close();
  }
  const RecordingsReader r = RecordingsReader::load(path);
  test::require_equal_elements(r.last("gram", 0).data, gram_at(0), "float32 (exact for these values)");
}

TEST_CASE("RecordingWriter rejects bad quantity names and non-column diag data") {
  TempDir dir;
  RecordingWriter w(dir / "x.h5");
  CHECK_THROWS_AS(w.add("", 0, 0, {}, arma::mat(2, 1), true), std::invalid_argument);
  CHECK_THROWS_AS(w.add("a/b", 0, 0, {}, arma::mat(2, 1), true), std::invalid_argument);
  CHECK_THROWS_AS(w.add("vc", 0, 0, {}, arma::mat(2, 2), true), std::invalid_argument);
}

TEST_CASE("RecordingWriter destroyed without close() leaves only the readable .partial") {
  TempDir dir;
  const auto path = dir / "run.h5";
  {
    RecordingWriter w(path);
    w.add("gram", 0, 0, meta_for(0), gram_at(0), false);
    w.flush();
  }
  CHECK(dir.entries() == std::vector<std::string>{"run.h5.partial"});
  const std::string msg = test::thrown_message<IoError>([&] { RecordingsReader::load(path); });
  CHECK(msg.find("file not found, but " + (dir / "run.h5.partial").string() + " exists (the run did not finish)") !=
        std::string::npos);
  CHECK(msg.find("Pass the .partial file") != std::string::npos);
  const RecordingsReader r = RecordingsReader::load(dir / "run.h5.partial");
  test::require_equal_elements(r.last("gram", 0).data, gram_at(0), "partial recording");
}

TEST_CASE("a process killed after flush() leaves a readable .partial file") {
  TempDir dir;
  const auto path = dir / "killed.h5";
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // Child: write, flush, then die without destructors or close(), like a SIGKILL would.
    // Never return into doctest from the child: it would run the remaining tests twice.
    try {
      static std::optional<RecordingWriter> w;  // static: never destroyed before _Exit
      w.emplace(path);
      w->add("gram", 0, 0, meta_for(0), gram_at(0), false);
      w->add("gram", 0, 1, meta_for(1), gram_at(1), false);
      w->flush();
      std::_Exit(0);
    } catch (...) {
      std::_Exit(3);
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  REQUIRE_MESSAGE(WEXITSTATUS(status) == 0, "the child failed to write its recording");
  CHECK_FALSE(std::filesystem::exists(path));
  const RecordingsReader r = RecordingsReader::load(dir / "killed.h5.partial");
  CHECK(r.checkpoints("gram", 0) == std::vector<std::size_t>{0, 1});
  test::require_equal_elements(r.last("gram", 0).data, gram_at(1), "after kill");
  CHECK(r.last("gram", 0).meta.step == 100);
}

TEST_CASE("RecordingsReader rejects files that do not follow the layout") {
  TempDir dir;
  const auto path = dir / "foreign.h5";
  { Hdf5File::create(path).write_vector("/gram/notalayer/000000", arma::vec{1.0}); }
  write_sha256_sidecar(path, path);  // as `sha256sum foreign.h5 > foreign.h5.sha256` would: the layout is what fails
  const std::string msg = test::thrown_message<IoError>([&] { RecordingsReader::load(path); });
  CHECK(msg.find("foreign.h5") != std::string::npos);
  CHECK(msg.find("notalayer") != std::string::npos);
}
