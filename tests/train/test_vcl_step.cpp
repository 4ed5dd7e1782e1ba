// Tests of the VCL layer step (Cha & Lee 2025, Appendix B Algorithm 1, Proposition 4): Procrustes
// against brute force, Gram identities against planted spectra, clipping, the warm-started
// top-eigenpair tracker against the full EVD (also with a dominant negative eigenvalue), NaN input.
#include <cmath>
#include <functional>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <string>

#include <armadillo>
#include <doctest/doctest.h>

#include "test_util.hpp"
#include "io/hdf5_file.hpp"
#include "io/io_error.hpp"
#include "train/top_eigen.hpp"
#include "train/vcl_step.hpp"

namespace {

using vclab::test::require_close;

// Identities that hold to rounding in double on d <= 8: a few hundred ε.
constexpr double kRoundingTol = 1e-12;
// Procrustes minimum versus a random orthogonal U: ties only up to rounding.
constexpr double kOptimalityTol = 1e-12;
// Tracker tolerance in double; a residual ρ = tol·‖M‖ moves each eigenvector by ≤ ρ/gap and the
// projector by ≤ √(2k)·ρ/gap (gap ≥ 0.7, ‖M‖ ≤ 10 below: ≤ 1e-10), plus rounding ~1e-14.
constexpr double kTrackerTestTol = 1e-12;
constexpr double kTrackerSubspaceTol = 1e-9;

// Random orthogonal (n, n) matrix from the QR of a Gaussian matrix (fixed seed set by the caller).
arma::mat random_orthogonal(arma::uword n) {
  arma::mat q, r;
  arma::qr(q, r, arma::randn<arma::mat>(n, n));
  q.each_row() %= arma::sign(r.diag()).t();  // Haar-distributed
  return q;
}

// Symmetric matrix Q diag(λ) Qᵀ with a planted spectrum.
arma::mat planted(const arma::mat& q, const arma::vec& lambda) {
  return q * arma::diagmat(lambda) * q.t();
}

// ‖P_a − P_b‖_F for the orthogonal projectors onto span(a), span(b) (columns orthonormal).
double projector_difference(const arma::mat& a, const arma::mat& b) {
  return arma::norm(a * a.t() - b * b.t(), "fro");
}

std::string thrown_message(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("procrustes_align matches the brute-force minimum over all 2x2 rotations and reflections") {
  arma::arma_rng::set_seed(11);
  const arma::mat w = arma::randn<arma::mat>(2, 5);        // (k, d)
  const arma::mat w_tilde = arma::randn<arma::mat>(2, 5);  // (k, d)
  const arma::mat aligned = vclab::procrustes_align(w, w_tilde);
  const double found = arma::norm(aligned - w, "fro");

  constexpr int kGrid = 200000;
  const double step = 2.0 * std::numbers::pi / kGrid;
  double brute = std::numeric_limits<double>::infinity();
  for (int i = 0; i < kGrid; ++i) {
    const double c = std::cos(i * step), s = std::sin(i * step);
    const arma::mat rotation = {{c, -s}, {s, c}};
    const arma::mat reflection = {{c, s}, {s, -c}};
    brute = std::min({brute, arma::norm(rotation * w_tilde - w, "fro"), arma::norm(reflection * w_tilde - w, "fro")});
  }
  // f(θ) = ‖Ũ W̃ − W‖²_F has |f''| ≤ 2‖W̃‖_F‖W‖_F, so the grid minimum overshoots by at most
  // ‖W̃‖‖W‖(step/2)² in f; convert to ‖·‖ through f = ‖·‖².
  const double grid_tol = arma::norm(w_tilde, "fro") * arma::norm(w, "fro") * step * step / 4.0 / found;
  CHECK(found <= brute + kOptimalityTol);
  CHECK(brute - found <= grid_tol + kOptimalityTol);
  require_close(aligned.t() * aligned, w_tilde.t() * w_tilde, kRoundingTol, "Procrustes keeps the Gram");
}

TEST_CASE("procrustes_align beats random orthogonal U and meets the optimality condition (k = 4)") {
  arma::arma_rng::set_seed(12);
  const arma::mat w = arma::randn<arma::mat>(4, 7);        // (k, d)
  const arma::mat w_tilde = arma::randn<arma::mat>(4, 7);  // (k, d)
  const arma::mat aligned = vclab::procrustes_align(w, w_tilde);
  const double found = arma::norm(aligned - w, "fro");
  for (int trial = 0; trial < 5000; ++trial) {
    arma::mat u = random_orthogonal(4);
    if (trial % 2) u.col(0) *= -1.0;  // reflections too
    CHECK(found <= arma::norm(u * w_tilde - w, "fro") + kOptimalityTol);
  }
  // U W̃ Wᵀ = P Σ Pᵀ at the optimum: symmetric positive semidefinite.
  const arma::mat s = aligned * w.t();  // (k, k)
  require_close(s, s.t(), kRoundingTol, "U W~ W^T symmetric");
  const arma::vec eig = arma::eig_sym(arma::symmatu(s));
  CHECK(eig.min() >= -kRoundingTol * arma::abs(eig).max());
  require_close(aligned.t() * aligned, w_tilde.t() * w_tilde, kRoundingTol, "Procrustes keeps the Gram");
}

TEST_CASE("alpha = 1/2 with full EVD: the new Gram is the rank-k truncation of M") {
  arma::arma_rng::set_seed(13);
  const arma::mat q = random_orthogonal(6);
  const arma::vec lambda = {4.0, 3.0, 2.5, 1.0, 0.5, 0.25};  // planted, PSD, distinct
  const arma::mat m = planted(q, lambda);                   // (d, d)
  const arma::mat w = arma::randn<arma::mat>(3, 6);         // (k, d)
  vclab::VclStepOptions options;
  options.alpha = 0.5;
  options.clip_negative = false;
  const auto result = vclab::vcl_layer_update<double>(w, m, options, nullptr);
  const arma::mat truncation = planted(q.head_cols(3), lambda.head(3));  // Σ_{i<k} λ_i q_i q_iᵀ
  require_close(result.weights.t() * result.weights, truncation, kRoundingTol, "W+^T W+ vs rank-3 truncation");
  CHECK(result.n_clipped == 0);
  CHECK(result.min_kept_eigenvalue == doctest::Approx(2.5).epsilon(kRoundingTol));
  CHECK(result.solver.used_full);

  // Independent route: Eckart–Young through the SVD of the PSD matrix.
  arma::mat u, v;
  arma::vec sigma;
  arma::svd(u, sigma, v, m);
  const arma::mat svd_truncation = u.head_cols(3) * arma::diagmat(sigma.head(3)) * u.head_cols(3).t();
  require_close(result.weights.t() * result.weights, svd_truncation, kRoundingTol, "W+^T W+ vs SVD truncation");
}

TEST_CASE("negative kept eigenvalues are clipped and counted; largest means algebraically largest") {
  arma::arma_rng::set_seed(14);
  const arma::mat q = random_orthogonal(8);
  const arma::vec lambda = {3.0, 2.0, 1.0, -0.5, -1.0, -2.0, -3.0, -9.0};
  const arma::mat m = planted(q, lambda);
  const vclab::TopEigen<double> top = vclab::top_eigenpairs_full(m, 5);
  require_close(top.values, arma::vec(lambda.head(5)), kRoundingTol, "top-5 algebraically largest");

  std::size_t n_clipped = 99;
  const arma::mat w_tilde = vclab::vcl_target_weights(top, 0.5, &n_clipped);  // (5, 8)
  CHECK(n_clipped == 2);
  CHECK(arma::norm(w_tilde.rows(3, 4), "fro") == 0.0);
  const arma::vec clipped = {3.0, 2.0, 1.0, 0.0, 0.0};
  require_close(w_tilde.t() * w_tilde, planted(q.head_cols(5), clipped), kRoundingTol, "clipped Gram");

  const arma::mat w = arma::randn<arma::mat>(5, 8);
  vclab::VclStepOptions options;
  options.alpha = 0.5;
  const auto result = vclab::vcl_layer_update<double>(w, m, options, nullptr);
  CHECK(result.n_clipped == 2);
  CHECK(result.min_kept_eigenvalue == doctest::Approx(-1.0).epsilon(kRoundingTol));
  require_close(result.weights.t() * result.weights, planted(q.head_cols(5), clipped), kRoundingTol,
                "layer update Gram with clipping");

  options.clip_negative = false;
  CHECK_THROWS_AS(vclab::vcl_layer_update<double>(w, m, options, nullptr), std::runtime_error);
}

TEST_CASE("tracker follows a slowly rotating matrix with a planted gap (double and float)") {
  arma::arma_rng::set_seed(15);
  const arma::mat q0 = random_orthogonal(8);
  const arma::mat skew = [] {
    const arma::mat a = arma::randn<arma::mat>(8, 8);
    return arma::mat(a - a.t());
  }();
  const arma::vec lambda = {5.0, 4.0, 1.0, 0.5, 0.0, -0.5, -1.0, -1.5};  // gap 3 after k = 2
  vclab::TrackerOptions options;
  options.oversample = 1;  // basis of 3 + 1 low guard = 4 of 8: the iteration has work to do
  options.low_guard = 1;
  options.tol = kTrackerTestTol;
  options.max_iters = 40;  // each iteration gains ~10x here; 1e-12 from a 0.1-rad drift takes ~11
  options.fallback_full = false;
  vclab::TopEigenTracker<double> tracker(2, options);
  vclab::TrackerOptions float_options;  // default tol for float
  float_options.oversample = 1;
  float_options.low_guard = 1;
  float_options.max_iters = 40;
  float_options.fallback_full = false;
  vclab::TopEigenTracker<float> tracker_f(2, float_options);
  // Default float tol 1e-4: each vector moves by ≤ 1e-4·‖M‖/gap = 1e-4·5/3, the projector by
  // ≤ √(2k) times that = 3.3e-4; float rounding (1e-7·‖M‖/gap) is far below.
  constexpr double kFloatSubspaceTol = 4e-4;

  for (int step = 0; step < 12; ++step) {
    const arma::mat q = arma::expmat(0.02 * step * skew) * q0;  // orthogonal, drifts slowly
    const arma::mat m = planted(q, lambda);
    const vclab::TopEigen<double>& got = tracker.update(m);
    const vclab::TopEigen<double> ref = vclab::top_eigenpairs_full(m, 2);
    CAPTURE(step);
    CHECK(projector_difference(got.vectors, q.head_cols(2)) <= kTrackerSubspaceTol);
    CHECK(projector_difference(got.vectors, ref.vectors) <= kTrackerSubspaceTol);
    require_close(got.values, ref.values, kTrackerSubspaceTol, "tracker eigenvalues");
    const vclab::TrackerStats stats = tracker.stats();
    CHECK(stats.converged);
    CHECK(stats.full_evd_count == 1);  // only the cold start
    CHECK(stats.used_full == (step == 0));
    if (step > 0) CHECK(stats.iterations >= 1);

    const arma::fmat m_f = arma::conv_to<arma::fmat>::from(m);
    const vclab::TopEigen<float>& got_f = tracker_f.update(m_f);
    CHECK(projector_difference(arma::conv_to<arma::mat>::from(got_f.vectors), q.head_cols(2)) <= kFloatSubspaceTol);
    CHECK(tracker_f.stats().converged);
    CHECK(tracker_f.stats().full_evd_count == 1);

  }
}

TEST_CASE("vcl_layer_update through the tracker equals the full-EVD update along a VCL sequence") {
  arma::arma_rng::set_seed(16);
  const arma::uword d = 8, k = 3;
  arma::mat w = arma::randn<arma::mat>(k, d) / std::sqrt(double(d));  // (k, d)
  arma::mat vc_shift(d, d, arma::fill::zeros);                        // (d, d) V
  vclab::TrackerOptions options;
  options.oversample = 1;
  options.low_guard = 1;
  options.tol = kTrackerTestTol;
  options.fallback_full = false;
  vclab::TopEigenTracker<double> tracker(k, options);
  vclab::VclStepOptions step_options;  // α = 0.1, clipping on
  for (int step = 0; step < 10; ++step) {
    const arma::mat h = arma::randu<arma::mat>(d, 4);           // (d, B)
    const arma::mat g = 1e-2 * arma::randn<arma::mat>(d, 4);    // (d, B)
    vc_shift += -0.1 * (g * h.t() + h * g.t()) + 0.01 * g * g.t();
    const arma::mat m = w.t() * w + vc_shift;
    const auto full = vclab::vcl_layer_update<double>(w, m, step_options, nullptr);
    const auto fast = vclab::vcl_layer_update<double>(w, m, step_options, &tracker);
    CAPTURE(step);
    require_close(fast.weights, full.weights, kTrackerSubspaceTol, "W+ tracker vs full");
    CHECK(fast.n_clipped == full.n_clipped);
    CHECK(fast.solver.converged);
    CHECK(fast.solver.full_evd_count == 1);
    w = full.weights;  // "current" variant: the next Gram uses W+
  }
}

TEST_CASE("tracker finds the algebraically largest pairs when a negative eigenvalue dominates") {
  arma::arma_rng::set_seed(17);
  const arma::mat q = random_orthogonal(8);
  const arma::vec mild = {1.0, 0.9, 0.2, 0.1, 0.0, -0.1, -0.3, -0.5};
  const arma::vec dominant = {1.0, 0.9, 0.2, 0.1, 0.0, -0.1, -0.3, -10.0};  // |λ_min| = 10 > λ_1
  const arma::mat m = planted(q, dominant);
  for (std::size_t low_guard : {std::size_t(0), std::size_t(1)}) {
    CAPTURE(low_guard);
    vclab::TrackerOptions options;
    options.oversample = 1;
    options.low_guard = low_guard;
    options.tol = kTrackerTestTol;
    options.max_iters = 100;
    options.fallback_full = false;

    // Iterative path from a random start: no full EVD at all.
    options.cold_start_full = false;
    vclab::TopEigenTracker<double> from_random(2, options);
    const vclab::TopEigen<double>& got = from_random.update(m);
    CHECK(from_random.stats().full_evd_count == 0);
    CHECK(from_random.stats().converged);
    CHECK(projector_difference(got.vectors, q.head_cols(2)) <= kTrackerSubspaceTol);
    require_close(got.values, arma::vec(dominant.head(2)), kTrackerSubspaceTol, "top-2 from random start");

    // Warm path: cold start on the mild matrix, then the negative eigenvalue grows to -10.
    options.cold_start_full = true;
    vclab::TopEigenTracker<double> warm(2, options);
    warm.update(planted(q, mild));
    const vclab::TopEigen<double>& got_warm = warm.update(m);
    CHECK(warm.stats().full_evd_count == 1);
    CHECK_FALSE(warm.stats().used_full);
    CHECK(projector_difference(got_warm.vectors, q.head_cols(2)) <= kTrackerSubspaceTol);
    require_close(got_warm.values, arma::vec(dominant.head(2)), kTrackerSubspaceTol, "top-2 warm");
  }
}

TEST_CASE("tracker block-product overload agrees with the matrix overload") {
  arma::arma_rng::set_seed(18);
  const arma::mat q = random_orthogonal(7);
  const arma::vec lambda = {2.0, 1.5, 1.2, 0.1, -0.2, -0.4, -3.0};
  vclab::TrackerOptions options;
  options.oversample = 1;
  options.low_guard = 1;
  options.tol = kTrackerTestTol;
  options.fallback_full = false;
  vclab::TopEigenTracker<double> tracker(3, options);
  for (int step = 0; step < 3; ++step) {
    const arma::mat m = planted(q, lambda + 0.05 * step);
    const auto apply = [&m](const arma::mat& x) -> arma::mat { return m * x; };
    const vclab::TopEigen<double>& got = tracker.update(7, apply);
    CAPTURE(step);
    CHECK(projector_difference(got.vectors, q.head_cols(3)) <= kTrackerSubspaceTol);
    require_close(got.values, arma::vec(lambda.head(3) + 0.05 * step), kTrackerSubspaceTol, "values");
  }
  CHECK(tracker.stats().full_evd_count == 1);
}

TEST_CASE("NaN or Inf input throws std::runtime_error naming the quantity") {
  arma::arma_rng::set_seed(19);
  const arma::mat w = arma::randn<arma::mat>(2, 4);
  const arma::mat m = w.t() * w;
  vclab::VclStepOptions options;

  arma::mat bad_m = m;
  bad_m(1, 2) = std::nan("");
  const std::string gram_msg = thrown_message([&] { vclab::vcl_layer_update<double>(w, bad_m, options, nullptr); });
  CHECK(gram_msg.find("target Gram") != std::string::npos);

  arma::mat bad_w = w;
  bad_w(0, 3) = std::numeric_limits<double>::infinity();
  const std::string w_msg = thrown_message([&] { vclab::vcl_layer_update<double>(bad_w, m, options, nullptr); });
  CHECK(w_msg.find("weights W") != std::string::npos);

  vclab::TopEigenTracker<double> tracker(2);
  const std::string tracker_msg = thrown_message([&] { vclab::vcl_layer_update<double>(w, bad_m, options, &tracker); });
  CHECK(tracker_msg.find("target Gram") != std::string::npos);
  const std::string direct_msg = thrown_message([&] { tracker.update(bad_m); });
  CHECK(direct_msg.find("NaN") != std::string::npos);
}

TEST_CASE("structured tracker: carried V·Q stays V·Q to rounding and the top-k matches the full EVD (double)") {
  arma::arma_rng::set_seed(20);
  const arma::uword d = 8, k = 2, batch = 2;
  arma::mat w = arma::randn<arma::mat>(k, d) / std::sqrt(double(d));  // (k, d)
  arma::mat vc_shift(d, d, arma::fill::zeros);                        // (d, d) V
  vclab::TrackerOptions options;
  options.oversample = 1;
  options.low_guard = 1;
  options.tol = kTrackerTestTol;
  options.max_iters = 40;
  options.fallback_full = false;
  options.refresh_every = 4;  // exercises both the carried and the recomputed V·Q
  vclab::TopEigenTracker<double> tracker(k, options);
  vclab::TopEigenTracker<double> matrix_tracker(k, options);
  vclab::VclStepOptions step_options;  // α = 0.1, clipping on
  // P is built from ~10 products and rotations per step, each exact to a few ε‖V‖; 12 steps.
  constexpr double kCarryTol = 1e-12;
  std::size_t carried_steps = 0;
  for (int step = 0; step < 12; ++step) {
    const arma::mat h = arma::randu<arma::mat>(d, batch);                 // (d, B)
    const arma::mat g = 1e-1 * arma::randn<arma::mat>(d, batch);          // (d, B)
    const double lr = 0.3;
    const arma::mat a = -lr * (h - (lr / 2) * g);                         // v = a gᵀ + g aᵀ
    vc_shift += a * g.t() + g * a.t();
    const arma::mat m = w.t() * w + vc_shift;
    const auto full = vclab::vcl_layer_update<double>(w, m, step_options, nullptr);
    const auto fast = vclab::vcl_layer_update_shifted<double>(w, w, vc_shift, a, g, step_options, tracker);
    const auto via_matrix = vclab::vcl_layer_update<double>(w, m, step_options, &matrix_tracker);
    CAPTURE(step);
    CHECK(fast.solver.converged);
    CHECK(fast.solver.full_evd_count == 1);  // cold start only
    if (fast.solver.carried) ++carried_steps;
    require_close(fast.weights, full.weights, kTrackerSubspaceTol, "W+ structured vs full");
    require_close(fast.weights, via_matrix.weights, kTrackerSubspaceTol, "W+ structured vs matrix tracker");
    const vclab::TopEigen<double> ref = vclab::top_eigenpairs_full(m, k);
    CHECK(projector_difference(tracker.current().vectors, ref.vectors) <= kTrackerSubspaceTol);
    if (step > 0) {
      const arma::mat exact = vc_shift * tracker.basis();  // (d, p)
      CHECK(arma::abs(tracker.carried_shift_product() - exact).max() <= kCarryTol * arma::abs(vc_shift).max());
    }
    w = full.weights;  // "current" variant: the next Gram uses W+
  }
  // Step 0 is the cold start, step 1 computes V·Q, then every 4th carried update is a refresh.
  CHECK(carried_steps == 8);
}

TEST_CASE("structured tracker in float on a VCL-like sequence: subspace and W+ within the Davis–Kahan bound") {
  arma::arma_rng::set_seed(21);
  const arma::uword d = 160, k = 16, batch = 8;
  arma::fmat w = arma::randn<arma::fmat>(k, d) / std::sqrt(float(d));  // (k, d)
  arma::fmat vc_shift(d, d, arma::fill::zeros);                         // (d, d) V
  vclab::TrackerOptions options;  // float defaults: tol 1e-4
  options.oversample = 8;
  options.fallback_full = false;
  vclab::TopEigenTracker<float> tracker(k, options);
  vclab::VclStepOptions step_options;
  const double tol = tracker.options().tol;
  for (int step = 0; step < 10; ++step) {
    const arma::fmat h = arma::randu<arma::fmat>(d, batch);
    const arma::fmat g = 1e-2f * arma::randn<arma::fmat>(d, batch);
    const float lr = 0.1f;
    const arma::fmat a = -lr * (h - (lr / 2) * g);
    vc_shift += a * g.t() + g * a.t();
    const arma::fmat m = w.t() * w + vc_shift;
    const auto full = vclab::vcl_layer_update<float>(w, m, step_options, nullptr);
    const auto fast = vclab::vcl_layer_update_shifted<float>(w, w, vc_shift, a, g, step_options, tracker);
    CAPTURE(step);
    REQUIRE(fast.solver.converged);
    // Davis–Kahan: ‖sin Θ‖_F ≤ ‖R‖_F / gap with ‖R‖_F ≤ √k·tol·max|λ|, so the normalised projector difference
    // √2‖sin Θ‖_F/√k is ≤ √2·tol·max|λ|/gap; twice that covers the Ritz-value gap being a little smaller
    // and the full EVD's own float error (~ε‖M‖/gap).
    const arma::mat md = arma::conv_to<arma::mat>::from(m);
    const arma::vec lambda = arma::eig_sym(md);  // ascending
    const double gap = lambda(d - k) - lambda(d - k - 1);
    const double scale = arma::abs(lambda).max();
    const double bound = 2.0 * std::sqrt(2.0) * tol * scale / gap;
    const arma::mat fast_q = arma::conv_to<arma::mat>::from(tracker.current().vectors);
    arma::mat ref_vectors;
    arma::vec ref_values;
    arma::eig_sym(ref_values, ref_vectors, md);
    const arma::mat ref_q = ref_vectors.tail_cols(k);
    CHECK(projector_difference(fast_q, ref_q) / std::sqrt(double(k)) <= bound);
    // W+ = P Rᵀ Λ^α Qᵀ: a subspace error ε moves W+ by about ε relative (Λ^α ≈ 1 at α = 0.1).
    const double w_diff = arma::norm(fast.weights - full.weights, "fro") / arma::norm(full.weights, "fro");
    CHECK(w_diff <= 2.0 * bound);
    w = full.weights;
  }
}

TEST_CASE("structured tracker saved mid-sequence and loaded into a new one continues bit for bit (float)") {
  // What `vclab train --resume` relies on: the warm basis, M·Q, the carried V·Q and the refresh counter round-trip
  // through the checkpoint file exactly, so the loaded tracker takes the same steps as the one that kept running.
  arma::arma_rng::set_seed(21);
  const arma::uword d = 10, k = 2, batch = 3;
  vclab::TrackerOptions options;
  options.oversample = 2;
  options.low_guard = 1;
  options.refresh_every = 3;  // the save falls between refreshes: the counter must survive it
  vclab::TopEigenTracker<float> running(k, options);
  const vclab::VclStepOptions step_options;
  arma::fmat w = arma::randn<arma::fmat>(k, d) / std::sqrt(float(d));
  arma::fmat vc_shift(d, d, arma::fill::zeros);
  std::vector<arma::fmat> hs, gs;
  for (int step = 0; step < 12; ++step) {
    hs.push_back(arma::randu<arma::fmat>(d, batch));
    gs.push_back(0.1f * arma::randn<arma::fmat>(d, batch));
  }
  const auto step_with = [&](vclab::TopEigenTracker<float>& tracker, arma::fmat& weights, arma::fmat& shift, int step) {
    const float lr = 0.3f;
    const arma::fmat a = -lr * (hs[step] - (lr / 2) * gs[step]);
    shift += a * gs[step].t() + gs[step] * a.t();
    weights = vclab::vcl_layer_update_shifted<float>(weights, weights, shift, a, gs[step], step_options, tracker).weights;
  };
  for (int step = 0; step < 5; ++step) step_with(running, w, vc_shift, step);
  vclab::test::TempDir dir;
  {
    vclab::Hdf5File file = vclab::Hdf5File::create(dir / "tracker.h5");
    running.save_state(file, "/tracker");
  }
  vclab::TopEigenTracker<float> loaded(k, options);
  loaded.load_state(vclab::Hdf5File::open_read(dir / "tracker.h5"), "/tracker");
  CHECK(arma::approx_equal(loaded.basis(), running.basis(), "absdiff", 0.0f));
  CHECK(arma::approx_equal(loaded.carried_shift_product(), running.carried_shift_product(), "absdiff", 0.0f));
  arma::fmat w_loaded = w, shift_loaded = vc_shift;
  std::size_t carried = 0;
  for (int step = 5; step < 12; ++step) {
    CAPTURE(step);
    step_with(running, w, vc_shift, step);
    step_with(loaded, w_loaded, shift_loaded, step);
    CHECK(loaded.stats().carried == running.stats().carried);
    carried += running.stats().carried ? 1 : 0;
    CHECK(arma::approx_equal(w_loaded, w, "absdiff", 0.0f));
    CHECK(arma::approx_equal(loaded.current().values, running.current().values, "absdiff", 0.0f));
  }
  CHECK(carried > 0);
  CHECK(loaded.stats().full_evd_count == running.stats().full_evd_count);
  CHECK(loaded.stats().updates == running.stats().updates);

  SUBCASE("a tracker saved with another k is refused") {
    vclab::TopEigenTracker<float> other(k + 1, options);
    CHECK_THROWS_AS(other.load_state(vclab::Hdf5File::open_read(dir / "tracker.h5"), "/tracker"), vclab::IoError);
  }
}
