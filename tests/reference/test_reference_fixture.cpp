// `vclab train --record gram,dgram,vc,agop,egop` + `vclab analyze` against an independent NumPy reference
// (tests/reference/make_fixture.py wrote tests/reference/fixture/<case>/): G, ΔG, V, AGOP, EGOP at every
// checkpoint, the losses, and the correlations incl. the four ρ of Figure 1. Definitions: docs/recorded_quantities.md.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <sstream>

#include "analyses/run_correlations.hpp"
#include "app/run_analysis.hpp"
#include "app/train_run.hpp"
#include "io/json_io.hpp"
#include "io/npy.hpp"
#include "io/recordings.hpp"
#include "test_util.hpp"

using namespace vclab;

namespace {

// Both sides evaluate the same float64 definitions in a different order (BLAS blocking and numpy's pairwise
// sums, vclab's shuffled batch, the cheap AGOP form W_lᵀK_lW_l against per-sample Jacobians, V's expansion
// against its definition), so they differ by rounding error only: ~1e-16 per operation, amplified by three
// SGD steps and, for ΔG = G − G(0), by the cancellation |G| / |ΔG| (about 150 after the first step). Seen with
// OpenBLAS 0.3.21: ΔG 3.3e-14, V 1.0e-15, AGOP 8e-16, EGOP 7e-16, G 2.4e-16. 1e-12 leaves a factor 30 over the
// worst and still catches any change of definition (a missing 1/B, γ² term or bias moves them by 1e-3 or more).
constexpr double kRecordingTol = 1e-12;  // relative to the quantity's largest |element| (its own scale)
constexpr double kLossTol = 1e-12;       // relative to the loss (O(1)); seen: 4e-16
// Pearson and cosine are well conditioned in their inputs here, and Spearman is exact once the ranks agree
// (make_fixture.py refuses data with near-ties), so ρ carries the recordings' rounding error only. Seen: 3e-15.
constexpr double kCorrelationTol = 1e-12;  // absolute, on ρ ∈ [−1, 1]
// What the perturbation tests add to one expected value: far above the tolerances, far below any real change.
constexpr double kPerturbation = 1e-9;

const std::vector<std::string> kQuantities{"gram", "dgram", "vc", "agop", "egop"};
// Figure 1's four ρ: (reference, quantity) at layer 0, diagonals, Pearson.
const std::vector<std::pair<std::string, std::string>> kFigure1Pairs{{"gram", "vc"}, {"gram", "agop"}, {"dgram", "vc"}, {"dgram", "agop"}};

struct ExpectedCorrelation {
  std::size_t layer = 0;
  std::string reference, quantity, part;
  Correlations value{};
};

// What make_fixture.py computed. recordings[q][l]: (K, d_l²), row k = the matrix at checkpoint k, row-major.
struct Expected {
  nlohmann::json settings;
  std::map<std::string, std::vector<arma::mat>> recordings;
  std::vector<double> train_loss, test_loss;  // per metrics row (row 0: the initial model)
  std::vector<ExpectedCorrelation> correlations;  // at the last checkpoint
  std::map<std::string, double> figure1_rho;      // layer 0, diagonals, Pearson: "vc_vs_gram", ...
};

// What vclab wrote for one run.
struct Actual {
  RecordingsReader recordings;
  std::vector<EpochMetrics> epochs;
  std::vector<CorrelationRow> correlations;
};

std::filesystem::path fixture_dir(const std::string& name) {
  return std::filesystem::path(VCLAB_SOURCE_DIR) / "tests" / "reference" / "fixture" / name;
}

Expected load_expected(const std::string& name) {
  const auto dir = fixture_dir(name);
  const nlohmann::json j = read_json(dir / "expected.json");
  Expected e;
  e.settings = j.at("settings");
  const std::size_t n_layers = e.settings.at("hidden").size() + 1;
  for (const auto& q : kQuantities)
    for (std::size_t l = 0; l < n_layers; ++l)
      e.recordings[q].push_back(read_npy(dir / ("expected_" + q + "_l" + std::to_string(l) + ".npy")));
  e.train_loss = j.at("train_loss").get<std::vector<double>>();
  e.test_loss = j.at("test_loss").get<std::vector<double>>();
  for (const auto& c : j.at("correlations_last_checkpoint"))
    e.correlations.push_back({c.at("layer").get<std::size_t>(), c.at("reference").get<std::string>(),
                              c.at("quantity").get<std::string>(), c.at("part").get<std::string>(),
                              {c.at("pearson").get<double>(), c.at("spearman").get<double>(), c.at("cosine").get<double>()}});
  e.figure1_rho = j.at("figure1_rho").get<std::map<std::string, double>>();
  return e;
}

// Train and test sets from the fixture's x_*.npy (N, d) float32 and y_*.npy (N) int64.
DatasetSplit load_data(const std::string& name, std::size_t n_classes) {
  const auto dir = fixture_dir(name);
  auto load = [&](const std::string& split) {
    Dataset d;
    d.name = "reference-" + name;
    d.x = arma::conv_to<arma::fmat>::from(read_npy(dir / ("x_" + split + ".npy")).t());  // exact: the values are floats
    d.y = arma::conv_to<arma::uvec>::from(read_npy(dir / ("y_" + split + ".npy")));
    d.n_classes = n_classes;
    return d;
  };
  DatasetSplit split;
  split.train = load("train");
  split.test = load("test");
  return split;
}

// `vclab train --init-from <fixture> --precision double --batch N --record gram,dgram,vc,agop,egop` on the
// fixture's data, then `vclab analyze`: the path users run, minus reading a named dataset from disk.
Actual train_and_analyze(const std::string& name, const Expected& e, const std::string& record_mode,
                         const std::filesystem::path& out) {
  const auto& s = e.settings;
  TrainSettings settings;  // settings.dataset keeps its default: run_training(settings, data) trains on `data`
  settings.hidden = s.at("hidden").get<std::vector<std::size_t>>();
  settings.activation = parse_enum<Activation>(s.at("activation").get<std::string>(), "activation");
  settings.loss = parse_enum<Loss>(s.at("loss").get<std::string>(), "loss");
  settings.bias = s.at("bias").get<bool>();
  settings.init_from = fixture_dir(name).string();
  settings.precision = Precision::f64;
  settings.lr = s.at("lr").get<double>();
  settings.batch = s.at("batch").get<std::size_t>();  // the whole training set: the shuffle only reorders a sum
  settings.epochs = s.at("epochs").get<std::size_t>();
  settings.record = "gram,dgram,vc,agop,egop";
  settings.record_mode = parse_enum<RecordMode>(record_mode, "record mode");
  settings.record_every = RecordSchedule::parse(s.at("record_every").get<std::string>());
  settings.agop_samples = s.at("agop_samples").get<std::size_t>();
  settings.threads = 1;
  settings.checkpoint_every = 0;
  settings.quiet = true;
  settings.out = out.string();
  const TrainOutcome outcome = run_training(settings, load_data(name, s.at("classes").get<std::size_t>()));
  REQUIRE_FALSE(outcome.result.diverged);
  return {RecordingsReader::load(out / "recordings.h5"), outcome.result.epochs, analyze_run(out).correlations};
}

enum class Scale { relative, absolute };

// Names the worst element of |actual − expected| (divided by max|expected| for Scale::relative) when it exceeds
// tol; nullopt otherwise.
std::optional<std::string> mismatch(const arma::mat& actual, const arma::mat& expected, double tol, const std::string& what,
                                    Scale scale_kind = Scale::relative) {
  std::ostringstream msg;
  msg.precision(17);
  if (arma::size(actual) != arma::size(expected)) {
    msg << what << ": shape " << actual.n_rows << "x" << actual.n_cols << ", expected " << expected.n_rows << "x" << expected.n_cols;
    return msg.str();
  }
  if (actual.is_empty()) return std::nullopt;
  if (!actual.is_finite()) {
    msg << what << ": holds NaN or Inf";
    return msg.str();
  }
  const double peak = arma::abs(expected).max();
  // An all-zero quantity (V, ΔG at checkpoint 0) is compared absolutely.
  const double scale = scale_kind == Scale::relative && peak > 0 ? peak : 1.0;
  const arma::mat error = arma::abs(actual - expected) / scale;
  const arma::uword worst = error.index_max();
  if (error(worst) <= tol) return std::nullopt;
  msg << what << ": worst element (" << worst % actual.n_rows << ", " << worst / actual.n_rows << ") " << actual(worst)
      << " vs expected " << expected(worst) << ", error " << error(worst) << " (divided by " << scale << ") > tol " << tol;
  return msg.str();
}

std::optional<std::string> mismatch(double actual, double expected, double tol, const std::string& what, Scale scale) {
  return mismatch(arma::mat{actual}, arma::mat{expected}, tol, what, scale);
}

// Every comparison of one run with the fixture; each returned line is one quantity that disagrees.
std::vector<std::string> compare(const Actual& a, const Expected& e, bool full_mode) {
  std::vector<std::string> failures;
  auto check = [&](std::optional<std::string> m) {
    if (m) failures.push_back(*m);
  };
  const std::string mode = full_mode ? " (full)" : " (diag)";
  for (const auto& q : kQuantities) {
    for (std::size_t l = 0; l < e.recordings.at(q).size(); ++l) {
      const arma::mat& rows = e.recordings.at(q)[l];
      const auto d = arma::uword(std::lround(std::sqrt(double(rows.n_cols))));
      const std::string layer = q + " layer " + std::to_string(l);
      if (a.recordings.checkpoints(q, l).size() != rows.n_rows)
        failures.push_back(layer + ": " + std::to_string(a.recordings.checkpoints(q, l).size()) + " checkpoints, expected " +
                           std::to_string(rows.n_rows));
      for (arma::uword k = 0; k < rows.n_rows; ++k) {
        const std::string what = layer + " checkpoint " + std::to_string(k) + mode;
        const auto recorded = a.recordings.at(q, l, k);
        if (!recorded) {
          failures.push_back(what + ": not recorded");
          continue;
        }
        const arma::mat matrix = arma::reshape(rows.row(k), d, d).t();  // row-major rows → (d, d)
        check(mismatch(recorded->data, full_mode ? matrix : arma::mat(matrix.diag()), kRecordingTol, what));
      }
    }
  }
  if (a.epochs.size() != e.train_loss.size())
    failures.push_back("metrics: " + std::to_string(a.epochs.size()) + " rows, expected " + std::to_string(e.train_loss.size()));
  for (std::size_t r = 0; r < std::min(a.epochs.size(), e.train_loss.size()); ++r) {
    check(mismatch(a.epochs[r].train_loss, e.train_loss[r], kLossTol, "train_loss row " + std::to_string(r), Scale::relative));
    check(mismatch(a.epochs[r].test_loss, e.test_loss[r], kLossTol, "test_loss row " + std::to_string(r), Scale::relative));
  }
  std::size_t last = 0;
  for (const auto& r : a.correlations) last = std::max(last, r.checkpoint);
  for (const auto& c : e.correlations) {
    // Diag mode records no off-diagonal entries, so neither upper triangles nor the PSD square root exist there.
    if (!full_mode && (c.part != "diagonal" || c.quantity.ends_with("^0.5"))) continue;
    const std::string what = "correlation layer " + std::to_string(c.layer) + " " + c.reference + " vs " + c.quantity + " " + c.part;
    const auto row = std::find_if(a.correlations.begin(), a.correlations.end(), [&](const CorrelationRow& r) {
      return r.checkpoint == last && r.layer == c.layer && r.reference == c.reference && r.quantity == c.quantity && r.part == c.part;
    });
    if (row == a.correlations.end()) {
      failures.push_back(what + ": not among vclab analyze's rows");
      continue;
    }
    check(mismatch(row->value.pearson, c.value.pearson, kCorrelationTol, what + " pearson" + mode, Scale::absolute));
    check(mismatch(row->value.spearman, c.value.spearman, kCorrelationTol, what + " spearman" + mode, Scale::absolute));
    check(mismatch(row->value.cosine, c.value.cosine, kCorrelationTol, what + " cosine" + mode, Scale::absolute));
  }
  // The four numbers `vclab reproduce figure1` reports, through the function it uses.
  for (const auto& [reference, quantity] : kFigure1Pairs) {
    const std::string key = quantity + "_vs_" + reference;
    check(mismatch(last_diagonal_correlation(a.correlations, 0, reference, quantity).pearson, e.figure1_rho.at(key),
                   kCorrelationTol, "figure 1 rho " + key + mode, Scale::absolute));
  }
  return failures;
}

const std::vector<std::string> kCases{"gelu_ce", "tanh_mse_bias"};

}  // namespace

