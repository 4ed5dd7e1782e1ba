// Recorders: each computes its quantities at checkpoints (the VC shift at every step) and writes them.
#include "record/recorders.hpp"

#include <sstream>
#include <stdexcept>

#include "io/state_archive.hpp"
#include "io/io_error.hpp"
#include "train/divergence.hpp"

namespace vclab {
namespace {

CheckpointMeta meta_of(const CheckpointInfo& info) { return CheckpointMeta{info.step, info.epoch, info.lr}; }

// G = WᵀW for W (d_{l+1}, d_l) or a conv kernel (c_out, c_in k²): diag = column sums of W∘W. Written into gram,
// whose memory is reused when it has the shape already. Armadillo evaluates WᵀW with dsyrk (unless W is tiny or a
// vector) and copies the upper triangle into the lower one, so G equals its transpose bit for bit; the recording
// writer checks that before it writes G without a transposed copy.
void gram_into(arma::mat& gram, const arma::mat& w, RecordMode mode) {
  if (mode == RecordMode::diag) gram = arma::sum(arma::square(w), 0).t();
  else gram = w.t() * w;
}

arma::mat gram_of(const arma::mat& w, RecordMode mode) {
  arma::mat gram;
  gram_into(gram, w, mode);
  return gram;
}

void check_finite(const arma::mat& value, const std::string& quantity, std::size_t layer, std::int64_t step) {
  if (!value.is_finite())
    throw DivergenceError(step, "layer " + std::to_string(layer), quantity, "NaN or Inf in the recorded quantity");
}

}  // namespace

std::set<std::string> parse_quantities(const std::string& comma_list) {
  std::set<std::string> out;
  std::stringstream ss(comma_list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty() || item == "none") continue;
    bool known = false;
    for (const auto& q : recordable_quantities()) known = known || q == item;
    if (!known) {
      std::string valid;
      for (const auto& q : recordable_quantities()) valid += (valid.empty() ? "" : ",") + q;
      throw std::invalid_argument("unknown quantity '" + item + "'; valid: " + valid);
    }
    out.insert(item);
  }
  return out;
}

template <class T>
GramRecorder<T>::GramRecorder(RecordingWriter& writer, RecordMode mode, std::set<std::string> quantities)
    : writer_(writer), mode_(mode), quantities_(std::move(quantities)) {}

template <class T> void GramRecorder<T>::on_begin(const Network<T>& model) {
  w0_.clear();
  gram0_.clear();
  modes_.clear();
  for (std::size_t l = 0; l < model.n_layers(); ++l) {
    modes_.push_back(layer_mode(model, l, mode_));
    w0_.push_back(arma::conv_to<arma::mat>::from(model.weight(l)));
    gram0_.push_back(gram_of(w0_.back(), modes_[l]));
  }
  w_.assign(model.n_layers(), arma::mat());
  gram_.assign(model.n_layers(), arma::mat());
  delta_.assign(model.n_layers(), arma::mat());
}

template <class T> void GramRecorder<T>::on_checkpoint(const Network<T>& model, const CheckpointInfo& info) {
  // Every layer is computed and checked before anything is written: a checkpoint is recorded whole or not at all.
  constexpr Symmetry kSymmetric = Symmetry::symmetric;
  for (std::size_t l = 0; l < model.n_layers(); ++l) {
    w_[l] = arma::conv_to<arma::mat>::from(model.weight(l));
    gram_into(gram_[l], w_[l], modes_[l]);
    check_finite(gram_[l], "gram", l, info.step);
  }
  for (std::size_t l = 0; l < model.n_layers(); ++l) {
    const bool diag = modes_[l] == RecordMode::diag;
    if (quantities_.count("gram")) writer_.add("gram", l, info.index, meta_of(info), gram_[l], diag, kSymmetric);
    if (quantities_.count("dgram")) {
      delta_[l] = gram_[l] - gram0_[l];
      writer_.add("dgram", l, info.index, meta_of(info), delta_[l], diag, kSymmetric);
    }
    if (quantities_.count("gram_dw")) {
      gram_into(delta_[l], w_[l] - w0_[l], modes_[l]);
      writer_.add("gram_dw", l, info.index, meta_of(info), delta_[l], diag, kSymmetric);
    }
    if (quantities_.count("sv")) {
      arma::vec sv;
      if (!arma::svd(sv, w_[l])) throw std::runtime_error("singular values of W" + std::to_string(l) + " failed at step " + std::to_string(info.step));
      writer_.add("sv", l, info.index, meta_of(info), sv, true);
    }
  }
  writer_.flush();
}

template <class T> void GramRecorder<T>::save_state(StateArchive& file, const std::string& prefix) const {
  file.set_attribute(prefix, "n_layers", std::int64_t(w0_.size()));
  for (std::size_t l = 0; l < w0_.size(); ++l) file.write_matrix(prefix + "/w0_" + std::to_string(l), w0_[l]);
}

