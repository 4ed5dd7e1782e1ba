// VCL update rule (Cha & Lee 2025, Appendix B Algorithm 1): v_l = Σ_i (h⁺h⁺ᵀ − hhᵀ), V_l += v_l,
// W_l ← vcl_layer_update(W_l, M_l) with M_l per VclGram; the predictor by SGD.
#include "train/vcl.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <type_traits>

#include "io/state_archive.hpp"
#include "model/vc_shift.hpp"
#include "io/io_error.hpp"
#include "train/divergence.hpp"

namespace vclab {
namespace {

// The eigen-tracker every layer on the fast solver gets, at the start of VCL and when a checkpoint restores it.
const TrackerOptions kTrackerOptions{};

}  // namespace

template <class T> Vcl<T>::Vcl(VclOptions options) : options_(options) {
  if (!(options_.alpha > 0)) throw std::invalid_argument("VCL: alpha must be positive");
  if (!(options_.last_lr > 0)) throw std::invalid_argument("VCL: the last layer's learning rate must be positive");
}

template <class T> void Vcl<T>::on_epoch_begin(std::size_t epoch) {
  epoch_ = epoch;
  for (auto& s : stats_) s = VclLayerStats{s.layer};
}

template <class T> void Vcl<T>::start(const Network<T>& model) {
  // Algorithm 1: "Set initial virtual covariance shift of each layer V_l = 0" after the warm-up.
  const std::size_t n_hidden = model.n_layers() - 1;
  shift_.clear();
  w_init_.clear();
  target_.assign(n_hidden, arma::Mat<T>());
  shift_t_.assign(n_hidden, arma::Mat<T>());
  last_gram_weights_.assign(n_hidden, arma::Mat<T>());
  trackers_.clear();
  stats_.clear();
  for (std::size_t l = 0; l < n_hidden; ++l) {
    const std::size_t d = model.weight(l).n_cols, k = model.weight(l).n_rows;
    shift_.emplace_back(options_.gram == VclGram::per_step ? 0 : d, options_.gram == VclGram::per_step ? 0 : d,
                        arma::fill::zeros);
    if (options_.gram == VclGram::initial) w_init_.push_back(model.weight(l));
    // The tracker pays off only when its basis (k + guards) is well below d; otherwise the full EVD.
    const bool use_tracker = options_.fast_solver && d > options_.fast_solver_min_dim &&
                             k + kTrackerOptions.oversample + kTrackerOptions.low_guard < d;
    trackers_.push_back(use_tracker ? std::make_unique<TopEigenTracker<T>>(k, kTrackerOptions) : nullptr);
    stats_.push_back(VclLayerStats{l});
  }
  started_ = true;
}

template <class T> void Vcl<T>::update(Network<T>& model, const StepState<T>& state) {
  if (model.n_layers() < 2) throw std::invalid_argument("VCL needs at least one hidden layer");
  if (model.has_bias()) throw std::invalid_argument("VCL (Algorithm 1) has no bias update; train without --bias");
  const std::size_t last = model.n_layers() - 1;
  StepState<T> last_state = state;  // the predictor's SGD step uses its own learning rate
  last_state.lr = options_.last_lr;
  if (in_warmup()) {
    last_layer_sgd_.update_layers(model, last_state, last, last);
    return;
  }
  if (!started_) start(model);
  const VclStepOptions step_options{options_.alpha, options_.clip_negative};
  // All layers use this step's h_l and g_l, computed before any weight changed (Algorithm 1's inner loop).
  std::vector<arma::Mat<T>> updated(last);
  for (std::size_t l = 0; l < last; ++l) {
    const auto t0 = std::chrono::steady_clock::now();
    const arma::Mat<T>& w = model.weight(l);  // (d_{l+1}, d_l), or a conv kernel (c_out, c_in k²)
    const arma::Mat<T>& h = state.pass->layer_input(l);  // (d_l, B) features, or patches (c_in k², B·positions)
    const arma::Mat<T>& g = state.grads->input_grad(l);  // their gradients g_l, or g_p
    VclLayerResult<T> result;
    try {
      result = structured(l) ? structured_step(l, w, h, g, state.lr, step_options)
                             : matrix_step(l, w, h, g, state.lr, step_options);
    } catch (const std::runtime_error& e) {
      throw DivergenceError(std::int64_t(state.step), "layer " + std::to_string(l), "VCL eigen-step of W" + std::to_string(l),
                            e.what());
    }
    updated[l] = std::move(result.weights);
    VclLayerStats& s = stats_[l];
    if (s.vcl_steps == 0 || result.min_kept_eigenvalue < s.min_kept_eigenvalue) s.min_kept_eigenvalue = result.min_kept_eigenvalue;
    s.vcl_steps += 1;
    s.clipped_total += result.n_clipped;
    s.clipped_max = std::max(s.clipped_max, result.n_clipped);
    s.full_evd += result.solver.used_full ? 1 : 0;
    s.solver_fallbacks += result.solver.fell_back ? 1 : 0;
    s.solver_iterations += result.solver.iterations;
    if (!result.solver.used_full) s.max_certificate = std::max(s.max_certificate, result.solver.certificate);
    s.solver_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  for (std::size_t l = 0; l < last; ++l) model.weight(l) = std::move(updated[l]);
  if (options_.train_last) last_layer_sgd_.update_layers(model, last_state, last, last);
}

// Under prefix: attribute started, last_layer_sgd/ (Sgd's buffers), and once started, layer<l>/ with shift (V_l,
// float64), w_init (initial Gram only), target, last_gram_weights (each empty where unused) and tracker/ (with
// the attribute tracker = 1) where the layer has one.
template <class T> void Vcl<T>::save_state(StateArchive& file, const std::string& prefix) const {
  file.set_attribute(prefix, "started", std::int64_t(started_));
  last_layer_sgd_.save_state(file, prefix + "/last_layer_sgd");
  if (!started_) return;
  file.set_attribute(prefix, "n_hidden", std::int64_t(shift_.size()));
  for (std::size_t l = 0; l < shift_.size(); ++l) {
    const std::string layer = prefix + "/layer" + std::to_string(l);
    file.create_group(layer);
    file.write_matrix(layer + "/shift", shift_[l]);
    if (options_.gram == VclGram::initial) file.write_matrix(layer + "/w_init", w_init_[l]);
    file.write_matrix(layer + "/target", target_[l]);
    file.write_matrix(layer + "/last_gram_weights", last_gram_weights_[l]);
    file.set_attribute(layer, "tracker", std::int64_t(trackers_[l] != nullptr));
    if (trackers_[l]) trackers_[l]->save_state(file, layer + "/tracker");
  }
}

template <class T> void Vcl<T>::load_state(const StateArchive& file, const std::string& prefix) {
  last_layer_sgd_.load_state(file, prefix + "/last_layer_sgd");
  started_ = file.get_attribute_int(prefix, "started") != 0;
  shift_.clear();
  w_init_.clear();
  target_.clear();
  shift_t_.clear();
  last_gram_weights_.clear();
  trackers_.clear();
  stats_.clear();
  if (!started_) return;
  const auto read = [&](const std::string& path) { return arma::conv_to<arma::Mat<T>>::from(file.read_matrix(path)); };
  const std::int64_t n_hidden = file.get_attribute_int(prefix, "n_hidden");
  for (std::int64_t l = 0; l < n_hidden; ++l) {
    const std::string layer = prefix + "/layer" + std::to_string(l);
    shift_.push_back(file.read_matrix(layer + "/shift"));
    if (options_.gram == VclGram::initial) {
      if (!file.exists(layer + "/w_init"))
        throw IoError(file.path(), layer + ": no w_init, so the checkpoint was not written with --vcl-gram initial",
                      "Resume with the settings the checkpoint was written with (DIR/config.json)");
      w_init_.push_back(read(layer + "/w_init"));
    }
    target_.push_back(read(layer + "/target"));
    last_gram_weights_.push_back(read(layer + "/last_gram_weights"));
    shift_t_.emplace_back();
    std::unique_ptr<TopEigenTracker<T>> tracker;
    if (file.get_attribute_int(layer, "tracker") != 0) {
      tracker = std::make_unique<TopEigenTracker<T>>(std::size_t(file.get_attribute_int(layer + "/tracker", "k")), kTrackerOptions);
      tracker->load_state(file, layer + "/tracker");
    }
    trackers_.push_back(std::move(tracker));
    stats_.push_back(VclLayerStats{std::size_t(l)});
  }
}

template <class T> bool Vcl<T>::structured(std::size_t layer) const {
  return trackers_[layer] != nullptr && options_.gram != VclGram::per_step;
}

template <class T>
VclLayerResult<T> Vcl<T>::matrix_step(std::size_t l, const arma::Mat<T>& w, const arma::Mat<T>& h, const arma::Mat<T>& g, double lr,
                                      const VclStepOptions& step_options) {
  arma::Mat<T>& m = target_[l];  // (d_l, d_l) target Gram
  switch (options_.gram) {
    case VclGram::current:
      add_vc_shift(h, g, lr, VcStorage::symmetric, shift_[l]);  // V_l += v_l
      m = w.t() * w + arma::conv_to<arma::Mat<T>>::from(shift_[l]);
      break;
    case VclGram::initial:
      add_vc_shift(h, g, lr, VcStorage::symmetric, shift_[l]);
      m = w_init_[l].t() * w_init_[l] + arma::conv_to<arma::Mat<T>>::from(shift_[l]);
      break;
    case VclGram::per_step: {
      arma::mat v(w.n_cols, w.n_cols, arma::fill::zeros);  // (d_l, d_l) this step's v_l alone
      add_vc_shift(h, g, lr, VcStorage::symmetric, v);
      m = w.t() * w + arma::conv_to<arma::Mat<T>>::from(v);
      break;
    }
  }
  m = T(0.5) * (m + m.t());  // exact symmetry for the eigensolver (V's float conversion keeps it; WᵀW may not)
  return vcl_layer_update(w, m, step_options, trackers_[l].get());
}

template <class T>
VclLayerResult<T> Vcl<T>::structured_step(std::size_t l, const arma::Mat<T>& w, const arma::Mat<T>& h, const arma::Mat<T>& g,
                                          double lr, const VclStepOptions& step_options) {
  // v = a gᵀ + g aᵀ with the factor a = −γ h + (γ²/2) g; the tracker carries V·Q through the same factors.
  const arma::Mat<T> a = vc_shift_factor(h, g, lr);  // (d_l, B)
  add_vc_shift_factored(arma::conv_to<arma::mat>::from(a), arma::conv_to<arma::mat>::from(g), VcStorage::symmetric, shift_[l]);
  const arma::Mat<T>* shift = nullptr;
  if constexpr (std::is_same_v<T, double>) {
    shift = &shift_[l];
  } else {
    arma::Mat<T>& copy = shift_t_[l];
    copy.set_size(shift_[l].n_rows, shift_[l].n_cols);  // allocated once
    std::transform(shift_[l].begin(), shift_[l].end(), copy.begin(), [](double x) { return static_cast<T>(x); });
    shift = &copy;
  }
  const arma::Mat<T>& gram_weights = options_.gram == VclGram::initial ? w_init_[l] : w;
  last_gram_weights_[l] = gram_weights;
  target_[l].reset();
  return vcl_layer_update_shifted(w, gram_weights, *shift, a, g, step_options, *trackers_[l]);
}

template <class T> arma::Mat<T> Vcl<T>::last_target(std::size_t layer) const {
  if (!target_.at(layer).is_empty() || last_gram_weights_.at(layer).is_empty()) return target_[layer];
  const arma::Mat<T>& wg = last_gram_weights_[layer];
  arma::Mat<T> m = wg.t() * wg + arma::conv_to<arma::Mat<T>>::from(shift_[layer]);
  return T(0.5) * (m + m.t());
}

template class Vcl<float>;
template class Vcl<double>;

}  // namespace vclab
