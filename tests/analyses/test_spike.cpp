// The one-large-step experiment: the exact split ΔG = P₁ + P₂ (Theorem 2 for one full-batch step), the
// statistics of a planted spike, and determinism.
#include <doctest/doctest.h>

#include <cmath>

#include "analyses/spike.hpp"

using namespace vclab;

TEST_CASE("part_stats on a planted spike along beta") {
  const std::size_t d = 50;
  arma::arma_rng::set_seed(3);
  const arma::vec beta = arma::normalise(arma::randn(d));
  const arma::mat noise = arma::symmatu(arma::randn(d, d)) * 0.01;
  const PartStats p = part_stats(5.0 * beta * beta.t() + noise, beta);
  CHECK(p.top_overlap > 0.99);
  CHECK(p.beta_form == doctest::Approx(5.0 + arma::as_scalar(beta.t() * noise * beta)).epsilon(1e-12));
  CHECK(p.lambda_max == doctest::Approx(5.0).epsilon(0.02));
  // A matrix orthogonal to beta: no overlap, zero quadratic form.
  arma::vec other = arma::randn(d);
  other -= arma::dot(other, beta) * beta;
  other = arma::normalise(other);
  const PartStats q = part_stats(3.0 * other * other.t(), beta);
  CHECK(q.top_overlap < 1e-20);
  CHECK(std::abs(q.beta_form) < 1e-14);
}

TEST_CASE("run_one_step: ΔG = first-order part + η² part to rounding error, and the virtual-covariance split adds up") {
  SpikeSetup setup;
  setup.d = 40;
  setup.width = 60;
  setup.n = 200;
  setup.n_test = 300;
  setup.lr = spike_reference_lr(setup.d, setup.width);
  const SpikeResult r = run_one_step(setup);
  CHECK(r.identity_error < 1e-13);
  CHECK(r.dgram.beta_form == doctest::Approx(r.first_order.beta_form + r.second_order.beta_form).epsilon(1e-10));
  CHECK(r.first_order.beta_form + r.second_order.beta_form ==
        doctest::Approx(r.vc.beta_form + r.residual.beta_form).epsilon(1e-10));
  CHECK(r.second_order.lambda_min > -1e-9 * r.second_order.lambda_max);  // η²∇ᵀ∇ is PSD
  CHECK(r.sv2_top_before > 0);
  CHECK(r.feature_eigs_before.n_elem == 5);
  CHECK(r.target_r2_top5_after >= r.target_r2_top1_after);
  // Deterministic: the same setup gives the same numbers.
  const SpikeResult again = run_one_step(setup);
  CHECK(again.sv2_top_after == r.sv2_top_after);
  CHECK(again.second_share == r.second_share);
}

TEST_CASE("run_one_step: a tiny step leaves W's spectrum unchanged and makes the first-order part dominate ‖ΔG‖") {
  SpikeSetup setup;
  setup.d = 40;
  setup.width = 60;
  setup.n = 200;
  setup.n_test = 300;
  setup.lr = 1e-3;
  const SpikeResult r = run_one_step(setup);
  CHECK(r.sv2_top_after == doctest::Approx(r.sv2_top_before).epsilon(1e-3));
  CHECK(r.outliers_after == 0);
  CHECK(r.second_order.frobenius < 1e-2 * r.first_order.frobenius);
}

TEST_CASE("run_one_step rejects bad setups") {
  SpikeSetup setup;
  setup.lr = 0;
  CHECK_THROWS_AS(run_one_step(setup), std::invalid_argument);
  setup.lr = 1;
  setup.target = "sine";
  CHECK_THROWS(run_one_step(setup));
}
