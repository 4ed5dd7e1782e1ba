// Target Linearity (docs/feature_probes.md): T_λ(H, Y) = 1 − ‖Y − Ŷ‖²_F / ‖Y − Ȳ‖²_F with Ŷ = H (HᵀH + λI)⁻¹ HᵀY,
// and its surrogate S = tr(YᵀZZᵀY) with Z = H W_lᵀ.
// Convention here (unlike the rest of vclab): ROWS are samples, as in the formula above.
#pragma once
#include <armadillo>

namespace vclab {

// T_λ of features H (N, p) against targets Y (N, C) (one-hot, or any real targets), rows = samples.
// Both H and Y are centred first (column means removed), so Ŷ is a ridge fit with an unpenalised
// intercept and ‖Y − Ȳ‖²_F is the total sum of squares: T is the coefficient of determination R².
//   λ > 0: Ŷ = H (HᵀH + λI)⁻¹ HᵀY by a symmetric positive-definite solve.
//   λ = 0: HᵀH is often singular (centred one-hot-like features have rank ≤ N − 1, and p may
//          exceed N), so Ŷ = H H⁺ Y with the pseudo-inverse: the orthogonal projection of Y onto
//          the column span of H (the minimum-norm least-squares fit, = the λ → 0⁺ limit).
// T ∈ [0, 1] up to rounding for λ ≥ 0, and is non-increasing in λ. NaN when Y is constant (zero
// total sum of squares). Throws std::invalid_argument when the row counts differ, N < 2, or λ < 0
// or is not finite; std::runtime_error if the solve fails.
double target_linearity(const arma::mat& features, const arma::mat& targets, double lambda);

// S = tr(YᵀZZᵀY) = ‖ZᵀY‖²_F with Z = H W_lᵀ: features H (N, p) rows = samples, layer weights
// W_l (k, p), targets Y (N, C). Inputs are used as given (no centring: centre H and Y first if the
// centred surrogate is wanted). Throws std::invalid_argument on a shape mismatch.
double target_linearity_surrogate(const arma::mat& features, const arma::mat& weights, const arma::mat& targets);

}  // namespace vclab
