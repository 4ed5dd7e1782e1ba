// The virtual covariance shift of one step, the one kernel used by the recorder (record/), VCL (train/) and the
// Theorem 2 measurements (analyses/). For a layer with inputs H and input gradients G (both (d, B), G carrying
// the batch mean's 1/B) and h⁺ = h − γ g (docs/virtual_covariance.md):
//   v = Σ_i (h⁺h⁺ᵀ − hhᵀ) = −γ (G Hᵀ + H Gᵀ) + γ² G Gᵀ = G Pᵀ + P Gᵀ   with P = −γ H + (γ²/2) G,
// one rank-2B update that never forms H Hᵀ, so nothing cancels.
#pragma once
#include <armadillo>

namespace vclab {

// How the accumulated d×d shift is stored: its diagonal (d, 1), the upper triangle of (d, d) (BLAS syr2k, a third
// fewer flops; symmatu gives the matrix), or the whole symmetric (d, d) (what an eigensolver multiplies by).
enum class VcStorage { diag, upper, symmetric };

// P = −γ H + (γ²/2) G, (d, B), in the inputs' precision.
template <class T> arma::Mat<T> vc_shift_factor(const arma::Mat<T>& h, const arma::Mat<T>& g, double lr);

// v += this step's shift. Accumulated in double whatever T is; diag sums Σ_i (−2γ h∘g + γ² g∘g) over the batch.
template <class T> void add_vc_shift(const arma::Mat<T>& h, const arma::Mat<T>& g, double lr, VcStorage storage, arma::mat& v);

// v += G Pᵀ + P Gᵀ for a factor P already computed (upper or symmetric storage).
void add_vc_shift_factored(const arma::mat& p, const arma::mat& g, VcStorage storage, arma::mat& v);

}  // namespace vclab