template <class T> void GramRecorder<T>::load_state(const StateArchive& file, const std::string& prefix) {
  const std::int64_t n = file.get_attribute_int(prefix, "n_layers");
  if (n != std::int64_t(w0_.size()))
    throw IoError(file.path(), prefix + ": holds W(0) of " + std::to_string(n) + " layers, the model has " + std::to_string(w0_.size()));
  for (std::size_t l = 0; l < w0_.size(); ++l) {
    w0_[l] = file.read_matrix(prefix + "/w0_" + std::to_string(l));
    gram0_[l] = gram_of(w0_[l], modes_[l]);
  }
}

template <class T> VcShiftRecorder<T>::VcShiftRecorder(RecordingWriter* writer, RecordMode mode) : writer_(writer), mode_(mode) {}

template <class T> void VcShiftRecorder<T>::on_begin(const Network<T>& model) {
  std::vector<std::size_t> widths;
  std::vector<RecordMode> modes;
  for (std::size_t l = 0; l < model.n_layers(); ++l) {
    widths.push_back(model.input_width(l));
    modes.push_back(layer_mode(model, l, mode_));
  }
  accumulator_ = VcShiftAccumulator(widths, std::move(modes));
}

template <class T> void VcShiftRecorder<T>::on_backward(const Network<T>& model, const StepState<T>& state) {
  for (std::size_t l = 0; l < model.n_layers(); ++l)  // g_0 is there: needs_input_grad(); a conv layer's g_p always
    accumulator_.add(l, state.pass->layer_input(l), state.grads->input_grad(l), state.lr);
}

template <class T> void VcShiftRecorder<T>::on_checkpoint(const Network<T>& model, const CheckpointInfo& info) {
  if (!writer_) return;
  std::vector<arma::mat> v;
  for (std::size_t l = 0; l < model.n_layers(); ++l) {
    v.push_back(accumulator_.value(l));
    check_finite(v.back(), "vc", l, info.step);
  }
  for (std::size_t l = 0; l < model.n_layers(); ++l)
    writer_->add("vc", l, info.index, meta_of(info), v[l], accumulator_.mode(l) == RecordMode::diag, Symmetry::symmetric);
  writer_->flush();
}

template <class T> void VcShiftRecorder<T>::save_state(StateArchive& file, const std::string& prefix) const {
  const auto& v = accumulator_.raw();
  file.set_attribute(prefix, "n_layers", std::int64_t(v.size()));
  for (std::size_t l = 0; l < v.size(); ++l) file.write_matrix(prefix + "/v" + std::to_string(l), v[l]);
}

template <class T> void VcShiftRecorder<T>::load_state(const StateArchive& file, const std::string& prefix) {
  const std::size_t n = accumulator_.n_layers();
  if (file.get_attribute_int(prefix, "n_layers") != std::int64_t(n))
    throw IoError(file.path(), prefix + ": holds V of another number of layers than the model's " + std::to_string(n));
  std::vector<arma::mat> v;
  for (std::size_t l = 0; l < n; ++l) {
    v.push_back(file.read_matrix(prefix + "/v" + std::to_string(l)));
    if (arma::size(v.back()) != arma::size(accumulator_.raw()[l]))
      throw IoError(file.path(), prefix + "/v" + std::to_string(l) + ": shape differs from this run's (another --record-mode?)");
  }
  accumulator_.set_raw(std::move(v));
}

template <class T>
AgopRecorder<T>::AgopRecorder(RecordingWriter& writer, const Dataset& data, Loss loss, AgopOptions options, bool agop, bool egop)
    : writer_(writer), data_(data), loss_(loss), options_(options), agop_(agop), egop_(egop) {}

template <class T> void AgopRecorder<T>::on_checkpoint(const Network<T>& model, const CheckpointInfo& info) {
  std::vector<arma::mat> a, e;
  if (agop_) a = compute_agop(model, data_, options_);
  if (egop_) e = compute_egop(model, data_, loss_, options_);
  for (std::size_t l = 0; l < a.size(); ++l) check_finite(a[l], "agop", l, info.step);
  for (std::size_t l = 0; l < e.size(); ++l) check_finite(e[l], "egop", l, info.step);
  const auto diag = [&](std::size_t l) { return layer_mode(model, l, options_.mode) == RecordMode::diag; };
  // Symmetric as computed up to rounding; write_symmetric_matrix checks bit for bit and transposes if need be.
  for (std::size_t l = 0; l < a.size(); ++l) writer_.add("agop", l, info.index, meta_of(info), a[l], diag(l), Symmetry::symmetric);
  for (std::size_t l = 0; l < e.size(); ++l) writer_.add("egop", l, info.index, meta_of(info), e[l], diag(l), Symmetry::symmetric);
  writer_.flush();
}

template class GramRecorder<float>;
template class GramRecorder<double>;
template class VcShiftRecorder<float>;
template class VcShiftRecorder<double>;
template class AgopRecorder<float>;
template class AgopRecorder<double>;

}  // namespace vclab
