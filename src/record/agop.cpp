// Cheap AGOP/EGOP: the per-sample sum lives in the narrow width d_{l+1}; never forms per-sample d_l×d_l products.
#include "record/agop.hpp"

#include <algorithm>
#include <stdexcept>

#include "model/backprop.hpp"
#include "train/trainer.hpp"

namespace vclab {
namespace {

// A_l from K_l (d_{l+1}, d_{l+1}) and W_l (d_{l+1}, d_l): diag(WᵀKW) = column sums of (K W) ∘ W.
arma::mat sandwich(const arma::mat& k, const arma::mat& w, RecordMode mode) {
  const arma::mat kw = k * w;  // (d_{l+1}, d_l)
  if (mode == RecordMode::diag) return arma::sum(kw % w, 0).t();
  arma::mat a = w.t() * kw;
  return 0.5 * (a + a.t());
}

std::size_t sample_count(const Dataset& data, std::size_t requested) {
  if (data.size() == 0) throw std::invalid_argument("AGOP needs at least one sample");
  return requested == 0 ? data.size() : std::min(requested, data.size());
}

}  // namespace

template <class T> std::vector<arma::mat> compute_agop(const Mlp<T>& model, const Dataset& data, const AgopOptions& options) {
  const std::size_t n = sample_count(data, options.n_samples);
  const std::size_t n_layers = model.n_layers(), last = n_layers - 1, n_out = model.spec.output_dim;
  std::vector<arma::mat> k(n_layers), mean_j(n_layers);  // mean_j[l]: (d_{l+1}, C) Σ_i J_{c,i}
  for (std::size_t l = 0; l < n_layers; ++l) {
    k[l].zeros(model.spec.width(l + 1), model.spec.width(l + 1));
    mean_j[l].zeros(model.spec.width(l + 1), n_out);
  }
  const arma::mat w_last = arma::conv_to<arma::mat>::from(model.weights[last]);  // (C, d_L)
  const arma::mat gram_last = w_last.t() * w_last;                              // W_LᵀW_L (d_L, d_L)
  ForwardPass<T> pass;
  pass.with_slopes = true;  // σ'(z) with h in one pass (GELU: one erf per element instead of two)
  std::vector<arma::Mat<T>> grad_z;
  for (std::size_t start = 0; start < n; start += options.batch) {
    const std::size_t stop = std::min(n, start + options.batch);
    const arma::uvec idx = arma::regspace<arma::uvec>(start, stop - 1);
    forward_columns(model, data.x, start, stop - start, pass);  // reads the columns in place
    if (n_layers >= 2) {
      // Last hidden layer: Σ_c J_iᵀJ_i = diag(s_i) W_LᵀW_L diag(s_i), so Σ_i = (W_LᵀW_L) ∘ (S Sᵀ).
      const arma::mat s = arma::conv_to<arma::mat>::from(pass.slope[last]);
      k[last - 1] += gram_last % (s * s.t());
      if (options.centered) mean_j[last - 1] += w_last.t().eval().each_col() % arma::sum(s, 1);
    }
    if (n_layers >= 3) {  // deeper layers: one backward pass per output c
      for (std::size_t c = 0; c < n_out; ++c) {
        arma::Mat<T> seed(n_out, idx.n_elem, arma::fill::zeros);
        seed.row(c).ones();
        backpropagate_to_preactivations(model, pass, seed, grad_z);
        for (std::size_t l = 0; l + 2 < n_layers; ++l) {
          const arma::mat j = arma::conv_to<arma::mat>::from(grad_z[l]);  // J_c for layer l: (d_{l+1}, b)
          k[l] += j * j.t();
          if (options.centered) mean_j[l].col(c) += arma::sum(j, 1);
        }
      }
    }
  }
  // Output layer: ∂f/∂z_{L+1} = I, so K_L = I and A_L = W_LᵀW_L (its Jacobian is constant; centred it is 0).
  k[last] = arma::eye(n_out, n_out) * double(n);
  if (options.centered) mean_j[last] = arma::eye(n_out, n_out) * double(n);

  std::vector<arma::mat> result(n_layers);
  for (std::size_t l = 0; l < n_layers; ++l) {
    arma::mat kl = k[l] / double(n);
    if (options.centered) {
      const arma::mat m = mean_j[l] / double(n);  // J̄ for every class: (d_{l+1}, C)
      kl -= m * m.t();
    }
    result[l] = sandwich(kl, arma::conv_to<arma::mat>::from(model.weights[l]), options.mode);
  }
  return result;
}

template <class T>
std::vector<arma::mat> compute_egop(const Mlp<T>& model, const Dataset& data, Loss loss, const AgopOptions& options) {
  const std::size_t n = sample_count(data, options.n_samples);
  const std::size_t n_layers = model.n_layers();
  std::vector<arma::mat> k(n_layers);
  for (std::size_t l = 0; l < n_layers; ++l) k[l].zeros(model.spec.width(l + 1), model.spec.width(l + 1));
  ForwardPass<T> pass;
  std::vector<arma::Mat<T>> grad_z;
  for (std::size_t start = 0; start < n; start += options.batch) {
    const std::size_t stop = std::min(n, start + options.batch);
    const arma::uvec idx = arma::regspace<arma::uvec>(start, stop - 1);
    forward(model, batch_inputs<T>(data, idx), pass);
    arma::Mat<T> seed;  // ∂ℓ_i/∂f_i (C, b), per sample (no 1/B)
    per_sample_loss_gradient(loss, pass.logits, batch_targets<T>(data, idx, model.spec.output_dim), &seed);
    backpropagate_to_preactivations(model, pass, seed, grad_z);
    for (std::size_t l = 0; l < n_layers; ++l) {
      const arma::mat j = arma::conv_to<arma::mat>::from(grad_z[l]);
      k[l] += j * j.t();
    }
  }
  std::vector<arma::mat> result(n_layers);
  for (std::size_t l = 0; l < n_layers; ++l)
    result[l] = sandwich(k[l] / double(n), arma::conv_to<arma::mat>::from(model.weights[l]), options.mode);
  return result;
}

template <class T> arma::mat brute_force_agop(const Mlp<T>& model, const arma::Mat<T>& x, std::size_t layer, bool centered) {
  const std::size_t n = x.n_cols, n_out = model.spec.output_dim, d = model.spec.width(layer);
  arma::mat sum_outer(d, d, arma::fill::zeros);
  arma::mat sum_grad(d, n_out, arma::fill::zeros);
  ForwardPass<T> pass;
  std::vector<arma::Mat<T>> grad_z;
  for (std::size_t i = 0; i < n; ++i) {
    forward(model, arma::Mat<T>(x.col(i)), pass);
    for (std::size_t c = 0; c < n_out; ++c) {
      arma::Mat<T> seed(n_out, 1, arma::fill::zeros);
      seed(c, 0) = T(1);
      backpropagate_to_preactivations(model, pass, seed, grad_z);
      const arma::vec g = arma::conv_to<arma::vec>::from(model.weights[layer].t() * grad_z[layer]);  // ∇_{h_l} f_c
      sum_outer += g * g.t();
      sum_grad.col(c) += g;
    }
  }
  arma::mat agop = sum_outer / double(n);
  if (centered) {
    const arma::mat mean = sum_grad / double(n);
    agop -= mean * mean.t();
  }
  return agop;
}

namespace {

// Per weight layer of a Network: Σ J Jᵀ and (centred) per seed Σ J over the columns of J = ∂(seed·f)/∂z_i
// (output_jacobians: one column per sample and position). Each batch's J Jᵀ is one double GEMM: a float product over
// B·positions terms (14,336 for conv 32 on CIFAR-10) was off by ~1e-5 relative; J itself has the model's precision.
template <class T> struct JacobianSums {
  bool centered = false;
  std::vector<arma::mat> k;      // (rows_i, rows_i)
  std::vector<arma::mat> sum_j;  // (rows_i, seeds), centred only
  std::vector<double> columns;   // samples × positions, counted on seed 0

  JacobianSums(const Network<T>& net, std::size_t seeds, bool centred) : centered(centred), columns(net.n_layers(), 0.0) {
    for (std::size_t i = 0; i < net.n_layers(); ++i) {
      const std::size_t rows = net.weight(i).n_rows;
      k.emplace_back(rows, rows, arma::fill::zeros);
      sum_j.emplace_back(centered ? rows : 0, centered ? seeds : 0, arma::fill::zeros);
    }
  }

  void add(const std::vector<arma::Mat<T>>& jacobians, std::size_t seed) {
    for (std::size_t i = 0; i < jacobians.size(); ++i) {
      const arma::Mat<T>& j = jacobians[i];
      const arma::mat jd = arma::conv_to<arma::mat>::from(j);  // (rows_i, columns)
      k[i] += jd * jd.t();
      if (centered) sum_j[i].col(seed) += arma::conv_to<arma::vec>::from(arma::Col<T>(arma::sum(j, 1)));
      if (seed == 0) columns[i] += double(j.n_cols);
    }
  }

  // A_i = W_iᵀ (K_i / n − J̄ J̄ᵀ) W_i, n = samples × positions; J̄ only when centred.
  std::vector<arma::mat> result(const Network<T>& net, RecordMode dense_mode) const {
    std::vector<arma::mat> out;
    for (std::size_t i = 0; i < net.n_layers(); ++i) {
      arma::mat ki = k[i] / columns[i];
      if (centered) {
        const arma::mat mean = sum_j[i] / columns[i];
        ki -= mean * mean.t();
      }
      out.push_back(sandwich(ki, arma::conv_to<arma::mat>::from(net.weight(i)), layer_mode(net, i, dense_mode)));
    }
    return out;
  }
};

// A conv net's AGOP/EGOP batches: the widest per-sample block within 4 MiB (2 AGOPs over 1,000 CIFAR-10 images with
// conv 32,64: 84.5 s at batch 500, 25.8 s capped).
constexpr std::size_t kConvBatchBytes = std::size_t(4) << 20;

}  // namespace

template <class T> std::vector<arma::mat> compute_agop(const Network<T>& model, const Dataset& data, const AgopOptions& options) {
  if (model.n_conv_layers() == 0) return compute_agop(model.head, data, options);
  const std::size_t n = sample_count(data, options.n_samples), n_out = model.spec.output_dim;
  const std::size_t batch = memory_capped_batch(model, options.batch, kConvBatchBytes);
  JacobianSums<T> sums(model, n_out, options.centered);
  NetworkForward<T> pass;
  pass.with_slopes = true;  // σ'(z) of every layer, with h in one pass, reused for every seed
  std::vector<arma::Mat<T>> jacobians;
  for (std::size_t start = 0; start < n; start += batch) {
    const arma::uvec idx = arma::regspace<arma::uvec>(start, std::min(n, start + batch) - 1);
    forward(model, batch_inputs<T>(data, idx), pass);
    for (std::size_t c = 0; c < n_out; ++c) {  // seed e_c for every sample: J = ∂f_c/∂z_i
      arma::Mat<T> seed(n_out, idx.n_elem, arma::fill::zeros);
      seed.row(c).ones();
      output_jacobians(model, pass, seed, jacobians);
      sums.add(jacobians, c);
    }
  }
  return sums.result(model, options.mode);
}

template <class T>
std::vector<arma::mat> compute_egop(const Network<T>& model, const Dataset& data, Loss loss, const AgopOptions& options) {
  if (model.n_conv_layers() == 0) return compute_egop(model.head, data, loss, options);
  const std::size_t n = sample_count(data, options.n_samples);
  const std::size_t batch = memory_capped_batch(model, options.batch, kConvBatchBytes);
  JacobianSums<T> sums(model, 1, false);
  NetworkForward<T> pass;
  pass.with_slopes = true;  // σ'(z) of every layer, with h in one pass
  std::vector<arma::Mat<T>> jacobians;
  for (std::size_t start = 0; start < n; start += batch) {
    const arma::uvec idx = arma::regspace<arma::uvec>(start, std::min(n, start + batch) - 1);
    forward(model, batch_inputs<T>(data, idx), pass);
    arma::Mat<T> seed;  // ∂ℓ_i/∂f_i (C, b), per sample (no 1/B)
    per_sample_loss_gradient(loss, pass.logits(), batch_targets<T>(data, idx, model.spec.output_dim), &seed);
    output_jacobians(model, pass, seed, jacobians);
    sums.add(jacobians, 0);
  }
  return sums.result(model, options.mode);
}

template <class T> arma::mat brute_force_agop(const Network<T>& model, const arma::Mat<T>& x, std::size_t layer, bool centered) {
  const std::size_t n_out = model.spec.output_dim, d = model.input_width(layer);
  arma::mat sum_outer(d, d, arma::fill::zeros);
  arma::mat sum_grad(d, n_out, arma::fill::zeros);
  double columns = 0;  // samples × positions
  NetworkForward<T> pass;
  NetworkBackward<T> grads;
  for (std::size_t i = 0; i < x.n_cols; ++i) {
    forward(model, arma::Mat<T>(x.col(i)), pass);
    for (std::size_t c = 0; c < n_out; ++c) {
      arma::Mat<T> seed(n_out, 1, arma::fill::zeros);
      seed(c, 0) = T(1);
      backward(model, pass, seed, grads, true);
      const arma::mat g = arma::conv_to<arma::mat>::from(grads.input_grad(layer));  // ∇f_c of every patch copy: (d, positions)
      for (std::size_t q = 0; q < g.n_cols; ++q) sum_outer += g.col(q) * g.col(q).t();
      sum_grad.col(c) += arma::sum(g, 1);
      if (c == 0) columns += double(g.n_cols);
    }
  }
  arma::mat agop = sum_outer / columns;
  if (centered) {
    const arma::mat mean = sum_grad / columns;
    agop -= mean * mean.t();
  }
  return agop;
}

#define VCLAB_INSTANTIATE(T)                                                                                 \
  template std::vector<arma::mat> compute_agop<T>(const Mlp<T>&, const Dataset&, const AgopOptions&);        \
  template std::vector<arma::mat> compute_egop<T>(const Mlp<T>&, const Dataset&, Loss, const AgopOptions&);  \
  template arma::mat brute_force_agop<T>(const Mlp<T>&, const arma::Mat<T>&, std::size_t, bool);                \
  template std::vector<arma::mat> compute_agop<T>(const Network<T>&, const Dataset&, const AgopOptions&);    \
  template std::vector<arma::mat> compute_egop<T>(const Network<T>&, const Dataset&, Loss, const AgopOptions&); \
  template arma::mat brute_force_agop<T>(const Network<T>&, const arma::Mat<T>&, std::size_t, bool);
VCLAB_INSTANTIATE(float)
VCLAB_INSTANTIATE(double)
#undef VCLAB_INSTANTIATE

}  // namespace vclab
