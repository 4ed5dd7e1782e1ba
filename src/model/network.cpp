// Network construction, forward and backward. Shapes: x_l (c_l H_l W_l, B), P_l (c_l k², B·n_l), W_l (c_{l+1}, c_l k²),
// z_l and h_l (c_{l+1} n_l, B) with n_l = H_out·W_out of layer l, pooled y_l = x_{l+1}; all images channel-major.
#include "model/network.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace vclab {

std::size_t layer_output_dim(const ConvGeometry& conv, Pooling pooling) {
  return pooling == Pooling::none ? conv.output_dim() : pool_geometry(conv).output_dim();
}

std::vector<ConvGeometry> NetworkSpec::conv_geometries() const {
  std::vector<ConvGeometry> geometries;
  std::size_t c = channels, h = height, w = width;  // what layer l reads
  for (std::size_t l = 0; l < conv.size(); ++l) {
    const ConvLayerSpec& layer = conv[l];
    const ConvGeometry g{.c_in = c, .height = h, .width = w, .c_out = layer.c_out, .kernel = layer.kernel,
                         .stride = layer.stride, .padding = layer.padding};
    try {
      g.check();
      if (layer.pooling != Pooling::none) pool_geometry(g).check();
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("conv layer " + std::to_string(l) + " (input " + std::to_string(c) + " × " +
                                  std::to_string(h) + " × " + std::to_string(w) + "): " + e.what());
    }
    geometries.push_back(g);
    c = g.c_out;
    h = layer.pooling == Pooling::none ? g.out_height() : pool_geometry(g).out_height();
    w = layer.pooling == Pooling::none ? g.out_width() : pool_geometry(g).out_width();
  }
  return geometries;
}

std::size_t NetworkSpec::flat_dim() const {
  const std::vector<ConvGeometry> geometries = conv_geometries();
  if (geometries.empty()) return input_dim();
  return layer_output_dim(geometries.back(), conv.back().pooling);
}

MlpSpec NetworkSpec::head_spec() const {
  return MlpSpec{.input_dim = flat_dim(), .hidden = hidden, .output_dim = output_dim, .activation = activation,
                 .bias = bias, .init = init};
}

template <class T> Network<T>::Network(const NetworkSpec& s, std::uint64_t seed) : spec(s) {
  if (spec.input_dim() == 0) throw std::invalid_argument("conv net: input channels, height and width must be positive");
  const std::vector<ConvGeometry> geometries = spec.conv_geometries();
  std::mt19937_64 rng(seed);
  for (const ConvGeometry& g : geometries) {
    arma::Mat<T> w(g.c_out, g.patch_dim());  // (c_out, c_in k²): fan_in = c_in k²
    arma::Col<T> b;
    initialize_layer<T>(spec.init, w, spec.bias ? &b : nullptr, rng, g.kernel * g.kernel);
    kernels.push_back(std::move(w));
    if (spec.bias) biases.push_back(std::move(b));
  }
  head = Mlp<T>(spec.head_spec(), rng);  // the same stream continues into the head
}

template <class T> Network<T>::Network(Mlp<T> mlp) : head(std::move(mlp)) {
  const MlpSpec& m = head.spec;
  spec = NetworkSpec{.channels = m.input_dim, .height = 1, .width = 1, .conv = {}, .hidden = m.hidden,
                     .output_dim = m.output_dim, .activation = m.activation, .bias = m.bias, .init = m.init};
}

