// Tests for Hdf5File: orientation, float32/float64, 1-D, groups, attributes, compression policy, symmetric writes.
#include "io/hdf5_file.hpp"

#include <hdf5.h>

#include "io/io_error.hpp"
#include "io_test_util.hpp"

using namespace vclab;
using vclab::test::TempDir;

TEST_CASE("Hdf5File round-trips non-square float64 and float32 matrices element by element") {
  TempDir dir;
  const auto path = dir / "m.h5";
  const arma::mat m = test::position_matrix(3, 5);
  const arma::fmat f = arma::conv_to<arma::fmat>::from(test::position_matrix(4, 2));
  {
    Hdf5File file = Hdf5File::create(path);
    file.write_matrix("/m", m);
    file.write_matrix("/f", f);
  }
  const Hdf5File file = Hdf5File::open_read(path);
  CHECK(file.dataset_shape("/m") == std::vector<std::size_t>{3, 5});
  CHECK(file.dataset_shape("/f") == std::vector<std::size_t>{4, 2});
  test::require_equal_elements(file.read_matrix("/m"), m, "float64 matrix");
  test::require_equal_elements(file.read_matrix("f"), f, "float32 matrix");  // leading '/' optional
}

TEST_CASE("Hdf5File stores vectors as 1-D datasets and reads them as columns") {
  TempDir dir;
  const auto path = dir / "v.h5";
  const arma::vec v = {1.5, -2.0, 3.25, 1e-310};
  const arma::fvec fv = {0.5f, 7.0f};
  {
    Hdf5File file = Hdf5File::create(path);
    file.write_vector("/v", v);
    file.write_vector("/fv", fv);
  }
  const Hdf5File file = Hdf5File::open_read(path);
  CHECK(file.dataset_shape("/v") == std::vector<std::size_t>{4});
  const arma::mat back = file.read_matrix("/v");
  CHECK(back.n_cols == 1);
  test::require_equal_elements(back, arma::mat(v), "vector");
  test::require_equal_elements(file.read_matrix("/fv"), arma::mat(arma::conv_to<arma::vec>::from(fv)), "fvec");
}

TEST_CASE("Hdf5File creates intermediate groups and lists children sorted") {
  TempDir dir;
  Hdf5File file = Hdf5File::create(dir / "g.h5");
  file.write_matrix("/b/layer1/x", arma::mat(2, 2, arma::fill::ones));
  file.write_matrix("/b/layer0/x", arma::mat(2, 2, arma::fill::zeros));
  file.write_vector("/a", arma::vec{1.0});
  CHECK(file.exists("/"));
  CHECK(file.exists("/b"));
  CHECK(file.exists("/b/layer1/x"));
  CHECK_FALSE(file.exists("/b/layer2"));
  CHECK_FALSE(file.exists("/b/layer2/x"));
  CHECK_FALSE(file.exists("/a/under_a_dataset"));
  CHECK(file.is_group("/b/layer0"));
  CHECK(file.is_dataset("/b/layer0/x"));
  CHECK_FALSE(file.is_dataset("/b"));
  CHECK(file.list("/") == std::vector<std::string>{"a", "b"});
  CHECK(file.list("/b") == std::vector<std::string>{"layer0", "layer1"});
  CHECK_THROWS_AS(file.list("/a"), IoError);
  const std::string msg = test::thrown_message<IoError>([&] { file.write_vector("/a/b", arma::vec{1.0}); });
  CHECK(msg.find("g.h5") != std::string::npos);
  CHECK(msg.find("parent '/a' is a dataset") != std::string::npos);
}

TEST_CASE("Hdf5File replaces an existing dataset, even with another shape") {
  TempDir dir;
  Hdf5File file = Hdf5File::create(dir / "r.h5");
  file.write_matrix("/x", test::position_matrix(2, 3));
  file.write_matrix("/x", test::position_matrix(4, 1));
  test::require_equal_elements(file.read_matrix("/x"), test::position_matrix(4, 1), "replaced");
}

TEST_CASE("Hdf5File round-trips empty matrices") {
  TempDir dir;
  Hdf5File file = Hdf5File::create(dir / "e.h5");
  file.write_matrix("/e", arma::mat(0, 3));
  const arma::mat back = file.read_matrix("/e");
  CHECK(back.n_rows == 0);
  CHECK(back.n_cols == 3);
}

