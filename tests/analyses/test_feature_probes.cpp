// Feature probes during training (Target Linearity, surrogate, neural collapse), the sequential-
// linearization summary, and the run-level spectra (MP outliers, principal angles) read from recordings.
#include <doctest/doctest.h>

#include <cmath>

#include "analyses/feature_probe.hpp"
#include "analyses/neural_collapse.hpp"
#include "analyses/run_probes.hpp"
#include "analyses/run_spectra.hpp"
#include "analyses/target_linearity.hpp"
#include "test_util.hpp"

using namespace vclab;

namespace {

arma::mat one_hot_rows(std::size_t n, std::size_t classes) {
  arma::mat y(n, classes, arma::fill::zeros);
  for (std::size_t i = 0; i < n; ++i) y(i, i % classes) = 1.0;
  return y;
}

}  // namespace

TEST_CASE("pca_scores keeps the top principal components; with k >= p it only centres") {
  arma::arma_rng::set_seed(5);
  const arma::mat h = arma::randn(200, 6) * arma::diagmat(arma::vec{5, 4, 3, 0.3, 0.2, 0.1}) + 2.0;
  const arma::mat all = pca_scores(h, 6);
  vclab::test::require_close(all, arma::mat(h.each_row() - arma::mean(h, 0)), 1e-14, "k = p");
  const arma::mat top = pca_scores(h, 3);
  REQUIRE(top.n_cols == 3);
  // Scores are uncorrelated and carry the top-3 eigenvalues of the scatter matrix, in order.
  const arma::mat c = top.t() * top;
  arma::vec eig = arma::sort(arma::eig_sym(arma::mat((h.each_row() - arma::mean(h, 0)).t() * (h.each_row() - arma::mean(h, 0)))), "descend");
  for (std::size_t i = 0; i < 3; ++i) CHECK(c(i, i) == doctest::Approx(eig(i)).epsilon(1e-10));
  CHECK(std::abs(c(0, 1)) < 1e-8 * c(0, 0));
  CHECK(std::abs(c(1, 2)) < 1e-8 * c(0, 0));
}

TEST_CASE("linearity_values: T = 1 and S_rel = 1 for features in the span of two balanced classes; S matches tr(YᵀZZᵀY)") {
  const arma::mat y = one_hot_rows(40, 2);  // centred: rank 1, so every Z from it lies in Y's top direction
  arma::arma_rng::set_seed(6);
  const arma::mat h = y * arma::randn(2, 5) + 1.0;
  const arma::mat w = arma::randn(3, 5);
  const LinearityValues v = linearity_values(h, w, y, ProbeOptions{});
  CHECK(v.t == doctest::Approx(1.0).epsilon(1e-10));
  CHECK(v.s_rel == doctest::Approx(1.0).epsilon(1e-10));
  CHECK(v.p_used == 5);
  const arma::mat hc = h.each_row() - arma::mean(h, 0), yc = y.each_row() - arma::mean(y, 0);
  const arma::mat z = hc * w.t();
  CHECK(v.s == doctest::Approx(arma::trace(yc.t() * z * z.t() * yc)).epsilon(1e-12));
  // Independent noise features: S_rel well below 1, T small (≈ p/N = 5/40 in expectation).
  const LinearityValues noise = linearity_values(arma::randn(40, 5), w, y, ProbeOptions{});
  CHECK(noise.s_rel < 0.5);
  CHECK(noise.t < 0.5);
  // The logits (no weights) have no surrogate.
  CHECK(std::isnan(linearity_values(h, arma::mat(), y, ProbeOptions{}).s));
  // PCA to 2 components is stated in p_used.
  ProbeOptions pca;
  pca.pca = 2;
  CHECK(linearity_values(h, w, y, pca).p_used == 2);
}

TEST_CASE("first_crossing interpolates linearly and is NaN when the level is never reached") {
  const arma::vec x{0, 1, 2, 3}, y{0, 0.2, 0.6, 1.0};
  CHECK(first_crossing(x, y, 0.4) == doctest::Approx(1.5));
  CHECK(first_crossing(x, y, 0.0) == 0.0);
  CHECK(std::isnan(first_crossing(x, y, 1.5)));
}

