// VCL on conv layers (issue 18): Algorithm 1 on the reshaped kernel with the target Gram in patch space. The shift V is
// the patches' virtual covariance written out here; a layer with c_out ≥ c_in k² keeps every eigenpair; a conv net
// trains by VCL through the trainer.
#include <doctest/doctest.h>

#include "model/backprop.hpp"
#include "test_util.hpp"
#include "train/trainer.hpp"
#include "train/vcl.hpp"

using namespace vclab;
using vclab::test::require_close;

namespace {

constexpr double kRoundingTol = 1e-11;  // EVD, SVD and products in double on patch spaces of ≤ 36 dimensions

// 1 × 6 × 6 images → conv `first` channels (3 × 3, same, max pool → 3 × 3) → conv 4 (3 × 3, valid → 1 × 1) → 3.
NetworkSpec conv_spec(std::size_t first) {
  return NetworkSpec{.channels = 1, .height = 6, .width = 6,
                     .conv = {ConvLayerSpec{.c_out = first, .kernel = 3, .stride = 1, .padding = Padding::same, .pooling = Pooling::max},
                              ConvLayerSpec{.c_out = 4, .kernel = 3, .stride = 1, .padding = Padding::valid, .pooling = Pooling::none}},
                     .hidden = {}, .output_dim = 3, .activation = Activation::tanh, .bias = false, .init = Init::pytorch};
}

struct Batch {
  arma::mat x, targets;
  NetworkForward<double> pass;
  NetworkBackward<double> grads;
  StepState<double> state;
};

void make_batch(const Network<double>& net, double lr, Batch& b) {
  arma::arma_rng::set_seed(5);
  b.x = arma::randn(net.spec.input_dim(), 8);
  b.targets = arma::zeros(3, 8);
  for (arma::uword i = 0; i < 8; ++i) b.targets(i % 3, i) = 1;
  loss_and_backward(net, b.x, b.targets, Loss::cross_entropy, b.pass, b.grads, false);
  b.state.lr = lr;
  b.state.pass = &b.pass;
  b.state.grads = &b.grads;
}

VclOptions no_warmup(double alpha) {
  VclOptions o;
  o.alpha = alpha;
  o.warmup_epochs = 0;
  o.clip_negative = false;
  return o;
}

}  // namespace

TEST_CASE("VCL on a conv layer: V is Σ over patch copies of p⁺p⁺ᵀ − ppᵀ, and at α = 1/2 the new Gram truncates W'W + V") {
  Network<double> net(conv_spec(3), 2);  // layer 0: k = 3 < d = 9
  Batch b;
  const double lr = 0.4;
  make_batch(net, lr, b);
  const arma::mat w0 = net.weight(0), p = b.pass.conv[0].patches, g = b.grads.conv[0].grad_patches;
  const arma::mat pp = p - lr * g;  // every patch copy's virtual update
  const arma::mat v = pp * pp.t() - p * p.t();
  Vcl<double> rule(no_warmup(0.5));
  rule.on_epoch_begin(0);
  rule.update(net, b.state);
  require_close(rule.cumulative_shift(0), v, kRoundingTol, "V of conv layer 0 against the patches");
  arma::vec lambda;
  arma::mat q;
  arma::eig_sym(lambda, q, arma::mat(w0.t() * w0 + v));
  const arma::mat qk = q.tail_cols(3);
  REQUIRE(lambda.tail(3).min() > 0);
  require_close(arma::mat(net.weight(0).t() * net.weight(0)), arma::mat(qk * arma::diagmat(lambda.tail(3)) * qk.t()),
                kRoundingTol, "W0+ᵀW0+ vs the rank-3 truncation of the patch-space target");
}

TEST_CASE("VCL on a conv layer with c_out ≥ c_in k² keeps every eigenpair: at α = 1/2 the new Gram is the target") {
  Network<double> net(conv_spec(12), 3);  // layer 0: k = 12 > d = 9
  Batch b;
  make_batch(net, 0.05, b);
  const arma::mat w0 = net.weight(0);
  Vcl<double> rule(no_warmup(0.5));
  rule.on_epoch_begin(0);
  rule.update(net, b.state);
  const arma::mat target = rule.last_target(0);
  arma::vec lambda = arma::eig_sym(target);
  REQUIRE(lambda.min() > 0);  // small γ: WᵀW + V stays positive definite, so nothing is clipped
  CHECK(arma::size(net.weight(0)) == arma::size(12, 9));
  require_close(arma::mat(net.weight(0).t() * net.weight(0)), target, kRoundingTol, "W0+ᵀW0+ vs the full target");
  CHECK(rule.epoch_stats().at(0).clipped_total == 0);
}

TEST_CASE("a conv net trains by VCL through the trainer: warm-up, then every conv layer moves") {
  arma::arma_rng::set_seed(9);
  Dataset train;
  train.name = "tiny-images";
  train.n_classes = 3;
  train.y = arma::randi<arma::uvec>(48, arma::distr_param(0, 2));
  train.x = arma::randn<arma::fmat>(36, 48) * 0.5f;
  for (arma::uword i = 0; i < 48; ++i) train.x(train.y(i) * 6, i) += 1.0f;
  Network<float> net(conv_spec(12), 4);
  const Network<float> start = net;
  VclOptions o;
  o.warmup_epochs = 1;
  o.last_lr = 0.1;
  Vcl<float> rule(o);
  TrainOptions t;
  t.lr = 0.5;
  t.batch = 16;
  t.epochs = 2;
  const TrainResult r = Trainer<float>(t, rule).run(net, train, train);
  REQUIRE_FALSE(r.diverged);
  for (std::size_t l = 0; l < net.n_layers(); ++l) CHECK(arma::abs(net.weight(l) - start.weight(l)).max() > 1e-4);
  CHECK(rule.epoch_stats().size() == 2);  // the two conv layers; the output layer trains by SGD
  CHECK(rule.epoch_stats().at(0).vcl_steps == 48 / 16);
}
