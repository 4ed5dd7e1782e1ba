// DIR/vcl_stats.csv rows: epoch, phase (warmup | vcl), layer, eigen-steps, clipped eigenvalues, λ_k min, solver cost.
#include "train/vcl_stats_writer.hpp"

#include <limits>

namespace vclab {

template <class T>
VclStatsWriter<T>::VclStatsWriter(std::filesystem::path path, const Vcl<T>& rule)
    : path_(std::move(path)),
      rule_(rule),
      table_({"epoch", "phase", "layer", "vcl_steps", "clipped_total", "clipped_max_per_step", "clipped_mean_per_step",
              "min_kept_eigenvalue", "full_evd", "solver_iterations", "solver_seconds"}) {}

template <class T> void VclStatsWriter<T>::on_epoch_end(const Mlp<T>& model, const EpochMetrics& m) {
  if (m.epoch == 0) return;  // the initial evaluation, before any step
  if (rule_.in_warmup()) {
    for (std::size_t l = 0; l + 1 < model.n_layers(); ++l)
      table_.append_row({std::int64_t(m.epoch), std::string("warmup"), std::int64_t(l), std::int64_t(0), std::int64_t(0),
                         std::int64_t(0), 0.0, std::numeric_limits<double>::quiet_NaN(), std::int64_t(0), std::int64_t(0), 0.0});
  } else {
    for (const VclLayerStats& s : rule_.epoch_stats())
      table_.append_row({std::int64_t(m.epoch), std::string("vcl"), std::int64_t(s.layer), std::int64_t(s.vcl_steps),
                         std::int64_t(s.clipped_total), std::int64_t(s.clipped_max),
                         s.vcl_steps ? double(s.clipped_total) / double(s.vcl_steps) : 0.0, s.min_kept_eigenvalue,
                         std::int64_t(s.full_evd), std::int64_t(s.solver_iterations), s.solver_seconds});
  }
  table_.write(path_);
}

template class VclStatsWriter<float>;
template class VclStatsWriter<double>;

}  // namespace vclab