namespace {
// X: const arma::Mat<T>& or arma::Mat<T> (a caller's temporary, which a net without conv layers moves into its head).
template <class T, class X> void forward_network(const Network<T>& net, X&& x, NetworkForward<T>& pass) {
  const std::vector<ConvGeometry> geometries = net.spec.conv_geometries();
  const std::size_t n_layers = geometries.size();
  if (x.n_rows != net.spec.input_dim())
    throw std::invalid_argument("conv net input has " + std::to_string(x.n_rows) + " rows, the spec needs c·H·W = " +
                                std::to_string(net.spec.input_dim()));
  pass.conv.resize(n_layers);
  pass.h.resize(n_layers);
  pass.slope.resize(pass.with_slopes ? n_layers : 0);
  pass.head.with_slopes = pass.with_slopes;
  pass.pool.assign(n_layers, PoolForward<T>{});
  const arma::Mat<T>* input = &x;  // x_l: the images, then each layer's (pooled) output
  for (std::size_t l = 0; l < n_layers; ++l) {
    const ConvGeometry& g = geometries[l];
    conv_forward(g, net.kernels[l], *input, pass.conv[l], net.has_bias() ? &net.biases[l] : nullptr);
    // z_l = W_l P_l (+ b_l)   (c_{l+1} n_l, B)
    if (pass.with_slopes) activate_with_derivative(net.spec.activation, pass.conv[l].z, pass.h[l], pass.slope[l]);
    else activate(net.spec.activation, pass.conv[l].z, pass.h[l]);  // h_l = σ(z_l)   (c_{l+1} n_l, B)
    const Pooling pooling = net.spec.conv[l].pooling;
    if (pooling != Pooling::none) pool_forward(pooling, pool_geometry(g), pass.h[l], pass.pool[l]);  // y_l = pool(h_l)
    input = &pass.output(l);
  }
  // flatten is the identity: the channel-major column is the vector
  if (n_layers == 0) forward(net.head, std::forward<X>(x), pass.head);
  else forward(net.head, *input, pass.head);
}
}  // namespace

template <class T> void forward(const Network<T>& net, const arma::Mat<T>& x, NetworkForward<T>& pass) {
  forward_network(net, x, pass);
}
template <class T> void forward(const Network<T>& net, arma::Mat<T>&& x, NetworkForward<T>& pass) {
  forward_network(net, std::move(x), pass);
}

template <class T>
void backward(const Network<T>& net, const NetworkForward<T>& pass, const arma::Mat<T>& grad_logits,
              NetworkBackward<T>& grads, bool need_input_grad) {
  const std::vector<ConvGeometry> geometries = net.spec.conv_geometries();
  const std::size_t n_layers = geometries.size();
  // The head's input is x_K (K = n_layers); its gradient is needed unless there is no conv layer and no input grad.
  backward(net.head, pass.head, grad_logits, grads.head, n_layers > 0 || need_input_grad);
  grads.conv.resize(n_layers);
  grads.grad_h.resize(n_layers);
  grads.grad_z.resize(n_layers);
  for (std::size_t l = n_layers; l-- > 0;) {
    const ConvGeometry& g = geometries[l];
    // ∂ℒ/∂y_l: the head's input gradient for the last layer, else the next layer's ∂ℒ/∂x_{l+1}
    const arma::Mat<T>& grad_out = l + 1 == n_layers ? grads.head.grad_h[0] : grads.conv[l + 1].grad_x;
    const Pooling pooling = net.spec.conv[l].pooling;
    // y_l = pool(h_l)  ⇒  ∂ℒ/∂h_l = pool_backward(∂ℒ/∂y_l); without pooling y_l = h_l
    grads.grad_h[l] = pooling == Pooling::none ? grad_out : pool_backward(pooling, pool_geometry(g), pass.pool[l], grad_out);
    // h_l = σ(z_l)  ⇒  ∂ℒ/∂z_l = ∂ℒ/∂h_l ∘ σ'(z_l)
    if (pass.slope.empty()) grads.grad_z[l] = grads.grad_h[l] % activate_derivative(net.spec.activation, pass.conv[l].z);
    else grads.grad_z[l] = grads.grad_h[l] % pass.slope[l];
    // z_l = W_l P_l (+ b_l)  ⇒  ∇W_l = δ Pᵀ, g_p = W_lᵀ δ, ∂ℒ/∂x_l = col2im(g_p)
    conv_backward(g, net.kernels[l], pass.conv[l], grads.grad_z[l], grads.conv[l], net.has_bias(),
                  l > 0 || need_input_grad);
  }
}