TEST_CASE("Hdf5File compresses large datasets and still reads them back exactly") {
  TempDir dir;
  const auto path = dir / "big.h5";
  arma::arma_rng::set_seed(7);
  const arma::mat big = arma::randn(100, 83);  // 8300 >= kCompressMinElements
  arma::mat smooth = test::position_matrix(120, 90);
  {
    Hdf5File file = Hdf5File::create(path);
    file.write_matrix("/big", big);
    file.write_matrix("/smooth", smooth);
  }
  const Hdf5File file = Hdf5File::open_read(path);
  test::require_equal_elements(file.read_matrix("/big"), big, "compressed random");
  test::require_equal_elements(file.read_matrix("/smooth"), smooth, "compressed smooth");
  // 120*90 doubles are 86400 bytes raw; deflate must shrink this very regular data.
  CHECK(std::filesystem::file_size(path) < 100 * 83 * 8 + 86400);
}

namespace {

// A dataset's elements in file (row-major) order, as raw bytes: byte-identical datasets compare equal, -0.0 and 0.0
// do not.
std::vector<unsigned char> raw_bytes(const std::filesystem::path& path, const std::string& obj_path) {
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  REQUIRE(file >= 0);
  const hid_t dset = H5Dopen2(file, obj_path.c_str(), H5P_DEFAULT);
  REQUIRE(dset >= 0);
  const hid_t type = H5Dget_type(dset);
  const hid_t space = H5Dget_space(dset);
  std::vector<unsigned char> bytes(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space)) * H5Tget_size(type));
  if (!bytes.empty()) CHECK(H5Dread(dset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data()) >= 0);
  H5Sclose(space);
  H5Tclose(type);
  H5Dclose(dset);
  H5Fclose(file);
  return bytes;
}

struct StorageLayout {
  H5D_layout_t layout;
  int n_filters;
};

StorageLayout storage_layout(const std::filesystem::path& path, const std::string& obj_path) {
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  const hid_t dset = H5Dopen2(file, obj_path.c_str(), H5P_DEFAULT);
  const hid_t dcpl = H5Dget_create_plist(dset);
  const StorageLayout out{H5Pget_layout(dcpl), H5Pget_nfilters(dcpl)};
  H5Pclose(dcpl);
  H5Dclose(dset);
  H5Fclose(file);
  return out;
}

}  // namespace

TEST_CASE("Hdf5File::write_symmetric_matrix stores write_matrix's dataset; the copy-free path only for m == mᵀ bit for bit") {
  TempDir dir;
  const auto path = dir / "sym.h5";
  arma::arma_rng::set_seed(11);
  const arma::mat a = arma::randn(150, 150);  // 150 > 64: several tiles of the symmetry check
  const arma::mat sym = arma::symmatu(a);
  arma::mat off_tile = sym;
  off_tile(140, 3) += 1e-15;  // one asymmetric element, in a tile far from the diagonal
  arma::mat signed_zero = sym;
  signed_zero(0, 1) = -0.0;
  signed_zero(1, 0) = 0.0;  // equal as numbers, not as bytes
  const arma::mat square_general = test::position_matrix(5, 5);
  const arma::mat wide = test::position_matrix(3, 5);
  const std::vector<std::pair<std::string, const arma::mat*>> cases{
      {"sym", &sym}, {"off_tile", &off_tile}, {"signed_zero", &signed_zero}, {"general", &square_general}, {"wide", &wide}};
  std::vector<bool> copy_free;
  {
    Hdf5File file = Hdf5File::create(path);
    for (const auto& [name, m] : cases) {
      file.write_matrix("/transposed/" + name, *m);
      copy_free.push_back(file.write_symmetric_matrix("/symmetric/" + name, *m));
    }
    file.write_matrix("/transposed/fsym", arma::fmat(arma::conv_to<arma::fmat>::from(sym)));
    CHECK(file.write_symmetric_matrix("/symmetric/fsym", arma::fmat(arma::conv_to<arma::fmat>::from(sym))));
    CHECK_FALSE(file.write_symmetric_matrix("/symmetric/fwide", arma::fmat(arma::conv_to<arma::fmat>::from(wide))));
    file.write_matrix("/transposed/fwide", arma::fmat(arma::conv_to<arma::fmat>::from(wide)));
  }
  CHECK(copy_free == std::vector<bool>{true, false, false, false, false});
  const Hdf5File file = Hdf5File::open_read(path);
  for (const std::string name : {"sym", "off_tile", "signed_zero", "general", "wide", "fsym", "fwide"}) {
    INFO(name);
    CHECK(file.dataset_shape("/symmetric/" + name) == file.dataset_shape("/transposed/" + name));
    CHECK(raw_bytes(path, "/symmetric/" + name) == raw_bytes(path, "/transposed/" + name));
  }
  test::require_equal_elements(file.read_matrix("/symmetric/off_tile"), off_tile, "asymmetric, written transposed");
}

