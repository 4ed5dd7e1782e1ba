// Synthetic teacher and single-index datasets, generated from one seeded std::mt19937_64 stream in a
// fixed order: teacher weights (or beta), then train inputs column by column, then test inputs.
#include "data/synthetic.hpp"

#include <cmath>
#include <numbers>
#include <random>

#include "data/data_error.hpp"

namespace vclab {
namespace {

// Standard normals from mt19937_64 by Box-Muller: unlike std::normal_distribution, whose algorithm
// is implementation-defined, this gives the same numbers on every platform and standard library.
class GaussianStream {
 public:
  explicit GaussianStream(std::uint64_t seed) : engine_(seed) {}
  double next() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = uniform_open();
    const double u2 = uniform_open();
    const double radius = std::sqrt(-2.0 * std::log(u1));
    const double angle = 2.0 * std::numbers::pi * u2;
    spare_ = radius * std::sin(angle);
    has_spare_ = true;
    return radius * std::cos(angle);
  }

 private:
  double uniform_open() {  // (0, 1]: 53 random bits, shifted away from 0 so log() is finite
    return (static_cast<double>(engine_() >> 11) + 1.0) * 0x1.0p-53;
  }
  std::mt19937_64 engine_;
  double spare_ = 0;
  bool has_spare_ = false;
};

void check_spec(const SyntheticSpec& spec, const char* name) {
  if (spec.input_dim == 0 || spec.n_train == 0)
    throw DataError(std::string(name) + ": expected input_dim >= 1 and n_train >= 1, found input_dim=" +
                    std::to_string(spec.input_dim) + " n_train=" + std::to_string(spec.n_train) + ".");
}

arma::mat gaussian_matrix(GaussianStream& rng, std::size_t rows, std::size_t cols, double std) {
  arma::mat m(rows, cols);
  for (arma::uword j = 0; j < cols; ++j)
    for (arma::uword i = 0; i < rows; ++i) m(i, j) = std * rng.next();
  return m;
}

// x ~ N(0, I_d / d), one sample per column, stored as float (targets use the stored values).
arma::fmat gaussian_inputs(GaussianStream& rng, std::size_t d, std::size_t n) {
  return arma::conv_to<arma::fmat>::from(gaussian_matrix(rng, d, n, 1.0 / std::sqrt(double(d))));
}

Dataset empty_like(const std::string& name, std::size_t n_classes) {
  Dataset ds;
  ds.name = name;
  ds.n_classes = n_classes;
  return ds;
}

}  // namespace

std::vector<std::string> single_index_targets() { return {"tanh", "relu", "he2"}; }

double single_index_link(const std::string& target, double z) {
  if (target == "tanh") return std::tanh(z);
  if (target == "relu") return z > 0 ? z : 0.0;
  if (target == "he2") return z * z - 1.0;
  throw DataError("unknown single-index target '" + target + "'; valid: tanh, relu, he2");
}

DatasetSplit make_teacher_dataset(const SyntheticSpec& spec, std::uint64_t seed, SyntheticTruth* truth) {
  check_spec(spec, "synthetic-teacher");
  if (spec.n_classes < 2 || spec.teacher_width == 0)
    throw DataError("synthetic-teacher: expected n_classes >= 2 and teacher_width >= 1, found n_classes=" +
                    std::to_string(spec.n_classes) + " teacher_width=" + std::to_string(spec.teacher_width) + ".");
  GaussianStream rng(seed);
  const std::size_t d = spec.input_dim, k = spec.teacher_width, c = spec.n_classes;
  const arma::mat w1 = gaussian_matrix(rng, k, d, 1.0);                       // (k, d)
  const arma::mat w2 = gaussian_matrix(rng, c, k, 1.0 / std::sqrt(double(k)));  // (C, k)

  DatasetSplit split{empty_like("synthetic-teacher", c), empty_like("synthetic-teacher", c)};
  for (Dataset* ds : {&split.train, &split.test}) {
    const std::size_t n = ds == &split.train ? spec.n_train : spec.n_test;
    ds->x = gaussian_inputs(rng, d, n);                                    // (d, N)
    const arma::mat logits = w2 * arma::tanh(w1 * arma::conv_to<arma::mat>::from(ds->x));  // (C, N)
    ds->y.set_size(n);
    for (arma::uword i = 0; i < n; ++i) ds->y[i] = logits.col(i).index_max();
    for (std::size_t label = 0; label < c; ++label) ds->class_names.push_back("class" + std::to_string(label));
    ds->source_files = {"generated: synthetic-teacher seed=" + std::to_string(seed) + " d=" + std::to_string(d) +
                        " k=" + std::to_string(k) + " C=" + std::to_string(c)};
  }
  if (truth) {
    truth->teacher_w1 = w1;
    truth->teacher_w2 = w2;
    truth->beta.reset();
  }
  return split;
}

DatasetSplit make_single_index_dataset(const SyntheticSpec& spec, std::uint64_t seed, SyntheticTruth* truth) {
  check_spec(spec, "synthetic-single-index");
  single_index_link(spec.target, 0.0);  // validates the name before any work
  GaussianStream rng(seed);
  const std::size_t d = spec.input_dim;
  arma::vec beta = gaussian_matrix(rng, d, 1, 1.0);
  beta /= arma::norm(beta);  // (d) unit direction

  DatasetSplit split{empty_like("synthetic-single-index", 2), empty_like("synthetic-single-index", 2)};
  for (Dataset* ds : {&split.train, &split.test}) {
    const std::size_t n = ds == &split.train ? spec.n_train : spec.n_test;
    ds->x = gaussian_inputs(rng, d, n);  // (d, N)
    const arma::rowvec z = std::sqrt(double(d)) * (beta.t() * arma::conv_to<arma::mat>::from(ds->x));  // (1, N)
    ds->targets.set_size(1, n);
    ds->y.set_size(n);
    for (arma::uword i = 0; i < n; ++i) {
      const double g = single_index_link(spec.target, z[i]);
      ds->targets(0, i) = static_cast<float>(g);
      ds->y[i] = g > 0 ? 1 : 0;
    }
    ds->class_names = {"g<=0", "g>0"};
    ds->source_files = {"generated: synthetic-single-index seed=" + std::to_string(seed) +
                        " d=" + std::to_string(d) + " g=" + spec.target};
  }
  if (truth) {
    truth->teacher_w1.reset();
    truth->teacher_w2.reset();
    truth->beta = beta;
  }
  return split;
}

}  // namespace vclab
