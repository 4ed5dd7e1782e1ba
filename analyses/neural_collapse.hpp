// Neural collapse metrics (Papyan, Han & Donoho 2020): NC1 = tr(Σ_W Σ_B⁺)/C, NC2 = distance of the
// normalised class-mean Gram to the simplex ETF, NC3 = classifier–mean self-duality, NC4 = disagreement
// between nearest-class-centre and classifier predictions. Rows = samples here (see below).
#pragma once
#include <armadillo>

namespace vclab {

struct NeuralCollapse {
  double nc1;  // tr(Σ_W Σ_B⁺)/C: within-class variability relative to between-class; → 0
  double nc2;  // ‖M̃M̃ᵀ/‖M̃M̃ᵀ‖_F − (I − 11ᵀ/C)/‖I − 11ᵀ/C‖_F‖_F: distance to a simplex ETF; → 0
  double nc3;  // ‖W/‖W‖_F − M̃/‖M̃‖_F‖_F: classifier rows align with the class means; → 0
  double nc4;  // fraction of samples where argmin_c ‖h − μ_c‖ ≠ argmax_c (W h)_c; → 0
};

// Neural collapse metrics of last-hidden features H (N, p) — ROWS are samples, unlike the rest of
// vclab — with labels (N) in [0, C) and a bias-free linear classifier W (C, p); C = W.n_rows.
// μ_c are the class means, μ_G the global mean of all N samples (equal to the mean of the μ_c for
// balanced classes), Σ_W = (1/N) Σ_i (h_i − μ_{y_i})(h_i − μ_{y_i})ᵀ,
// Σ_B = (1/C) Σ_c (μ_c − μ_G)(μ_c − μ_G)ᵀ, and M̃ (C, p) has rows (μ_c − μ_G)/‖μ_c − μ_G‖.
// Σ_B⁺ is the Moore–Penrose pseudo-inverse (Σ_B has rank ≤ C − 1). Ties in either prediction go to
// the lowest class index. Throws std::invalid_argument when shapes disagree, C < 2, a label is out
// of range, a class has no samples, or a centred class mean is zero (M̃ undefined);
// std::runtime_error if the pseudo-inverse fails.
NeuralCollapse neural_collapse(const arma::mat& features, const arma::uvec& labels, const arma::mat& classifier);

}  // namespace vclab
