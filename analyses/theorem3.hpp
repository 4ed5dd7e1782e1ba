// Theorem 3 (Cha & Lee 2025, §2.2 and Appendix A.2): after a single-sample SGD step on W_{l-1} with
// ‖h_{l-1}‖ = 1, a = σ(W⁺h) − σ(Wh) and v = h_l⁺ − h_l = −γ g_l satisfy |a| < L²|v| and sgn a = sgn v
// (σ increasing), elementwise. Measures where this holds and how it fails as assumptions are dropped, on MLPs and on
// conv layers, where the theorem does not apply (weights shared across positions; docs/conv_layers.md).
#pragma once
#include <armadillo>
#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "model/loss.hpp"
#include "model/mlp.hpp"
#include "model/network.hpp"
#include "train/paper_defaults.hpp"

namespace vclab {

// One SGD step on a batch (the theorem: B = 1), and the elementwise changes at layer l (1 ≤ l ≤ L). For a conv
// layer, h_l = σ(z_l) before pooling has d_l = c_out·n values per sample (n positions, channel-major).
struct Theorem3Step {
  arma::mat a;      // (d_l, B) σ(z⁺) − σ(z): the actual change of h_l
  arma::mat v;      // (d_l, B) −γ g_l: the virtual change h_l⁺ − h_l
  arma::mat z;      // (d_l, B) pre-activation before the step
  arma::mat dz;     // (d_l, B) z⁺ − z
  arma::mat g;      // (d_l, B) g_l = ∂ℒ/∂h_l (carries 1/B)
  arma::mat slack;  // (d_l, B) forward rounding-error bound of a (Higham's γ_n on the dot products)
  arma::rowvec input_norm;   // (B) ‖h_{l-1}‖ before the step: the layer's input sample (image or map of a conv layer)
  arma::rowvec column_norm;  // (B·n) ‖p‖ of each input column of W_{l-1}: the patch copies of a conv layer (n per
                             // sample); for a dense layer the same as input_norm
};

// Model in double. Layer l is the output of weight layer l − 1 in Network::weight's numbering (conv kernels first):
// h_l = σ(W_{l-1} P) of conv layer l − 1 (before its pooling) when l ≤ n_conv_layers(), else the head's hidden layer.
// update_all_layers = false: only W_{l-1} (and b_{l-1}) take the SGD step (the theorem's "fixing the other layers");
// true: every layer does, and h_{l-1} moves too.
Theorem3Step theorem3_step(const Network<double>& net, const arma::mat& x, const arma::mat& targets, Loss loss,
                           std::size_t layer, double lr, bool update_all_layers);
// The MLP as a Network without conv layers (the same arithmetic).
Theorem3Step theorem3_step(const Mlp<double>& model, const arma::mat& x, const arma::mat& targets, Loss loss,
                           std::size_t layer, double lr, bool update_all_layers);

// Elementwise tally. Zeros are classified explicitly (sgn 0 = 0):
//  bound_ok      |a| ≤ L²|v| + slack   (the non-strict bound, up to the rounding of a)
//  bound_strict  |a| < L²|v|           (the paper's strict form, no slack; fails at equality, e.g. ReLU's
//                                       active units where a = v exactly, or a = v = 0)
//  sign_equal    sgn a = sgn v, counting |a| ≤ slack as a = 0
//  sign_opposite a·v < 0 with |a| > slack: a genuine failure of the sign statement
//  a_zero        |a| ≤ slack while v ≠ 0 (ReLU's inactive units, saturation): neither equal nor opposite
//  v_zero        v = 0 exactly (g_l = 0); such an element is in bound_ok only if |a| ≤ slack
//  v_zero_moved  v = 0 but |a| > slack: the unit moved with no gradient of its own (on a conv layer, the other
//                positions' terms move it; units that lose a max pooling have g = 0)
struct Theorem3Tally {
  std::size_t n = 0;
  std::size_t bound_ok = 0, bound_strict = 0;
  std::size_t sign_equal = 0, sign_opposite = 0, a_zero = 0, v_zero = 0, v_zero_moved = 0;
  std::vector<double> ratios;  // |a| / (L²|v|) for v ≠ 0 (kept when keep_ratios)
  double max_ratio = 0;        // max |a| / (L²|v|) over v ≠ 0
  std::vector<double> input_norms;   // ‖h_{l-1}‖ of each sample
  std::vector<double> column_norms;  // ‖p‖ of each input column (patch copies of a conv layer)

