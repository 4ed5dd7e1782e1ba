// Files written by vclab, read by independent tools: h5py (Python) and h5dump (HDF5's own CLI).
// These guard the orientation convention users rely on: a d1 x d2 matrix has shape (d1, d2) and
// the same element at [i, j] outside vclab.
#include <map>

#include "io/hdf5_file.hpp"
#include "io/recordings.hpp"
#include "io/weights_io.hpp"
#include "io_test_util.hpp"

using namespace vclab;
using vclab::test::TempDir;

namespace {

// Writes a small recording and a weights file into `dir`; returns what was written.
struct Written {
  arma::mat gram;     // (3, 3) full, checkpoint 1
  arma::mat vc_diag;  // (5, 1) diag, layer 1 checkpoint 0
  WeightSet weights;  // W0 (2, 5), W1 (3, 2), biases
  arma::mat big;      // compressed (70, 64)
};

Written write_files(const TempDir& dir) {
  Written w;
  w.gram = test::position_matrix(3, 3) + arma::mat(3, 3, arma::fill::eye) * 0.5;
  w.vc_diag = arma::mat(arma::vec{-0.125, 2.0, 3.5, 1e-7, 42.0});
  w.weights.weights = {test::position_matrix(2, 5), test::position_matrix(3, 2) * -1.0};
  w.weights.biases = {arma::vec{0.5, -0.5}, arma::vec{1.0, 2.0, 3.0}};
  arma::arma_rng::set_seed(5);
  w.big = arma::randn(70, 64);

  RecordingWriter rec(dir / "rec.h5");
  rec.add("gram", 0, 1, CheckpointMeta{1234, 2.5, 0.05}, w.gram, false);
  rec.add("vc", 1, 0, CheckpointMeta{7, 0.125, 0.1}, w.vc_diag, true);
  rec.add("big", 0, 0, CheckpointMeta{}, w.big, false);
  rec.set_root_attribute("dataset", "cifar10");
  rec.close();
  save_weights(dir / "weights.h5", w.weights);
  return w;
}

// Reads "name shape v0 v1 ..." lines (values in C order) into name -> (shape, values).
struct Dumped {
  std::string shape;
  std::vector<double> values;
};
std::map<std::string, Dumped> parse_dump(const std::string& text) {
  std::map<std::string, Dumped> out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string tag, name;
    fields >> tag >> name;
    if (tag != "DSET") continue;
    Dumped d;
    fields >> d.shape;
    double x = 0;
    while (fields >> x) d.values.push_back(x);
    out[name] = d;
  }
  return out;
}

// C-order (row-major) values of an Armadillo matrix, as h5py's ravel() lists them.
std::vector<double> c_order(const arma::mat& m) {
  const arma::mat t = m.t();
  return std::vector<double>(t.begin(), t.end());
}

}  // namespace

