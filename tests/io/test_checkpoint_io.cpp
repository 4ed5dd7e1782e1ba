// I/O pieces of training checkpoints: byte datasets in Hdf5File, and RecordingWriter snapshot/restore, which
// must give a resumed run's recordings file the same datasets as an uninterrupted one.
#include <doctest/doctest.h>

#include "io/hdf5_file.hpp"
#include "io/io_error.hpp"
#include "io/recordings.hpp"
#include "io_test_util.hpp"

using namespace vclab;
using vclab::test::TempDir;

TEST_CASE("Hdf5File round-trips byte datasets, empty ones too, and rejects other types as bytes") {
  TempDir dir;
  std::vector<std::uint8_t> bytes(10000);
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = std::uint8_t(i * 31 % 256);
  {
    Hdf5File f = Hdf5File::create(dir.path() / "b.h5");
    f.write_bytes("/blob/data", bytes);
    f.write_bytes("/empty", {});
    f.write_vector("/floats", arma::vec{1.0, 2.0});
  }
  const Hdf5File f = Hdf5File::open_read(dir.path() / "b.h5");
  CHECK(f.read_bytes("/blob/data") == bytes);
  CHECK(f.read_bytes("/empty").empty());
  CHECK_THROWS_AS(f.read_bytes("/floats"), IoError);
}

TEST_CASE("RecordingWriter::restore continues from a snapshot: later writes replace what followed it") {
  TempDir dir;
  const auto path = dir.path() / "rec.h5";
  RecordingWriter writer(path);
  writer.set_root_attribute("kind", "test");
  writer.add("gram", 0, 0, {0, 0.0, 0.1}, arma::mat(arma::vec{1.0, 2.0}), true);
  const std::vector<std::uint8_t> snapshot = writer.snapshot();
  writer.add("gram", 0, 1, {5, 1.0, 0.1}, arma::mat(arma::vec{9.0, 9.0}), true);  // past the snapshot: must vanish
  writer.restore(snapshot);
  writer.add("gram", 0, 1, {5, 1.0, 0.1}, arma::mat(arma::vec{3.0, 4.0}), true);
  writer.close();
  const auto reader = RecordingsReader::load(path);
  CHECK(reader.root_attribute_string("kind") == "test");
  CHECK(reader.checkpoints("gram", 0) == std::vector<std::size_t>{0, 1});
  CHECK(arma::approx_equal(reader.series("gram", 0)[0].data, arma::mat(arma::vec{1.0, 2.0}), "absdiff", 0.0));
  CHECK(arma::approx_equal(reader.last("gram", 0).data, arma::mat(arma::vec{3.0, 4.0}), "absdiff", 0.0));
}