TEST_CASE("Hdf5File deflates float datasets of kCompressMinElements to kCompressMaxElements elements only") {
  TempDir dir;
  const auto path = dir / "policy.h5";
  constexpr std::size_t kMax = Hdf5File::kCompressMaxElements;
  {
    Hdf5File file = Hdf5File::create(path);
    file.write_vector("/below_min", arma::vec(Hdf5File::kCompressMinElements - 1, arma::fill::ones));
    file.write_vector("/at_min", arma::vec(Hdf5File::kCompressMinElements, arma::fill::ones));
    file.write_vector("/at_max", arma::vec(kMax, arma::fill::ones));
    file.write_vector("/above_max", arma::vec(kMax + 1, arma::fill::ones));
    file.write_vector("/f32_above_max", arma::fvec(kMax + 1, arma::fill::ones));
    file.write_matrix("/matrix_above_max", arma::mat(1025, 1024, arma::fill::ones));
    file.write_bytes("/bytes", std::vector<std::uint8_t>(Hdf5File::kCompressMinElements, 1));
    file.set_compression(0);
    file.write_vector("/level0", arma::vec(kMax, arma::fill::ones));
  }
  const auto expect = [&](const std::string& name, H5D_layout_t layout, int n_filters) {
    INFO(name);
    const StorageLayout got = storage_layout(path, name);
    CHECK(got.layout == layout);
    CHECK(got.n_filters == n_filters);
  };
  expect("/below_min", H5D_CONTIGUOUS, 0);
  expect("/at_min", H5D_CHUNKED, 2);  // shuffle + deflate
  expect("/at_max", H5D_CHUNKED, 2);
  expect("/above_max", H5D_CONTIGUOUS, 0);
  expect("/f32_above_max", H5D_CONTIGUOUS, 0);
  expect("/matrix_above_max", H5D_CONTIGUOUS, 0);
  expect("/bytes", H5D_CONTIGUOUS, 0);
  expect("/level0", H5D_CONTIGUOUS, 0);
  const Hdf5File file = Hdf5File::open_read(path);
  const arma::mat above_max = file.read_matrix("/above_max");  // one CHECK, not one per element
  CHECK(above_max.n_elem == kMax + 1);
  CHECK(arma::all(arma::vectorise(above_max) == 1.0));
}

TEST_CASE("Hdf5File attributes: double, int64, string; replaced on rewrite; typed reads") {
  TempDir dir;
  const auto path = dir / "attr.h5";
  {
    Hdf5File file = Hdf5File::create(path);
    file.write_vector("/d", arma::vec{1.0, 2.0});
    file.set_attribute("/", "title", "run ü-42");
    file.set_attribute("/", "n", std::int64_t{1} << 40);
    file.set_attribute("/d", "lr", 0.05);
    file.set_attribute("/d", "lr", 0.025);  // replaces
    file.set_attribute("/d", "whole", 3.0);
  }
  Hdf5File file = Hdf5File::open_rw(path);
  CHECK(file.get_attribute_string("/", "title") == "run ü-42");
  CHECK(file.get_attribute_int("/", "n") == (std::int64_t{1} << 40));
  CHECK(file.get_attribute_double("/", "n") == static_cast<double>(std::int64_t{1} << 40));
  CHECK(file.get_attribute_double("/d", "lr") == 0.025);
  CHECK(file.get_attribute_int("/d", "whole") == 3);
  CHECK(file.has_attribute("/d", "lr"));
  CHECK_FALSE(file.has_attribute("/d", "momentum"));
  CHECK_FALSE(file.has_attribute("/nope", "lr"));
  CHECK(file.attribute_names("/d") == std::vector<std::string>{"lr", "whole"});
  CHECK_THROWS_AS(file.get_attribute_int("/d", "lr"), IoError);        // 0.025 is not an integer
  CHECK_THROWS_AS(file.get_attribute_double("/", "title"), IoError);   // a string
  CHECK_THROWS_AS(file.get_attribute_string("/d", "lr"), IoError);     // a number
  const std::string msg = test::thrown_message<IoError>([&] { file.get_attribute_double("/d", "momentum"); });
  CHECK(msg.find("attr.h5") != std::string::npos);
  CHECK(msg.find("momentum") != std::string::npos);
}