  double bound_rate() const { return n ? double(bound_ok) / double(n) : arma::datum::nan; }
  double bound_violation_rate() const { return n ? 1.0 - bound_rate() : arma::datum::nan; }
  double strict_rate() const { return n ? double(bound_strict) / double(n) : arma::datum::nan; }
  double sign_equal_rate() const { return n ? double(sign_equal) / double(n) : arma::datum::nan; }
  double sign_opposite_rate() const { return n ? double(sign_opposite) / double(n) : arma::datum::nan; }
  // The same two rates over the elements with v ≠ 0 only.
  double bound_rate_v_nonzero() const {
    return n > v_zero ? double(bound_ok - (v_zero - v_zero_moved)) / double(n - v_zero) : arma::datum::nan;
  }
  double sign_opposite_rate_v_nonzero() const { return n > v_zero ? double(sign_opposite) / double(n - v_zero) : arma::datum::nan; }
  double quantile(double q) const;  // of ratios (NaN when empty); linear interpolation
};

void tally_theorem3(const Theorem3Step& step, double lipschitz, Theorem3Tally& tally, bool keep_ratios);

// A concrete element where the sign statement fails (a·v < 0 beyond rounding).
struct Theorem3Counterexample {
  bool found = false;
  std::size_t sample = 0, unit = 0;  // column in the data, row of h_l
  double lr = 0, z = 0, z_plus = 0, g = 0, a = 0, v = 0, slope_at_z = 0;  // slope_at_z = σ'(z)
};

// How the measurement is set up; see run_theorem3.
struct Theorem3Setting {
  std::string name;
  std::vector<double> lipschitz{1.0};  // the L's of the bound: one tally per value (the step is shared)
  std::size_t batch = 1;         // samples per SGD step (the theorem: 1)
  std::size_t layer = 1;         // l: h_l = σ(W_{l-1} h_{l-1}) (theorem3_step); the theorem's unit norm holds only for l = 1
  bool update_all_layers = false;
  double lr = kPaperLearningRate;
  // Rescale every input to unit L2 norm in double before the step. Data are stored as float, so a
  // unit-norm sample has ‖x‖² = 1 only to ~1e-7, which alone moves |a| past L²|v| where they are equal.
  bool renormalize_inputs = false;
};

struct Theorem3Result {
  Theorem3Setting setting;
  std::vector<Theorem3Tally> tallies;     // one per setting.lipschitz
  Theorem3Counterexample counterexample;  // first sign failure met, if any
  arma::vec scatter_v, scatter_a;         // a few (v, a) pairs for figures (first units of each step)
};

// Over the first n_samples columns of data, in disjoint batches of setting.batch, each step taken
// from the same `model` state (steps are not chained). keep_scatter: pairs kept for a figure.
Theorem3Result run_theorem3(const Network<double>& net, const Dataset& data, Loss loss, const Theorem3Setting& setting,
                            std::size_t n_samples, std::size_t keep_scatter = 0);
Theorem3Result run_theorem3(const Mlp<double>& model, const Dataset& data, Loss loss, const Theorem3Setting& setting,
                            std::size_t n_samples, std::size_t keep_scatter = 0);

// The GELU sign counterexample in closed form: at pre-activation z with gradient g (so
// ∂ℒ/∂z = GELU'(z) g) and a single-sample unit-norm step of size γ, z⁺ = z − γ GELU'(z) g.
// Scans γ over a log grid and returns the first γ with sgn(GELU(z⁺) − GELU(z)) = −sgn(−γ g).
Theorem3Counterexample gelu_sign_counterexample(double z, double g, double lr_min, double lr_max, std::size_t n_grid);

}  // namespace vclab