TEST_CASE("linearization_sequence: planted layers that linearise one after another, and in reverse") {
  ProbeSeries t;
  t.layers = {1, 2, 3};
  t.epochs = arma::regspace(0, 20) * 0.5;  // 0 .. 10 epochs
  t.values.set_size(t.epochs.n_elem, 3);
  const double midpoints[3] = {2.0, 4.0, 6.0};
  const double finals[3] = {0.5, 0.7, 0.9};
  for (std::size_t j = 0; j < 3; ++j)
    for (std::size_t i = 0; i < t.epochs.n_elem; ++i)
      t.values(i, j) = 0.1 + (finals[j] - 0.1) / (1 + std::exp(-4 * (t.epochs(i) - midpoints[j])));
  SequenceSummary s = linearization_sequence(t);
  CHECK(s.final_increasing);
  CHECK(s.half_times_ordered);
  CHECK(s.times90_ordered);
  CHECK(s.kendall_tau_half == doctest::Approx(1.0));
  for (std::size_t j = 0; j < 3; ++j) CHECK(s.layers[j].epoch_half == doctest::Approx(midpoints[j]).epsilon(0.03));
  // Reverse the depth order of the timing: deeper layers first.
  t.values = arma::fliplr(t.values);
  s = linearization_sequence(t);
  CHECK_FALSE(s.final_increasing);
  CHECK_FALSE(s.half_times_ordered);
  CHECK(s.kendall_tau_half == doctest::Approx(-1.0));
  // A layer that does not change has no timing.
  t.values.col(1).fill(0.3);
  s = linearization_sequence(t);
  CHECK(std::isnan(s.layers[1].epoch_half));
  CHECK_FALSE(s.half_times_ordered);
}

TEST_CASE("run_spectra: MP outliers of planted spikes and principal angles of planted subspaces") {
  vclab::test::TempDir dir;
  const std::size_t m = 120, n = 200, k = 4;
  arma::arma_rng::set_seed(9);
  const arma::mat w0 = arma::randn(m, n) * 0.1;
  arma::mat u = arma::normalise(arma::randn(m, 1)), v = arma::normalise(arma::randn(n, 1));
  const arma::mat w1 = w0 + 10.0 * u * v.t();  // one spike far above the bulk edge 0.01 (√120 + √200)² ≈ 5.2
  arma::mat q;
  arma::mat r;
  arma::qr_econ(q, r, arma::randn(n, 2 * k));
  const arma::mat top = q.head_cols(k), other = q.tail_cols(k);
  const arma::mat g = top * arma::diagmat(arma::vec{9, 8, 7, 6}) * top.t() + 0.01 * arma::eye(n, n);
  const arma::mat vc = top * arma::diagmat(arma::vec{4, 3, 2, 1}) * top.t() - 0.5 * other.col(0) * other.col(0).t();
  const arma::mat agop = other * arma::diagmat(arma::vec{5, 5, 5, 5}) * other.t();
  {
    RecordingWriter writer(dir / "rec.h5");
    writer.set_root_attribute("layer_widths", std::to_string(n) + "," + std::to_string(m) + ",3");
    arma::vec s0, s1;
    arma::svd(s0, w0);
    arma::svd(s1, w1);
    writer.add("sv", 0, 0, {0, 0, 0.1}, s0, true);
    writer.add("sv", 0, 1, {10, 1, 0.1}, s1, true);
    for (const auto& [name, value] : std::vector<std::pair<std::string, arma::mat>>{{"gram", g}, {"vc", vc}, {"agop", agop}})
      writer.add(name, 0, 1, {10, 1, 0.1}, value, false);
    writer.close();
  }
  SpectraOptions options;
  options.k = k;
  const RunSpectra s = run_spectra(RecordingsReader::load(dir / "rec.h5"), options);
  REQUIRE(s.outliers.size() == 2);
  CHECK(s.outliers[0].outliers_mp == 0);  // a Gaussian matrix has no outlier (its top is within a few % of the edge)
  CHECK(s.outliers[0].top == doctest::Approx(s.outliers[0].mp_edge).epsilon(0.1));
  CHECK(s.outliers[1].outliers_mp == 1);
  CHECK(s.outliers[1].outliers_init == 1);
  REQUIRE(s.angles.size() == 3);  // gram–vc, gram–agop, vc–agop
  for (const AngleRow& a : s.angles) {
    const bool same = (a.a == "gram" && a.b == "vc");
    CHECK(a.mean_cos2 == doctest::Approx(same ? 1.0 : 0.0).epsilon(1e-10).scale(1));
    CHECK(a.d == n);
  }
  // V is indefinite: one negative eigenvalue counted; its leading values are the planted ones.
  bool found = false;
  for (const auto& row : s.spectra)
    if (row.quantity == "vc") {
      found = true;
      CHECK(row.n_negative == 1);
      CHECK(row.leading[0] == doctest::Approx(4.0));
    }
  CHECK(found);
}