TEST_CASE("Hdf5File string attributes of every length read back, also as h5py writes them") {
  TempDir dir;
  const auto path = dir / "strings.h5";
  { Hdf5File::create(dir / "rw.h5"); }
  const std::string big(10000, 'x');  // larger than a default 4 KiB collection: gets a collection of its own
  {
    Hdf5File file = Hdf5File::create(path);
    file.set_attribute("/", "empty", "");
    file.set_attribute("/", "short", "diag");
    file.set_attribute("/", "big", big);
  }
  const Hdf5File file = Hdf5File::open_read(path);
  CHECK(file.get_attribute_string("/", "empty").empty());
  CHECK(file.get_attribute_string("/", "short") == "diag");
  CHECK(file.get_attribute_string("/", "big") == big);
  CHECK(file.get_attribute_string("/", "short") == "diag");  // again, with the collection now in libhdf5's cache
  {  // written and read back through one open handle
    Hdf5File rw = Hdf5File::open_rw(dir / "rw.h5");
    rw.set_attribute("/", "fresh", "unflushed");
    CHECK(rw.get_attribute_string("/", "fresh") == "unflushed");
  }

  if (!test::python_has("h5py")) return;
  const auto res = test::run_python(dir.path(), R"PY(
import sys, h5py
with h5py.File(sys.argv[1], 'w') as f:
  f.attrs['mode'] = 'full'
  f.attrs['title'] = 'run \u00fc-42'
  f.attrs['empty'] = ''
)PY", "'" + (dir / "h5py.h5").string() + "'");
  REQUIRE_MESSAGE(res.status == 0, res.output);
  const Hdf5File from_h5py = Hdf5File::open_read(dir / "h5py.h5");
  CHECK(from_h5py.get_attribute_string("/", "mode") == "full");
  CHECK(from_h5py.get_attribute_string("/", "title") == "run ü-42");
  CHECK(from_h5py.get_attribute_string("/", "empty").empty());
}

TEST_CASE("Hdf5File refuses attributes holding several values instead of overflowing the one it reads into") {
  TempDir dir;
  const auto path = dir / "multi.h5";
  { Hdf5File::create(path); }
  {  // a 3-element float64 attribute, as h5py writes for attrs['lr'] = [1, 2, 3]
    const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    REQUIRE(f >= 0);
    const hsize_t n = 3;
    const double values[3] = {1, 2, 3};
    const hid_t space = H5Screate_simple(1, &n, nullptr);
    const hid_t attr = H5Acreate2(f, "lr", H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT);
    REQUIRE(H5Awrite(attr, H5T_NATIVE_DOUBLE, values) >= 0);
    H5Aclose(attr);
    H5Sclose(space);
    H5Fclose(f);
  }
  const Hdf5File file = Hdf5File::open_read(path);
  for (const std::string& msg : {test::thrown_message<IoError>([&] { file.get_attribute_double("/", "lr"); }),
                                 test::thrown_message<IoError>([&] { file.get_attribute_int("/", "lr"); }),
                                 test::thrown_message<IoError>([&] { file.get_attribute_string("/", "lr"); })}) {
    CHECK(msg.find("multi.h5") != std::string::npos);
    CHECK(msg.find("attribute 'lr' holds 3 values, expected one") != std::string::npos);
  }
}

TEST_CASE("Hdf5File opened read-only refuses writes; open_rw appends") {
  TempDir dir;
  const auto path = dir / "rw.h5";
  { Hdf5File::create(path).write_vector("/a", arma::vec{1.0}); }
  {
    Hdf5File ro = Hdf5File::open_read(path);
    CHECK_THROWS_AS(ro.write_vector("/b", arma::vec{2.0}), IoError);
  }
  {
    Hdf5File rw = Hdf5File::open_rw(path);
    rw.write_vector("/b", arma::vec{2.0});
    rw.flush();
  }
  const Hdf5File file = Hdf5File::open_read(path);
  CHECK(file.list("/") == std::vector<std::string>{"a", "b"});
  CHECK(file.read_matrix("/b")(0, 0) == 2.0);
}

TEST_CASE("Hdf5File after close() throws instead of touching a dead handle") {
  TempDir dir;
  Hdf5File file = Hdf5File::create(dir / "c.h5");
  file.close();
  CHECK_FALSE(file.is_open());
  CHECK_THROWS_AS(file.write_vector("/x", arma::vec{1.0}), IoError);
}