TEST_CASE("h5py reads vclab recordings and weights with the same shapes, elements and attributes") {
  if (!test::python_has("h5py, numpy")) return;
  TempDir dir;
  const Written w = write_files(dir);
  const std::string script = R"PY(
import sys, h5py
rec, wts = sys.argv[1], sys.argv[2]
def dump(f, name):
  d = f[name]
  print('DSET', name, 'x'.join(map(str, d.shape)), ' '.join(repr(float(x)) for x in d[()].ravel(order='C')))
with h5py.File(rec, 'r') as f:
  for name in ['gram/layer0/000001', 'vc/layer1/000000', 'big/layer0/000000']:
    dump(f, name)
  a = f['gram/layer0/000001'].attrs
  print('ATTR gram', int(a['step']), repr(float(a['epoch'])), repr(float(a['lr'])), a['mode'])
  a = f['vc/layer1/000000'].attrs
  print('ATTR vc', int(a['step']), repr(float(a['epoch'])), repr(float(a['lr'])), a['mode'])
  print('ROOT dataset', f.attrs['dataset'])
  print('DTYPE', f['gram/layer0/000001'].dtype.str, f['big/layer0/000000'].compression)
with h5py.File(wts, 'r') as f:
  for name in ['W0', 'W1', 'b0', 'b1']:
    dump(f, name)
  print('ROOT n_layers', int(f.attrs['n_layers']))
)PY";
  const auto res = test::run_python(dir.path(), script,
                                    "'" + (dir / "rec.h5").string() + "' '" + (dir / "weights.h5").string() + "'");
  REQUIRE_MESSAGE(res.status == 0, res.output);
  const auto dumped = parse_dump(res.output);

  auto check = [&](const std::string& name, const std::string& shape, const arma::mat& m) {
    INFO(name);
    REQUIRE(dumped.count(name) == 1);
    CHECK(dumped.at(name).shape == shape);
    CHECK(dumped.at(name).values == c_order(m));  // every element at the same [i, j]
  };
  check("gram/layer0/000001", "3x3", w.gram);
  check("vc/layer1/000000", "5", w.vc_diag);
  check("big/layer0/000000", "70x64", w.big);
  check("W0", "2x5", w.weights.weights[0]);
  check("W1", "3x2", w.weights.weights[1]);
  check("b0", "2", arma::mat(w.weights.biases[0]));
  check("b1", "3", arma::mat(w.weights.biases[1]));
  CHECK(res.output.find("ATTR gram 1234 2.5 0.05 full") != std::string::npos);
  CHECK(res.output.find("ATTR vc 7 0.125 0.1 diag") != std::string::npos);
  CHECK(res.output.find("ROOT dataset cifar10") != std::string::npos);
  CHECK(res.output.find("DTYPE <f8 gzip") != std::string::npos);
  CHECK(res.output.find("ROOT n_layers 2") != std::string::npos);
}

TEST_CASE("h5dump shows vclab datasets with shape (d1, d2) in row-major order, and their attributes") {
  if (!test::have_h5dump()) return;
  TempDir dir;
  const Written w = write_files(dir);
  // -y: no array indices; -w 0: no line wrapping; -m: full precision.
  const auto res = test::run_command("h5dump -y -w 0 -m '%.17g' -d /W0 '" + (dir / "weights.h5").string() + "' 2>&1");
  REQUIRE_MESSAGE(res.status == 0, res.output);
  CHECK(res.output.find("DATASPACE  SIMPLE { ( 2, 5 ) / ( 2, 5 ) }") != std::string::npos);
  CHECK(res.output.find("H5T_IEEE_F64LE") != std::string::npos);
  // Values between "DATA {" and the closing brace, in row-major order.
  const auto start = res.output.find("DATA {");
  REQUIRE(start != std::string::npos);
  std::string data = res.output.substr(start + 6, res.output.find('}', start) - start - 6);
  std::replace(data.begin(), data.end(), ',', ' ');
  std::istringstream values(data);
  std::vector<double> got;
  double x = 0;
  while (values >> x) got.push_back(x);
  CHECK(got == c_order(w.weights.weights[0]));

  const std::string rec = (dir / "rec.h5").string();
  auto attr = test::run_command("h5dump -y -a /gram/layer0/000001/step '" + rec + "' 2>&1");
  REQUIRE_MESSAGE(attr.status == 0, attr.output);
  CHECK(attr.output.find("H5T_STD_I64LE") != std::string::npos);
  CHECK(attr.output.find("1234") != std::string::npos);
  attr = test::run_command("h5dump -y -a /vc/layer1/000000/mode '" + rec + "' 2>&1");
  REQUIRE_MESSAGE(attr.status == 0, attr.output);
  CHECK(attr.output.find("\"diag\"") != std::string::npos);
  const auto shape = test::run_command("h5dump -H -d /vc/layer1/000000 '" + rec + "' 2>&1");
  CHECK(shape.output.find("DATASPACE  SIMPLE { ( 5 ) / ( 5 ) }") != std::string::npos);
}
