// Every reader's error message names the file: missing file, not an HDF5 file, missing dataset,
// truncated .npy, unsupported dtype.
#include "io/csv_table.hpp"
#include "io/hdf5_file.hpp"
#include "io/io_error.hpp"
#include "io/json_io.hpp"
#include "io/npy.hpp"
#include "io/recordings.hpp"
#include "io/sha256_sidecar.hpp"
#include "io/weights_io.hpp"
#include "io_test_util.hpp"

using namespace vclab;
using vclab::test::TempDir;

namespace {
void require_mentions(const std::string& msg, const std::string& needle, const std::string& what) {
  INFO(what << ": " << msg);
  CHECK(msg.find(needle) != std::string::npos);
}

// A .npy file with the given descr and shape, written by hand (numpy's v1.0 layout).
std::string npy_bytes(const std::string& descr, const std::string& shape, std::size_t data_bytes) {
  std::string dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  dict += std::string((64 - (10 + dict.size() + 1) % 64) % 64, ' ') + "\n";
  return std::string("\x93NUMPY\x01\x00", 8) + char(dict.size() & 0xff) + char(dict.size() >> 8) + dict +
         std::string(data_bytes, '\0');
}
}  // namespace

TEST_CASE("missing files: every reader names the file") {
  TempDir dir;
  const auto missing = dir / "does_not_exist_42";
  const std::string name = "does_not_exist_42";
  require_mentions(test::thrown_message<IoError>([&] { Hdf5File::open_read(missing); }), name, "open_read");
  require_mentions(test::thrown_message<IoError>([&] { Hdf5File::open_rw(missing); }), name, "open_rw");
  require_mentions(test::thrown_message<IoError>([&] { read_npy(missing); }), name, "read_npy");
  require_mentions(test::thrown_message<IoError>([&] { read_json(missing); }), name, "read_json");
  require_mentions(test::thrown_message<IoError>([&] { read_csv(missing); }), name, "read_csv");
  require_mentions(test::thrown_message<IoError>([&] { load_weights(missing); }), name, "load_weights");
  require_mentions(test::thrown_message<IoError>([&] { RecordingsReader::load(missing); }), name, "recordings");
  require_mentions(test::thrown_message<IoError>([&] { RecordingsReader::load(missing); }), "not found", "recordings");
}

TEST_CASE("not an HDF5 file: the message names the file and says so") {
  TempDir dir;
  const auto path = dir / "plain_text.h5";
  test::write_text_file(path, "this is not HDF5\n");
  write_sha256_sidecar(path, path);  // RecordingsReader opens only files that match their sidecar
  for (auto* fn : {+[](const std::filesystem::path& p) { Hdf5File::open_read(p); },
                   +[](const std::filesystem::path& p) { load_weights(p); },
                   +[](const std::filesystem::path& p) { RecordingsReader::load(p); }}) {
    const std::string msg = test::thrown_message<IoError>([&] { fn(path); });
    require_mentions(msg, "plain_text.h5", "not HDF5");
    require_mentions(msg, "not an HDF5 file", "not HDF5");
  }
}

TEST_CASE("missing dataset: the message names the file and the object path") {
  TempDir dir;
  const auto path = dir / "has_some.h5";
  { Hdf5File::create(path).write_vector("/present", arma::vec{1.0}); }
  const Hdf5File file = Hdf5File::open_read(path);
  const std::string msg = test::thrown_message<IoError>([&] { file.read_matrix("/group/absent"); });
  require_mentions(msg, "has_some.h5", "missing dataset");
  require_mentions(msg, "/group/absent", "missing dataset");
  require_mentions(msg, "not found", "missing dataset");
  const std::string msg2 = test::thrown_message<IoError>([&] { file.list("/absent_group"); });
  require_mentions(msg2, "has_some.h5", "missing group");
}

TEST_CASE("truncated .npy: the message names the file, expected and found sizes") {
  TempDir dir;
  const auto path = dir / "cut_short.npy";
  std::string bytes = npy_bytes("<f8", "(3, 4)", 3 * 4 * 8);
  bytes.resize(bytes.size() - 10);
  test::write_text_file(path, bytes);
  std::string msg = test::thrown_message<IoError>([&] { read_npy(path); });
  require_mentions(msg, "cut_short.npy", "truncated data");
  require_mentions(msg, "expected 96 bytes", "truncated data");
  require_mentions(msg, "found 86", "truncated data");

  bytes.resize(20);  // inside the header
  test::write_text_file(path, bytes);
  msg = test::thrown_message<IoError>([&] { read_npy(path); });
  require_mentions(msg, "cut_short.npy", "truncated header");
  require_mentions(msg, "truncated", "truncated header");

  test::write_text_file(path, "NOT NUMPY AT ALL");
  msg = test::thrown_message<IoError>([&] { read_npy(path); });
  require_mentions(msg, "cut_short.npy", "bad magic");
  require_mentions(msg, "not a .npy file", "bad magic");
}

TEST_CASE("unsupported .npy dtype: the message names the file, the dtype and what is supported") {
  TempDir dir;
  for (const std::string descr : {"<c16", ">f8", "|b1", "<f2", "<U3"}) {
    const auto path = dir / "odd_dtype.npy";
    test::write_text_file(path, npy_bytes(descr, "(2,)", 64));
    const std::string msg = test::thrown_message<IoError>([&] { read_npy(path); });
    require_mentions(msg, "odd_dtype.npy", descr);
    require_mentions(msg, "'" + descr + "'", descr);
    require_mentions(msg, "float64", descr);
  }
}

TEST_CASE("unsupported dtype written by numpy itself is rejected with the file name") {
  if (!test::python_has("numpy")) return;
  TempDir dir;
  const auto res = test::run_python(dir.path(), "import sys, numpy as np\n"
                                                "np.save(sys.argv[1], np.zeros((2, 2), dtype=np.complex128))\n",
                                    "'" + (dir / "complex.npy").string() + "'");
  REQUIRE_MESSAGE(res.status == 0, res.output);
  const std::string msg = test::thrown_message<IoError>([&] { read_npy(dir / "complex.npy"); });
  require_mentions(msg, "complex.npy", "numpy complex");
  require_mentions(msg, "<c16", "numpy complex");
}
