// Tests for the .npy reader/writer: own round trip, fixtures written by numpy (dtypes, C/Fortran
// order, format versions 1.0/2.0/3.0, 1-D), files written by us read by numpy.
#include "io/npy.hpp"

#include "io/io_error.hpp"
#include "io_test_util.hpp"

using namespace vclab;
using vclab::test::TempDir;

TEST_CASE("write_npy then read_npy round-trips matrices and vectors") {
  TempDir dir;
  const arma::mat m = test::position_matrix(3, 4);
  write_npy(dir / "m.npy", m);
  test::require_equal_elements(read_npy(dir / "m.npy"), m, "float64");
  const arma::fmat f = arma::conv_to<arma::fmat>::from(test::position_matrix(2, 5));
  write_npy(dir / "f.npy", f);
  test::require_equal_elements(read_npy(dir / "f.npy"), f, "float32");
  CHECK(read_npy_header(dir / "f.npy").descr == "<f4");
  const arma::vec v = {3.0, -1.0, 0.5};
  write_npy(dir / "v.npy", v);
  const NpyHeader h = read_npy_header(dir / "v.npy");
  CHECK(h.shape == std::vector<std::size_t>{3});
  CHECK(h.data_offset % 64 == 0);  // numpy aligns the data to 64 bytes
  test::require_equal_elements(read_npy(dir / "v.npy"), arma::mat(v), "1-D");
  CHECK(dir.entries() == std::vector<std::string>{"f.npy", "m.npy", "v.npy"});
}

TEST_CASE("read_npy reads fixtures written by numpy in every supported dtype, order and version") {
  if (!test::python_has("numpy")) return;
  TempDir dir;
  // a[i, j] = 10 i + j + 0.25 for floats (exact in float32), 10 i + j - 7 for integers.
  const std::string script = R"PY(
import sys, numpy as np
out = sys.argv[1]
r, c = 3, 5
i, j = np.meshgrid(np.arange(r), np.arange(c), indexing='ij')
fl = 10.0 * i + j + 0.25
it = 10 * i + j - 7
cases = {
  'f8_c': fl.astype('<f8'), 'f4_c': fl.astype('<f4'),
  'f8_f': np.asfortranarray(fl.astype('<f8')), 'f4_f': np.asfortranarray(fl.astype('<f4')),
  'i4_c': it.astype('<i4'), 'i8_f': np.asfortranarray(it.astype('<i8')),
}
for name, a in cases.items():
  np.save(f'{out}/{name}.npy', a)
for v in [(1, 0), (2, 0), (3, 0)]:
  with open(f'{out}/v{v[0]}.npy', 'wb') as f:
    np.lib.format.write_array(f, fl.astype('<f8'), version=v)
np.save(f'{out}/oned.npy', np.array([2.5, -1.0, 4.0, 8.0]))
np.save(f'{out}/scalar.npy', np.float64(6.5))
print('OK', np.asfortranarray(fl).flags['F_CONTIGUOUS'])
)PY";
  const auto res = test::run_python(dir.path(), script, "'" + dir.path().string() + "'");
  REQUIRE_MESSAGE(res.status == 0, res.output);
  REQUIRE(res.output.find("OK True") != std::string::npos);

  const arma::mat fl = test::position_matrix(3, 5);
  const arma::mat it = fl - 7.25;
  for (const char* name : {"f8_c", "f4_c", "f8_f", "f4_f", "v1", "v2", "v3"}) {
    test::require_equal_elements(read_npy(dir / (std::string(name) + ".npy")), fl, name);
  }
  CHECK(read_npy_header(dir / "f8_f.npy").fortran_order);
  CHECK_FALSE(read_npy_header(dir / "f8_c.npy").fortran_order);
  test::require_equal_elements(read_npy(dir / "i4_c.npy"), it, "int32 C order");
  test::require_equal_elements(read_npy(dir / "i8_f.npy"), it, "int64 Fortran order");
  test::require_equal_elements(read_npy(dir / "oned.npy"), arma::mat(arma::vec{2.5, -1.0, 4.0, 8.0}), "1-D");
  const arma::mat scalar = read_npy(dir / "scalar.npy");
  REQUIRE(scalar.n_elem == 1);
  CHECK(scalar(0, 0) == 6.5);
}

TEST_CASE("numpy reads write_npy output with the same shape, dtype and elements") {
  if (!test::python_has("numpy")) return;
  TempDir dir;
  arma::arma_rng::set_seed(11);
  const arma::mat m = arma::randn(3, 4);
  const arma::fmat f = arma::conv_to<arma::fmat>::from(test::position_matrix(2, 3));
  write_npy(dir / "m.npy", m);
  write_npy(dir / "f.npy", f);
  write_npy(dir / "v.npy", arma::vec{1.0, 2.0});
  // Prints "name dtype shape values-in-C-order" with repr() so doubles survive the trip exactly.
  const std::string script = R"PY(
import sys, numpy as np
d = sys.argv[1]
for name in ['m', 'f', 'v']:
  a = np.load(f'{d}/{name}.npy')
  print(name, a.dtype.str, 'x'.join(map(str, a.shape)), ' '.join(repr(float(x)) for x in a.ravel(order='C')))
)PY";
  const auto res = test::run_python(dir.path(), script, "'" + dir.path().string() + "'");
  REQUIRE_MESSAGE(res.status == 0, res.output);
  std::istringstream lines(res.output);
  std::string name, dtype, shape;
  auto check_line = [&](const std::string& want_name, const std::string& want_dtype, const std::string& want_shape,
                        const arma::mat& want) {
    const bool got_header = static_cast<bool>(lines >> name >> dtype >> shape);
    REQUIRE(got_header);
    CHECK(name == want_name);
    CHECK(dtype == want_dtype);
    CHECK(shape == want_shape);
    for (arma::uword i = 0; i < want.n_rows; ++i)
      for (arma::uword j = 0; j < want.n_cols; ++j) {
        double x = 0;
        const bool got_value = static_cast<bool>(lines >> x);
        REQUIRE(got_value);
        CHECK_MESSAGE(x == want(i, j), want_name << "[" << i << ", " << j << "]");
      }
  };
  check_line("m", "<f8", "3x4", m);
  check_line("f", "<f4", "2x3", arma::conv_to<arma::mat>::from(f));
  check_line("v", "<f8", "2", arma::mat(arma::vec{1.0, 2.0}));
}

TEST_CASE("read_npy rejects more than two dimensions, naming the file") {
  TempDir dir;
  // Hand-made header so this check does not depend on numpy.
  std::string dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 1), }";
  dict += std::string(64 - (10 + dict.size() + 1) % 64, ' ') + "\n";
  std::string bytes = std::string("\x93NUMPY\x01\x00", 8) + char(dict.size() & 0xff) + char(dict.size() >> 8) + dict;
  bytes += std::string(8, '\0');
  test::write_text_file(dir / "cube.npy", bytes);
  const std::string msg = test::thrown_message<IoError>([&] { read_npy(dir / "cube.npy"); });
  CHECK(msg.find("cube.npy") != std::string::npos);
  CHECK(msg.find("3 dimensions") != std::string::npos);
}
