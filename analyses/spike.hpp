// The one-large-step experiment (Lobo, Loureiro, Tran-Thanh & Liu; Ba et al. 2022): Gaussian inputs,
// a single-index target y = g(√d βᵀx), a two-layer net f(x) = aᵀσ(W x), and ONE full-batch gradient
// step of size η on the first layer. Measures the spike in W's spectrum and its overlap with β, the
// feature covariance before and after, and the split of the Gram change (Theorem 2, exact form)
//   ΔG = G⁺ − G = −η (Wᵀ∇ + ∇ᵀW) + η² ∇ᵀ∇,   Wᵀ∇ = Σ_i g_i x_iᵀ (Feature Learning Equation),
// into the first-order virtual-covariance part P₁ = −η Σ_i (g_i x_iᵀ + x_i g_iᵀ) and the η² part P₂ = η²∇ᵀ∇.
#pragma once
#include <armadillo>
#include <cstdint>
#include <string>

#include "model/activation.hpp"

namespace vclab {

struct SpikeSetup {
  std::size_t d = 256;           // input dimension
  std::size_t width = 512;       // hidden width m
  std::size_t n = 1024;          // training samples of the full-batch step
  std::size_t n_test = 4096;     // fresh samples for the feature covariance
  double lr = 1.0;               // step size η (absolute; see spike_reference_lr)
  std::string target = "tanh";   // g: tanh | relu | he2 (single_index_targets())
  Activation activation = Activation::gelu;
  std::uint64_t seed = 0;
};

// η_ref = √d (√m + √d) / 2: the step at which the rank-one part of η∇ (norm ≈ 2 η μ₁ c₁ ‖a‖/√d with
// c₁ = E[g(z) z]) is comparable to the bulk edge √m + √d of W (entries N(0, 1); x ~ N(0, I/d)).
// A dimensionless scale for sweeps, not a threshold derived exactly.
double spike_reference_lr(std::size_t d, std::size_t width);

struct PartStats {           // one symmetric d×d matrix P
  double lambda_max = 0;     // largest eigenvalue
  double lambda_min = 0;     // smallest eigenvalue
  double beta_form = 0;      // βᵀPβ
  double top_overlap = 0;    // ⟨u_max(P), β⟩², u_max the eigenvector of the largest |eigenvalue|
  double frobenius = 0;      // ‖P‖_F
};

struct SpikeResult {
  SpikeSetup setup;
  double beta_overlap_w_before = 0, beta_overlap_w_after = 0;  // ⟨v₁(W), β⟩², v₁ top right singular vector
  double sv2_top_before = 0, sv2_top_after = 0;                 // largest squared singular value of W
  double sv2_second_after = 0;                                   // second largest after the step
  double mp_edge = 0;            // (√m + √d)²·σ̂², σ̂² = ‖W(0)‖²_F/(md)
  std::size_t outliers_after = 0;  // squared singular values of W⁺ above the largest of W(0)
  PartStats dgram, first_order, second_order, vc, residual;  // ΔG, P₁, P₂, v = P₁ + η²Σ g gᵀ, P₂ − η²Σ g gᵀ
  double identity_error = 0;     // ‖ΔG − P₁ − P₂‖_F / ‖ΔG‖_F (rounding only)
  double second_share = 0;       // βᵀP₂β / βᵀΔGβ: the share of ΔG's β-direction carried by the η² part
  arma::vec feature_eigs_before, feature_eigs_after;  // top 5 eigenvalues of the centred feature covariance (test samples)
  double target_r2_top1_before = 0, target_r2_top1_after = 0;  // share of y's variance on the top principal component of the features
  double target_r2_top5_before = 0, target_r2_top5_after = 0;
  double train_loss_before = 0, train_loss_after = 0;          // MSE of the full batch (readout a unchanged)
};

// Statistics of a symmetric matrix against a unit vector β.
PartStats part_stats(const arma::mat& sym, const arma::vec& beta);

// Runs the experiment in double precision. Deterministic for a given setup.
SpikeResult run_one_step(const SpikeSetup& setup);

}  // namespace vclab