template <class T>
double loss_and_backward(const Network<T>& net, arma::Mat<T> x, const arma::Mat<T>& targets, Loss loss,
                              NetworkForward<T>& pass, NetworkBackward<T>& grads, bool need_input_grad) {
  pass.with_slopes = true;
  forward(net, std::move(x), pass);
  arma::Mat<T> grad_logits;
  const double value = loss_and_gradient(loss, pass.logits(), targets, &grad_logits);
  backward(net, pass, grad_logits, grads, need_input_grad);
  return value;
}

template <class T> std::size_t memory_capped_batch(const Network<T>& net, std::size_t requested, std::size_t bytes) {
  if (net.n_conv_layers() == 0) return requested;
  std::size_t widest = net.spec.flat_dim();  // per-sample values of one layer's patches, activations or gradients
  for (const ConvGeometry& g : net.spec.conv_geometries())
    widest = std::max({widest, g.patch_dim() * g.positions(), g.input_dim(), g.output_dim()});
  return std::clamp<std::size_t>(bytes / (widest * sizeof(T)), 1, requested);
}

template <class T>
void output_jacobians(const Network<T>& net, const NetworkForward<T>& pass, const arma::Mat<T>& seed,
                      std::vector<arma::Mat<T>>& jacobians) {
  const std::size_t n_conv = net.n_conv_layers();
  if (pass.slope.size() != n_conv)
    throw std::logic_error("output_jacobians: the forward pass kept no slopes (set NetworkForward::with_slopes)");
  std::vector<arma::Mat<T>> head;
  backpropagate_to_preactivations(net.head, pass.head, seed, head);  // head[j] = ∂/∂z of head layer j's output
  jacobians.resize(net.n_layers());
  for (std::size_t j = 0; j < head.size(); ++j) jacobians[n_conv + j] = std::move(head[j]);
  if (n_conv == 0) return;
  const std::vector<ConvGeometry> geometries = net.spec.conv_geometries();
  arma::Mat<T> grad_out = net.head.weights[0].t() * jacobians[n_conv];  // ∂/∂(flattened features)   (flat_dim, B)
  for (std::size_t l = n_conv; l-- > 0;) {
    const ConvGeometry& g = geometries[l];
    const Pooling pooling = net.spec.conv[l].pooling;
    // y_l = pool(h_l), h_l = σ(z_l)  ⇒  ∂/∂z_l = pool_backward(∂/∂y_l) ∘ σ'(z_l)   (c_out n_l, B)
    const arma::Mat<T> grad_h = pooling == Pooling::none ? grad_out
                                                         : pool_backward(pooling, pool_geometry(g), pass.pool[l], grad_out);
    jacobians[l] = to_channel_rows(arma::Mat<T>(grad_h % pass.slope[l]), g.c_out);  // (c_out, B·n_l)
    // z_l = W_l P_l, P_l = im2col(x_l)  ⇒  ∂/∂x_l = col2im(W_lᵀ δ)
    if (l > 0) grad_out = col2im(g, arma::Mat<T>(net.kernels[l].t() * jacobians[l]));
  }
}

#define VCLAB_INSTANTIATE(T)                                                                                     \
  template struct Network<T>;                                                                                  \
  template void forward<T>(const Network<T>&, const arma::Mat<T>&, NetworkForward<T>&);                       \
  template void forward<T>(const Network<T>&, arma::Mat<T>&&, NetworkForward<T>&);                            \
  template void backward<T>(const Network<T>&, const NetworkForward<T>&, const arma::Mat<T>&,                 \
                            NetworkBackward<T>&, bool);                                                       \
  template std::size_t memory_capped_batch<T>(const Network<T>&, std::size_t, std::size_t);                   \
  template void output_jacobians<T>(const Network<T>&, const NetworkForward<T>&, const arma::Mat<T>&,          \
                                    std::vector<arma::Mat<T>>&);                                              \
  template double loss_and_backward<T>(const Network<T>&, arma::Mat<T>, const arma::Mat<T>&, Loss,       \
                                            NetworkForward<T>&, NetworkBackward<T>&, bool);
VCLAB_INSTANTIATE(float)
VCLAB_INSTANTIATE(double)
#undef VCLAB_INSTANTIATE

}  // namespace vclab