TEST_CASE("vclab train --record and vclab analyze reproduce the NumPy reference fixture") {
  for (const auto& name : kCases) {
    const Expected expected = load_expected(name);
    for (const std::string record_mode : {"diag", "full"}) {
      CAPTURE(name);
      CAPTURE(record_mode);
      test::TempDir tmp;
      const Actual actual = train_and_analyze(name, expected, record_mode, tmp / "run");
      const auto failures = compare(actual, expected, record_mode == "full");
      for (const auto& f : failures) FAIL_CHECK(f);
      CHECK(failures.empty());
    }
  }
}

TEST_CASE("the fixture comparison reports a perturbation of any single expected quantity") {
  // One run, then each expected quantity perturbed in a copy by kPerturbation (relative for the matrices,
  // absolute for losses and ρ): compare() must name exactly that quantity, so no check is dead and none masks another.
  const std::string name = "tanh_mse_bias";
  const Expected expected = load_expected(name);
  test::TempDir tmp;
  const Actual actual = train_and_analyze(name, expected, "full", tmp / "run");
  REQUIRE(compare(actual, expected, true).empty());

  auto expect_one_failure = [&](const Expected& perturbed, const std::string& needle) {
    const auto failures = compare(actual, perturbed, true);
    CAPTURE(needle);
    REQUIRE(failures.size() == 1);
    CHECK_MESSAGE(failures[0].find(needle) != std::string::npos, failures[0]);
  };
  for (const auto& q : kQuantities) {
    for (std::size_t l = 0; l < expected.recordings.at(q).size(); ++l) {
      Expected perturbed = expected;
      arma::mat& rows = perturbed.recordings.at(q)[l];
      const arma::uword k = rows.n_rows - 1, d = arma::uword(std::lround(std::sqrt(double(rows.n_cols))));
      const arma::mat last_matrix = arma::reshape(rows.row(k), d, d);  // symmetric: the layout does not matter here
      const arma::uword i = arma::index_max(arma::abs(last_matrix.diag()));
      rows(k, i * d + i) *= 1 + kPerturbation;  // the largest diagonal element of the last checkpoint
      expect_one_failure(perturbed, q + " layer " + std::to_string(l) + " checkpoint " + std::to_string(k));
    }
  }
  for (std::size_t r = 0; r < expected.train_loss.size(); ++r) {
    Expected perturbed = expected;
    perturbed.train_loss[r] += kPerturbation;
    expect_one_failure(perturbed, "train_loss row " + std::to_string(r));
    perturbed = expected;
    perturbed.test_loss[r] += kPerturbation;
    expect_one_failure(perturbed, "test_loss row " + std::to_string(r));
  }
  for (const auto& [key, value] : expected.figure1_rho) {
    Expected perturbed = expected;
    perturbed.figure1_rho[key] += kPerturbation;
    expect_one_failure(perturbed, "figure 1 rho " + key);
  }
  // Every correlation row of layer 1, and the PSD square-root rows (layer 0 only: the others are rank-deficient);
  // the other layer-0 rows hold the figure-1 numbers, which a second check compares as well.
  for (std::size_t c = 0; c < expected.correlations.size(); ++c) {
    if (expected.correlations[c].layer != 1 && !expected.correlations[c].quantity.ends_with("^0.5")) continue;
    for (const std::string measure : {"pearson", "spearman", "cosine"}) {
      Expected perturbed = expected;
      Correlations& v = perturbed.correlations[c].value;
      (measure == "pearson" ? v.pearson : measure == "spearman" ? v.spearman : v.cosine) += kPerturbation;
      const auto& e = expected.correlations[c];
      expect_one_failure(perturbed, e.reference + " vs " + e.quantity + " " + e.part + " " + measure);
    }
  }
}
