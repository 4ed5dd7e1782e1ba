// One large full-batch gradient step on the first layer of a two-layer net; see spike.hpp.
#include "analyses/spike.hpp"

#include <cmath>
#include <stdexcept>

#include "analyses/spectra.hpp"
#include "data/synthetic.hpp"
#include "model/backprop.hpp"
#include "model/loss.hpp"
#include "model/mlp.hpp"

namespace vclab {
namespace {

struct Spectrum {
  arma::vec s;  // singular values, descending
  arma::mat v;  // right singular vectors
};

Spectrum right_singular(const arma::mat& w) {
  arma::mat u;
  Spectrum out;
  if (!arma::svd_econ(u, out.s, out.v, w)) throw std::runtime_error("run_one_step: SVD failed");
  return out;
}

// Centred features σ(W X) of the test samples: top eigenvalues of their covariance (1/n) F_c F_cᵀ and
// the share of the centred targets' squared norm on the top-1 and top-5 principal components.
void feature_stats(const Mlp<double>& model, const arma::mat& x, const arma::rowvec& y, arma::vec& eigs, double& r2_1,
                   double& r2_5) {
  ForwardPass<double> pass;
  forward(model, x, pass);
  arma::mat f = pass.h[1];                  // (m, n)
  f.each_col() -= arma::mean(f, 1);
  arma::mat u, v;
  arma::vec s;
  if (!arma::svd_econ(u, s, v, f)) throw std::runtime_error("run_one_step: SVD of the features failed");
  eigs = arma::square(s.head(std::min<std::size_t>(5, s.n_elem))) / double(x.n_cols);
  const arma::vec yc = (y - arma::mean(y)).t();
  const double total = arma::dot(yc, yc);
  const arma::vec proj = v.t() * yc;        // coordinates of y on the sample-space principal directions
  r2_1 = proj.n_elem > 0 ? proj(0) * proj(0) / total : 0;
  r2_5 = arma::accu(arma::square(proj.head(std::min<std::size_t>(5, proj.n_elem)))) / total;
}

}  // namespace

double spike_reference_lr(std::size_t d, std::size_t width) {
  return std::sqrt(double(d)) * (std::sqrt(double(width)) + std::sqrt(double(d))) / 2.0;
}

PartStats part_stats(const arma::mat& sym, const arma::vec& beta) {
  arma::vec values;
  arma::mat vectors;
  if (!arma::eig_sym(values, vectors, arma::mat(0.5 * (sym + sym.t())))) throw std::runtime_error("part_stats: eig_sym failed");
  const double c = arma::dot(vectors.col(arma::index_max(arma::abs(values))), beta);
  return {.lambda_max = values.max(), .lambda_min = values.min(), .beta_form = arma::as_scalar(beta.t() * sym * beta),
          .top_overlap = c * c, .frobenius = arma::norm(sym, "fro")};
}

SpikeResult run_one_step(const SpikeSetup& setup) {
  if (setup.d == 0 || setup.width == 0 || setup.n == 0 || setup.n_test < 2)
    throw std::invalid_argument("run_one_step: d, width and n must be positive and n_test >= 2");
  if (!(setup.lr > 0)) throw std::invalid_argument("run_one_step: the step size must be positive");
  const SyntheticSpec spec{.input_dim = setup.d, .n_train = setup.n, .n_test = setup.n_test, .target = setup.target};
  SyntheticTruth truth;
  const DatasetSplit data = make_single_index_dataset(spec, setup.seed, &truth);
  const arma::mat x = arma::conv_to<arma::mat>::from(data.train.x);          // (d, n), x ~ N(0, I/d)
  const arma::mat y = arma::conv_to<arma::mat>::from(data.train.targets);    // (1, n)
  const arma::mat x_test = arma::conv_to<arma::mat>::from(data.test.x);
  const arma::rowvec y_test = arma::conv_to<arma::rowvec>::from(data.test.targets.row(0));
  const arma::vec& beta = truth.beta;

  Mlp<double> model(MlpSpec{.input_dim = setup.d, .hidden = {setup.width}, .output_dim = 1, .activation = setup.activation},
                     setup.seed + 1);
  arma::arma_rng::set_seed(setup.seed + 2);
  model.weights[0] = arma::randn(setup.width, setup.d);                             // W x ~ N(0, ‖x‖²) ≈ N(0, 1)
  model.weights[1] = arma::randn(1, setup.width) / std::sqrt(double(setup.width));  // a ~ N(0, I/m)

  SpikeResult r;
  r.setup = setup;
  const arma::mat w0 = model.weights[0];
  const Spectrum before = right_singular(w0);
  r.sv2_top_before = before.s(0) * before.s(0);
  r.beta_overlap_w_before = std::pow(arma::dot(before.v.col(0), beta), 2);
  r.mp_edge = marchenko_pastur_upper_edge(setup.width, setup.d, arma::accu(arma::square(w0)) / double(setup.width * setup.d));
  feature_stats(model, x_test, y_test, r.feature_eigs_before, r.target_r2_top1_before, r.target_r2_top5_before);

  ForwardPass<double> pass;
  BackwardPass<double> grads;
  r.train_loss_before = loss_and_backward(model, x, y, Loss::mse, pass, grads, true);
  const arma::mat& grad = grads.grad_w[0];  // (m, d)
  const arma::mat& g = grads.grad_h[0];     // (d, n): g_i = ∂ℒ/∂x_i, carrying 1/n
  const double eta = setup.lr;
  const arma::mat gx = g * x.t();           // Σ_i g_i x_iᵀ = Wᵀ∇ (Feature Learning Equation)
  const arma::mat first = -eta * (gx + gx.t());
  const arma::mat second = eta * eta * (grad.t() * grad);
  const arma::mat ggt = eta * eta * (g * g.t());

  model.weights[0] = w0 - eta * grad;
  const arma::mat w1 = model.weights[0];
  const arma::mat dgram = w1.t() * w1 - w0.t() * w0;
  r.identity_error = arma::norm(dgram - first - second, "fro") / arma::norm(dgram, "fro");
  r.dgram = part_stats(dgram, beta);
  r.first_order = part_stats(first, beta);
  r.second_order = part_stats(second, beta);
  r.vc = part_stats(first + ggt, beta);
  r.residual = part_stats(second - ggt, beta);
  r.second_share = r.second_order.beta_form / r.dgram.beta_form;

  const Spectrum after = right_singular(w1);
  r.sv2_top_after = after.s(0) * after.s(0);
  r.sv2_second_after = after.s.n_elem > 1 ? after.s(1) * after.s(1) : 0;
  r.beta_overlap_w_after = std::pow(arma::dot(after.v.col(0), beta), 2);
  r.outliers_after = count_outliers(arma::square(after.s), r.sv2_top_before);
  feature_stats(model, x_test, y_test, r.feature_eigs_after, r.target_r2_top1_after, r.target_r2_top5_after);
  ForwardPass<double> pass_after;
  forward(model, x, pass_after);
  r.train_loss_after = loss_and_gradient<double>(Loss::mse, pass_after.logits, y, nullptr);
  return r;
}

}  // namespace vclab
