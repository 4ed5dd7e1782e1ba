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
#include "io/io_error.hpp"
#include "io/state_archive.hpp"
#include "train/top_eigen.hpp"
#include "train/vcl_step.hpp"

namespace {

using vclab::test::require_close;

// Identities that hold to rounding in double on d <= 8: a few hundred ε.
constexpr double kRoundingTol = 1e-12;
// Procrustes minimum versus a random orthogonal U: ties only up to rounding.
constexpr double kOptimalityTol = 1e-12;
// Tracker tolerance in double: the certificate ‖R‖_F/gap bounds ‖sin Θ‖_F (Davis–Kahan, the gaps below are
// planted), and ‖P_a − P_b‖_F = √2‖sin Θ‖_F; the residual floor 1e-11·‖M‖ moves the projector by ≤
// √(2k)·1e-11·‖M‖/gap (gap ≥ 0.7, ‖M‖ ≤ 10 below: ≤ 4e-10), plus rounding ~1e-14.
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

// Tracker options for the identity tests: certificate ≤ kTrackerTestTol only (no relative criterion), with as
// many filtered products as that takes (each gains a factor ≳ 3 on these spectra).
void exact_tracker(vclab::TrackerOptions& options) {
  options.tol = kTrackerTestTol;
  options.tol_relative = 0.0;
  options.max_extra = 80;
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
  exact_tracker(options);
  options.fallback_full = false;
  vclab::TopEigenTracker<double> tracker(2, options);
  vclab::TrackerOptions float_options;  // default tol for float
  float_options.oversample = 1;
  float_options.low_guard = 1;
  float_options.fallback_full = false;
  vclab::TopEigenTracker<float> tracker_f(2, float_options);
  // Float defaults: the projector error is √2·‖sin Θ‖_F ≤ √2·certificate (the planted gap is the estimated one,
  // θ_2 − θ_3 = 3), plus float rounding of the Ritz vectors (~1e-6 here).
  constexpr double kFloatRounding = 1e-5;

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
    CHECK(projector_difference(arma::conv_to<arma::mat>::from(got_f.vectors), q.head_cols(2)) <=
          std::sqrt(2.0) * tracker_f.stats().certificate + kFloatRounding);
    CHECK(tracker_f.stats().products <= 2);
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
  exact_tracker(options);
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
    exact_tracker(options);
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
  exact_tracker(options);
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

TEST_CASE("structured tracker: carried V·Q stays V·Q to rounding and W+ matches the full EVD (double)") {
  arma::arma_rng::set_seed(20);
  const arma::uword d = 8, k = 2, batch = 2;
  arma::mat w = arma::randn<arma::mat>(k, d) / std::sqrt(double(d));  // (k, d)
  arma::mat vc_shift(d, d, arma::fill::zeros);                        // (d, d) V
  vclab::TrackerOptions options;
  options.oversample = 1;
  options.low_guard = 1;
  exact_tracker(options);
  options.fallback_full = false;
  vclab::TopEigenTracker<double> tracker(k, options);
  vclab::TopEigenTracker<double> matrix_tracker(k, options);
  vclab::VclStepOptions step_options;  // α = 0.1, clipping on
  // P = V·Q is a product and a rotation per step (or a rank-2B correction), each exact to a few ε‖V‖.
  constexpr double kCarryTol = 1e-12;
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
    require_close(fast.weights, full.weights, kTrackerSubspaceTol, "W+ structured vs full");
    require_close(fast.weights, via_matrix.weights, kTrackerSubspaceTol, "W+ structured vs matrix tracker");
    const vclab::TopEigen<double> ref = vclab::top_eigenpairs_full(m, k);
    CHECK(projector_difference(tracker.current().vectors, ref.vectors) <= kTrackerSubspaceTol);
    if (step > 0) {
      const arma::mat exact = vc_shift * tracker.basis();  // (d, b)
      CHECK(arma::abs(tracker.carried_shift_product() - exact).max() <= kCarryTol * arma::abs(vc_shift).max());
    }
    w = full.weights;  // "current" variant: the next Gram uses W+
  }
}

namespace {

// d = 40, k = 6: the top six eigenvalues in [2, 3], then a cluster of four at 2 − δ (the guards sit on it, so the
// certificate's gap is the planted δ), the rest spread over [−1, 1 − δ].
arma::vec gapped_spectrum(double delta) {
  arma::vec lambda(40);
  lambda.head(6) = arma::linspace(3.0, 2.0, 6);
  lambda.subvec(6, 9).fill(2.0 - delta);
  lambda.tail(30) = arma::linspace(1.0 - delta, -1.0, 30);
  return lambda;
}

// Skew-symmetric (n, n) with spectral norm 1: expm(ε·S) rotates every vector by at most ε radians.
arma::mat unit_skew(arma::uword n) {
  const arma::mat a = arma::randn<arma::mat>(n, n);
  const arma::mat s = a - a.t();
  return s / arma::norm(s, 2);
}

// ‖sin Θ‖_F between span(a) and span(b), both with orthonormal columns: ‖(I − bbᵀ)a‖_F.
double sin_theta_fro(const arma::mat& a, const arma::mat& b) { return arma::norm(a - b * (b.t() * a), "fro"); }

}  // namespace

TEST_CASE("tracker with the default options: perturbation-to-gap ratio, products per step and the certificate") {
  // Each step rotates the planted eigenvectors by ε; the top-6 subspace then moves by ≲ ε·√k, and ρ = ε‖M‖/δ is
  // the perturbation-to-gap ratio. With a clear gap (ρ ≪ 1) one filtered product per step must do, and the
  // certificate must stay above the true ‖sin Θ‖_F (Davis–Kahan with the planted gap).
  constexpr double kRounding = 1e-12;
  for (const double ratio : {0.003, 0.03, 0.3}) {
    CAPTURE(ratio);
    arma::arma_rng::set_seed(31);
    const double delta = 1.0, norm_m = 3.0, eps = ratio * delta / norm_m;
    const arma::mat skew = unit_skew(40);
    arma::mat q = random_orthogonal(40);
    vclab::TrackerOptions options;  // defaults: tol 0.01, tol_relative 0.25, max_extra 2
    options.oversample = 2;
    options.low_guard = 2;
    vclab::TopEigenTracker<double> tracker(6, options);
    std::size_t products = 0, steps = 0;
    for (int step = 0; step < 15; ++step) {
      q = arma::expmat(eps * skew) * q;
      const arma::mat m = planted(q, gapped_spectrum(delta));
      const vclab::TopEigen<double>& got = tracker.update(m);
      const vclab::TrackerStats stats = tracker.stats();
      CAPTURE(step);
      if (stats.used_full) continue;
      ++steps;
      products += stats.products;
      CHECK(stats.converged);
      CHECK(sin_theta_fro(got.vectors, q.head_cols(6)) <= stats.certificate + kRounding);
      CHECK(stats.certificate <= std::max(options.tol, options.tol_relative * stats.first_certificate));
    }
    CHECK(tracker.stats().fallback_count == 0);
    // The generic path multiplies the warm basis once (c₀) and, unless that already meets tol, the filtered block.
    if (ratio <= 0.03) CHECK(products <= 2 * steps);
  }
}

TEST_CASE("the certificate bounds the true subspace error on random VCL-like sequences (double)") {
  arma::arma_rng::set_seed(32);
  const arma::uword d = 60, k = 8, batch = 4;
  arma::mat w = arma::randn<arma::mat>(k, d) / std::sqrt(double(d));
  arma::mat vc_shift(d, d, arma::fill::zeros);
  vclab::TrackerOptions options;
  options.oversample = 4;
  options.low_guard = 2;
  vclab::TopEigenTracker<double> tracker(k, options);
  const vclab::VclStepOptions step_options;
  std::size_t checked = 0;
  for (int step = 0; step < 40; ++step) {
    const arma::mat h = arma::randu<arma::mat>(d, batch);
    const arma::mat g = 0.05 * arma::randn<arma::mat>(d, batch);
    const double lr = 0.5;
    const arma::mat a = -lr * (h - (lr / 2) * g);
    vc_shift += a * g.t() + g * a.t();
    const arma::mat m = w.t() * w + vc_shift;
    const auto fast = vclab::vcl_layer_update_shifted<double>(w, w, vc_shift, a, g, step_options, tracker);
    CAPTURE(step);
    if (fast.solver.used_full) continue;
    arma::vec lambda;
    arma::mat vectors;
    arma::eig_sym(lambda, vectors, m);  // ascending
    // Davis–Kahan: ‖sin Θ‖_F ≤ ‖R‖_F / (θ_k − λ_{k+1}); the certificate divides by its estimate θ_k − θ_{k+1} −
    // ‖r_{k+1}‖ of that gap. Rescaled to the true gap it is a bound; unscaled, it must be one here too.
    const double true_gap = double(tracker.current().values(k - 1)) - lambda(d - k - 1);
    REQUIRE(true_gap > 0.0);
    const double bound = fast.solver.certificate * fast.solver.gap / true_gap;
    const double truth = sin_theta_fro(tracker.current().vectors, vectors.tail_cols(k));
    CHECK(truth <= bound + 1e-12);
    CHECK(truth <= fast.solver.certificate + 1e-12);
    ++checked;
    w = fast.weights;
  }
  CHECK(checked >= 30);
}

TEST_CASE("forced fallbacks and scheduled refreshes take the full EVD and are counted") {
  arma::arma_rng::set_seed(33);
  const arma::mat skew = unit_skew(40);
  arma::mat q = random_orthogonal(40);
  SUBCASE("a certificate that can never be met falls back after max_extra products") {
    vclab::TrackerOptions options;
    options.oversample = 2;
    options.tol = 1e-300;          // unreachable
    options.tol_relative = 0.0;
    options.residual_floor = 1e-300;
    options.max_extra = 1;
    vclab::TopEigenTracker<double> tracker(6, options);
    for (int step = 0; step < 5; ++step) {
      q = arma::expmat(0.01 * skew) * q;
      const arma::mat m = planted(q, gapped_spectrum(1.0));
      const vclab::TopEigen<double>& got = tracker.update(m);
      const vclab::TopEigen<double> ref = vclab::top_eigenpairs_full(m, 6);
      CAPTURE(step);
      CHECK(tracker.stats().used_full);
      CHECK(tracker.stats().fell_back == (step > 0));
      CHECK(tracker.stats().products == (step > 0 ? 2 : 0));  // warm basis + one filtered block, then the EVD
      CHECK(projector_difference(got.vectors, ref.vectors) <= kTrackerSubspaceTol);
    }
    CHECK(tracker.stats().fallback_count == 4);
    CHECK(tracker.stats().full_evd_count == 5);
  }
  SUBCASE("refresh_every = 3: a full EVD after every three tracked updates, not a fallback") {
    vclab::TrackerOptions options;
    options.oversample = 2;
    options.refresh_every = 3;
    vclab::TopEigenTracker<double> tracker(6, options);
    for (int step = 0; step < 10; ++step) {
      q = arma::expmat(0.001 * skew) * q;
      tracker.update(planted(q, gapped_spectrum(1.0)));
      CAPTURE(step);
      CHECK(tracker.stats().used_full == (step % 4 == 0));
      CHECK_FALSE(tracker.stats().fell_back);
    }
    CHECK(tracker.stats().full_evd_count == 3);
    CHECK(tracker.stats().fallback_count == 0);
  }
}

TEST_CASE("structured tracker saved mid-sequence and loaded into a new one continues bit for bit (float)") {
  // What `vclab train --resume` relies on: the warm basis, the carried V·Q and the refresh counter round-trip
  // through the checkpoint file exactly, so the loaded tracker takes the same steps as the one that kept running.
  arma::arma_rng::set_seed(21);
  const arma::uword d = 10, k = 2, batch = 3;
  vclab::TrackerOptions options;
  options.oversample = 2;
  options.low_guard = 1;
  options.refresh_every = 3;  // the save falls between refreshes: the counter must survive it
  options.tol = 0.05;         // loose enough that some steps keep the carried basis without a product
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
    const auto archive = vclab::create_state_archive(dir / "tracker.h5");
    running.save_state(*archive, "/tracker");
  }
  vclab::TopEigenTracker<float> loaded(k, options);
  loaded.load_state(*vclab::open_state_archive(dir / "tracker.h5"), "/tracker");
  CHECK(arma::approx_equal(loaded.basis(), running.basis(), "absdiff", 0.0f));
  CHECK(arma::approx_equal(loaded.carried_shift_product(), running.carried_shift_product(), "absdiff", 0.0f));
  arma::fmat w_loaded = w, shift_loaded = vc_shift;
  std::size_t carried = 0;  // steps accepted on the carried V·Q, without a product
  for (int step = 5; step < 12; ++step) {
    CAPTURE(step);
    step_with(running, w, vc_shift, step);
    step_with(loaded, w_loaded, shift_loaded, step);
    CHECK(loaded.stats().products == running.stats().products);
    carried += running.stats().products == 0 ? 1 : 0;
    CHECK(arma::approx_equal(w_loaded, w, "absdiff", 0.0f));
    CHECK(arma::approx_equal(loaded.current().values, running.current().values, "absdiff", 0.0f));
  }
  CHECK(carried > 0);
  CHECK(loaded.stats().extra_count == running.stats().extra_count);
  CHECK(loaded.stats().full_evd_count == running.stats().full_evd_count);
  CHECK(loaded.stats().updates == running.stats().updates);

  SUBCASE("a tracker saved with another k is refused") {
    vclab::TopEigenTracker<float> other(k + 1, options);
    CHECK_THROWS_AS(other.load_state(*vclab::open_state_archive(dir / "tracker.h5"), "/tracker"), vclab::IoError);
  }
}

TEST_CASE("max_extra = 0 without fallback returns the warm basis' Ritz pairs, marked not converged") {
  arma::arma_rng::set_seed(34);
  const arma::mat skew = unit_skew(40);
  arma::mat q = random_orthogonal(40);
  vclab::TrackerOptions options;
  options.oversample = 2;
  options.tol = 1e-300;
  options.tol_relative = 0.0;
  options.residual_floor = 1e-300;
  options.max_extra = 0;
  options.fallback_full = false;
  vclab::TopEigenTracker<double> tracker(6, options);
  tracker.update(planted(q, gapped_spectrum(1.0)));  // cold start
  q = arma::expmat(0.05 * skew) * q;
  const arma::mat m = planted(q, gapped_spectrum(1.0));
  const vclab::TopEigen<double>& got = tracker.update(m);
  CHECK_FALSE(tracker.stats().converged);
  CHECK_FALSE(tracker.stats().used_full);
  CHECK(tracker.stats().products == 1);
  // Ritz pairs of this step's M (not the previous step's eigenpairs): XᵀMX = Θ, within the certificate of the truth.
  require_close(arma::mat(got.vectors.t() * m * got.vectors), arma::mat(arma::diagmat(got.values)), kRoundingTol,
                "Ritz pairs of the new M");
  CHECK(sin_theta_fro(got.vectors, q.head_cols(6)) <= tracker.stats().certificate + 1e-12);
}
