// The k algebraically largest eigenpairs of M = WᵀW + V for VCL Algorithm 1 (Cha & Lee 2025, App. B):
// full LAPACK EVD reference and a warm-started block Davidson tracker with Rayleigh–Ritz.
#include "train/top_eigen.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "io/hdf5_file.hpp"
#include "io/io_error.hpp"

namespace vclab {

namespace {

// Tolerance when the caller leaves TrackerOptions::tol at 0 (see top_eigen.hpp).
template <class T>
double default_tol() {
  return std::is_same_v<T, float> ? 1e-4 : 1e-8;
}

// Directions whose normalised Gram eigenvalue falls below this fraction of the largest are
// dropped as linearly dependent: 100 ε keeps the re-scaling amplification of rounding ≤ 0.1/sqrt(ε).
template <class T>
T dependence_tol() {
  return T(100) * std::numeric_limits<T>::epsilon();
}

// SVQB (Stathopoulos & Wu 2002): the (b, r) transform S with z·S an orthonormal basis of span(z),
// from the EVD of the column-normalised Gram, scaled by Λ^{-1/2}; dependent directions are dropped.
template <class T>
arma::Mat<T> svqb_transform(const arma::Mat<T>& z) {
  const arma::uword b = z.n_cols;
  if (b == 0) return arma::Mat<T>(0, 0);
  arma::Mat<T> gram = z.t() * z;  // (b, b)
  gram = T(0.5) * (gram + gram.t());
  const arma::Col<T> norms = arma::sqrt(arma::clamp(arma::Col<T>(gram.diag()), T(0), std::numeric_limits<T>::max()));
  const T biggest = norms.max();
  if (!(biggest > T(0))) return arma::Mat<T>(b, 0);
  const arma::uvec keep = arma::find(norms > biggest * std::numeric_limits<T>::epsilon());
  const arma::Col<T> inv_norms = T(1) / norms.elem(keep);  // (b')
  arma::Mat<T> normalised = gram.submat(keep, keep);         // (b', b') Gram of the unit columns
  normalised.each_col() %= inv_norms;
  normalised.each_row() %= inv_norms.t();
  arma::Col<T> lambda;
  arma::Mat<T> u;
  if (!arma::eig_sym(lambda, u, normalised, "dc")) throw std::runtime_error("top_eigen: SVQB EVD failed");
  const T cut = dependence_tol<T>() * lambda.max();
  const arma::uvec good = arma::find(lambda > cut);
  arma::Mat<T> scale = u.cols(good);  // (b', r)
  scale.each_row() /= arma::sqrt(lambda.elem(good)).t();
  scale.each_col() %= inv_norms;
  arma::Mat<T> transform(b, good.n_elem, arma::fill::zeros);  // (b, r)
  transform.rows(keep) = scale;
  return transform;
}

// Orthonormal basis of span(z) by SVQB.
template <class T>
arma::Mat<T> svqb(const arma::Mat<T>& z) {
  if (z.n_cols == 0) return z;
  return z * svqb_transform(z);
}

// Removes span(q) from z (q orthonormal) twice ("twice is enough", Giraud et al.), then
// orthonormalises the remainder.
template <class T>
arma::Mat<T> orthonormal_complement(const arma::Mat<T>& q, arma::Mat<T> z) {
  for (int pass = 0; pass < 2; ++pass) {
    z -= q * (q.t() * z);
    z = svqb(z);
    if (z.n_cols == 0) break;
  }
  return z;
}

// Residual directions below this fraction of the tolerance are not worth a product with M.
constexpr double kCompressFraction = 0.1;

// Orthonormal basis of span(r) outside span(q) (q orthonormal) for Ritz residuals r, which are
// orthogonal to the search space and so to q up to rounding (ε‖M‖, far below `floor`): keeps only
// the directions whose singular value in r exceeds `floor` (absolute), the SVQB step done on the
// unscaled Gram so that its eigenvalues are those σ². One projection + SVQB pass afterwards
// restores orthogonality to q and within the block lost when dividing by small σ.
template <class T>
arma::Mat<T> compressed_complement(const arma::Mat<T>& q, const arma::Mat<T>& r, double floor) {
  arma::Mat<T> gram = r.t() * r;        // (b, b)
  gram = T(0.5) * (gram + gram.t());
  arma::Col<T> sigma2;
  arma::Mat<T> u;
  if (!arma::eig_sym(sigma2, u, gram, "dc")) throw std::runtime_error("top_eigen: residual Gram EVD failed");
  const double cut = std::max(floor * floor, double(dependence_tol<T>()) * double(sigma2.max()));
  const arma::uvec strong = arma::find(sigma2 > T(cut));
  arma::Mat<T> scale = u.cols(strong);  // (b, r)
  scale.each_row() /= arma::sqrt(sigma2.elem(strong)).t();
  arma::Mat<T> z = r * scale;           // (d, r)
  z -= q * (q.t() * z);
  return svqb(z);
}

// Largest |QᵀQ − I| tolerated before a basis is re-orthonormalised: the Ritz values move by about
// this times ‖M‖, and a basis rotated in precision T drifts by a few ε per update.
template <class T>
T basis_drift_tol() {
  return T(100) * std::numeric_limits<T>::epsilon();
}

// Random (d, p) block with orthonormal columns from a private generator (global RNG untouched).
template <class T>
arma::Mat<T> random_orthonormal(std::size_t d, std::size_t p, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  arma::Mat<T> x(d, p);
  for (arma::uword i = 0; i < x.n_elem; ++i) x(i) = static_cast<T>(normal(gen));
  return svqb(x);
}

template <class T>
void require_finite(const arma::Mat<T>& x, const char* what) {
  if (!x.is_finite()) throw std::runtime_error(std::string("top_eigen: ") + what + " contains NaN or Inf");
}

}  // namespace

template <class T>
TopEigen<T> top_eigenpairs_full(const arma::Mat<T>& m, std::size_t k) {
  if (m.n_rows != m.n_cols) throw std::invalid_argument("top_eigenpairs_full: matrix is not square");
  if (k == 0 || k > m.n_rows) throw std::invalid_argument("top_eigenpairs_full: need 0 < k <= d");
  arma::Col<T> values;   // (d) ascending
  arma::Mat<T> vectors;  // (d, d)
  if (!arma::eig_sym(values, vectors, m, "dc")) {
    throw std::runtime_error("top_eigenpairs_full: LAPACK symmetric EVD failed (NaN/Inf in the matrix?)");
  }
  const arma::uword d = m.n_rows;
  TopEigen<T> top;
  top.values = arma::flipud(values.subvec(d - k, d - 1));
  top.vectors = arma::fliplr(vectors.cols(d - k, d - 1));
  return top;
}

template <class T>
TopEigenTracker<T>::TopEigenTracker(std::size_t k, TrackerOptions options) : k_(k), options_(options) {
  if (k == 0) throw std::invalid_argument("TopEigenTracker: k must be positive");
  if (options_.tol < 0.0) throw std::invalid_argument("TopEigenTracker: tol must be >= 0");
  if (options_.tol == 0.0) options_.tol = default_tol<T>();
}

template <class T>
void TopEigenTracker<T>::reset() {
  basis_.reset();
  basis_product_.reset();
  shift_basis_.reset();
  since_refresh_ = 0;
  top_ = TopEigen<T>{};
  stats_ = TrackerStats{};
}

template <class T>
void TopEigenTracker<T>::save_state(Hdf5File& file, const std::string& prefix) const {
  file.create_group(prefix);
  file.set_attribute(prefix, "k", std::int64_t(k_));
  file.set_attribute(prefix, "since_refresh", std::int64_t(since_refresh_));
  file.set_attribute(prefix, "updates", std::int64_t(stats_.updates));
  file.set_attribute(prefix, "full_evd_count", std::int64_t(stats_.full_evd_count));
  file.write_matrix(prefix + "/basis", basis_);
  file.write_matrix(prefix + "/basis_product", basis_product_);
  file.write_matrix(prefix + "/shift_basis", shift_basis_);
  file.write_matrix(prefix + "/top_vectors", top_.vectors);
  file.write_matrix(prefix + "/top_values", arma::Mat<T>(top_.values));
}

template <class T>
void TopEigenTracker<T>::load_state(const Hdf5File& file, const std::string& prefix) {
  if (file.get_attribute_int(prefix, "k") != std::int64_t(k_)) {
    throw IoError(file.path(), prefix + ": the eigen-tracker was saved with k = " + std::to_string(file.get_attribute_int(prefix, "k")) +
                                   ", this run's has k = " + std::to_string(k_),
                  "Resume with the settings the checkpoint was written with (DIR/config.json)");
  }
  const auto read = [&](const std::string& name) { return arma::conv_to<arma::Mat<T>>::from(file.read_matrix(prefix + "/" + name)); };
  since_refresh_ = std::size_t(file.get_attribute_int(prefix, "since_refresh"));
  stats_ = TrackerStats{};
  stats_.updates = std::size_t(file.get_attribute_int(prefix, "updates"));
  stats_.full_evd_count = std::size_t(file.get_attribute_int(prefix, "full_evd_count"));
  basis_ = read("basis");
  basis_product_ = read("basis_product");
  shift_basis_ = read("shift_basis");
  top_.vectors = read("top_vectors");
  const arma::Mat<T> values = read("top_values");
  top_.values = values.n_elem > 0 ? arma::Col<T>(arma::vectorise(values)) : arma::Col<T>();
}

template <class T>
void TopEigenTracker<T>::full_update(const arma::Mat<T>& m) {
  const arma::uword d = m.n_rows;
  const arma::uword p_top = std::min<arma::uword>(k_ + options_.oversample, d);
  const arma::uword p_low = std::min<arma::uword>(options_.low_guard, d - p_top);
  arma::Col<T> values;   // (d) ascending
  arma::Mat<T> vectors;  // (d, d)
  if (!arma::eig_sym(values, vectors, m, "dc")) {
    throw std::runtime_error("TopEigenTracker: LAPACK symmetric EVD failed (NaN/Inf in the matrix?)");
  }
  const arma::Mat<T> upper = arma::fliplr(vectors.cols(d - p_top, d - 1));  // (d, p_top) descending
  basis_ = p_low > 0 ? arma::Mat<T>(arma::join_rows(upper, vectors.head_cols(p_low))) : upper;
  basis_product_.reset();
  shift_basis_.reset();  // a structured update recomputes V·Q after a full EVD
  top_.values = arma::flipud(values.tail(k_));
  top_.vectors = upper.head_cols(k_);
  // Residual of the wanted pairs, so stats mean the same thing on every path.
  const arma::Mat<T> r = m * top_.vectors - top_.vectors * arma::diagmat(top_.values);  // (d, k)
  const double scale = std::max(std::abs(double(values.max())), std::abs(double(values.min())));
  const double rmax = arma::max(arma::sqrt(arma::sum(arma::square(r), 0)));
  stats_.residual = scale > 0.0 ? rmax / scale : rmax;
  stats_.spectral_scale = scale;
  stats_.converged = true;
  stats_.used_full = true;
  stats_.block_columns += k_;
  ++stats_.full_evd_count;
}

template <class T>
void TopEigenTracker<T>::clean_basis() {
  const arma::uword d = basis_.n_rows;
  const arma::uword p = basis_.n_cols;
  arma::Mat<T> drift = basis_.t() * basis_;  // (p, p) QᵀQ
  drift.diag() -= T(1);
  if (arma::abs(drift).max() < basis_drift_tol<T>()) return;
  const arma::Mat<T> transform = svqb_transform(basis_);  // (p, r)
  basis_ = basis_ * transform;
  if (!shift_basis_.is_empty()) shift_basis_ = shift_basis_ * transform;  // V·(Q S) = (V·Q) S
  if (basis_.n_cols < p) {
    const arma::Mat<T> extra = orthonormal_complement<T>(basis_, random_orthonormal<T>(d, p - basis_.n_cols, options_.seed));
    basis_ = arma::join_rows(basis_, extra);
    shift_basis_.reset();  // the new directions have no carried product
  }
}

template <class T>
bool TopEigenTracker<T>::iterate(const BlockApply& apply, arma::Mat<T> ms) {
  const arma::uword d = basis_.n_rows;
  const arma::uword p = basis_.n_cols;  // p_top upper + p_low lower guard vectors
  const arma::uword p_top = std::min<arma::uword>(k_ + options_.oversample, d);
  const arma::uword p_low = p - p_top;
  const double tol = options_.tol;

  arma::Mat<T> s = basis_;  // (d, n) search basis, orthonormal; ms (d, n) = M·s
  if (ms.n_rows != d || ms.n_cols != s.n_cols) throw std::invalid_argument("TopEigenTracker: apply returned a wrong shape");
  require_finite(ms, "M times the Ritz basis");

  double scale = 0.0;
  arma::Col<T> theta;  // (p) Ritz values: p_top descending, then the p_low smallest
  arma::Mat<T> q;      // (d, p) Ritz vectors
  arma::Mat<T> y;      // (d, p) M·q
  for (std::size_t iter = 0;; ++iter) {
    // Rayleigh–Ritz on span(s): H = sᵀ M s (only the new columns when s = [q, z] with q Ritz
    // vectors, whose block qᵀMq is diag(θ)); keep the p_top algebraically largest Ritz pairs and
    // the p_low smallest (thick restart at both ends: a dominant negative eigenvalue stays locked
    // in the basis instead of re-entering the residuals and slowing the wanted pairs).
    arma::Mat<T> h;  // (n, n)
    if (iter == 0) {
      h = s.t() * ms;
    } else {
      const arma::uword nq = theta.n_elem;
      h.set_size(s.n_cols, s.n_cols);
      h.submat(0, 0, nq - 1, nq - 1) = arma::diagmat(theta);
      h.cols(nq, s.n_cols - 1) = s.t() * ms.cols(nq, s.n_cols - 1);
      h.submat(nq, 0, s.n_cols - 1, nq - 1) = h.submat(0, nq, nq - 1, s.n_cols - 1).t();
    }
    h = T(0.5) * (h + h.t());
    arma::Col<T> ritz;  // (n) ascending
    arma::Mat<T> c;     // (n, n)
    if (!arma::eig_sym(ritz, c, h, "dc")) throw std::runtime_error("TopEigenTracker: Rayleigh-Ritz EVD failed");
    scale = std::max({scale, std::abs(double(ritz.max())), std::abs(double(ritz.min()))});
    const arma::uword n = ritz.n_elem;
    const arma::uword keep_top = std::min<arma::uword>(p_top, n);
    const arma::uword keep_low = std::min<arma::uword>(p_low, n - keep_top);
    arma::uvec order(keep_top + keep_low);  // columns of c to keep
    for (arma::uword i = 0; i < keep_top; ++i) order(i) = n - 1 - i;
    for (arma::uword i = 0; i < keep_low; ++i) order(keep_top + i) = i;
    const arma::Mat<T> c_keep = c.cols(order);  // (n, keep)
    theta = ritz.elem(order);
    q = s * c_keep;
    y = ms * c_keep;

    // Ritz residuals of the k wanted pairs: r_i = M q_i − θ_i q_i, relative to max|λ|.
    arma::Mat<T> r = y.head_cols(k_) - q.head_cols(k_) * arma::diagmat(theta.head(k_));  // (d, k)
    const arma::Row<T> rnorm = arma::sqrt(arma::sum(arma::square(r), 0));                 // (k)
    const double denom = scale > 0.0 ? scale : 1.0;
    stats_.residual = double(rnorm.max()) / denom;
    stats_.spectral_scale = scale;
    stats_.iterations = iter;
    if (stats_.residual < tol) break;
    if (iter >= options_.max_iters) break;

    // Expand with the residual block (block Davidson, no preconditioner), compressed to its
    // dominant left singular directions: components below kCompressFraction·tol·max|λ| cannot hold
    // a residual above tol, and after the first expansion the block has low numerical rank.
    arma::Mat<T> z = compressed_complement<T>(q, r, kCompressFraction * tol * denom);  // (d, b)
    if (z.n_cols + q.n_cols > d) z = z.head_cols(d - q.n_cols);
    if (z.n_cols == 0) break;
    arma::Mat<T> mz = apply(z);  // (d, b)
    if (mz.n_rows != d || mz.n_cols != z.n_cols) throw std::invalid_argument("TopEigenTracker: apply returned a wrong shape");
    require_finite(mz, "M times the expansion block");
    stats_.block_columns += z.n_cols;
    s = arma::join_rows(q, z);
    ms = arma::join_rows(y, mz);
  }

  basis_ = std::move(q);
  basis_product_ = std::move(y);
  top_.values = theta.head(k_);
  top_.vectors = basis_.head_cols(k_);
  stats_.converged = stats_.residual < tol;
  return stats_.converged;
}

template <class T>
const TopEigen<T>& TopEigenTracker<T>::update(const arma::Mat<T>& m) {
  if (m.n_rows != m.n_cols) throw std::invalid_argument("TopEigenTracker::update: matrix is not square");
  if (k_ > m.n_rows) throw std::invalid_argument("TopEigenTracker::update: k exceeds the matrix size");
  require_finite(m, "the matrix");
  return update_impl(m.n_rows, [&m](const arma::Mat<T>& x) -> arma::Mat<T> { return m * x; }, &m);
}

template <class T>
const TopEigen<T>& TopEigenTracker<T>::update(std::size_t d, const BlockApply& apply) {
  return update_impl(d, apply, nullptr);
}

template <class T>
const TopEigen<T>& TopEigenTracker<T>::update_impl(std::size_t d, const BlockApply& apply, const arma::Mat<T>* m) {
  if (k_ > d) throw std::invalid_argument("TopEigenTracker::update: k exceeds the matrix size");
  begin_update();
  // Without an explicit matrix, forms M = apply(I) only when a full EVD is needed.
  auto full = [&]() {
    if (m != nullptr) {
      full_update(*m);
      return;
    }
    arma::Mat<T> formed = apply(arma::eye<arma::Mat<T>>(d, d));
    require_finite(formed, "the matrix");
    full_update(formed);
  };
  if (!warm_start(d)) {
    if (options_.cold_start_full) {
      full();
      return top_;
    }
    basis_ = random_orthonormal<T>(d, basis_size(d), options_.seed);
  } else {
    clean_basis();
  }
  shift_basis_.reset();  // a plain update does not track V
  arma::Mat<T> ms = apply(basis_);  // (d, p)
  stats_.block_columns += basis_.n_cols;
  if (!iterate(apply, std::move(ms)) && options_.fallback_full) full();
  return top_;
}

template <class T>
const TopEigen<T>& TopEigenTracker<T>::update_shifted_gram(const arma::Mat<T>& w, const arma::Mat<T>& shift,
                                                           const arma::Mat<T>& a, const arma::Mat<T>& b) {
  const arma::uword d = shift.n_rows;
  if (shift.n_cols != d) throw std::invalid_argument("TopEigenTracker::update_shifted_gram: V is not square");
  if (w.n_cols != d) throw std::invalid_argument("TopEigenTracker::update_shifted_gram: W must be (k', d)");
  if (a.n_rows != d || b.n_rows != d || a.n_cols != b.n_cols) {
    throw std::invalid_argument("TopEigenTracker::update_shifted_gram: a and b must both be (d, r)");
  }
  if (k_ > d) throw std::invalid_argument("TopEigenTracker::update_shifted_gram: k exceeds the matrix size");
  require_finite(w, "the weights W");
  require_finite(a, "the shift update factor a");
  require_finite(b, "the shift update factor b");
  begin_update();
  // WᵀW·x = Wᵀ(W·x): 4k'd flops a column. V·x is the only product with a dense (d, d) matrix.
  const auto gram_apply = [&w](const arma::Mat<T>& x) -> arma::Mat<T> { return w.t() * (w * x); };
  const BlockApply apply = [&](const arma::Mat<T>& x) -> arma::Mat<T> { return shift * x + gram_apply(x); };
  auto full = [&]() {
    arma::Mat<T> m = w.t() * w + shift;  // (d, d)
    m = T(0.5) * (m + m.t());
    require_finite(m, "the matrix W^T W + V");
    full_update(m);
  };
  if (!warm_start(d)) {
    if (options_.cold_start_full) {
      full();
      return top_;
    }
    basis_ = random_orthonormal<T>(d, basis_size(d), options_.seed);
    shift_basis_.reset();
  } else {
    clean_basis();
  }

  const bool refresh_due = options_.refresh_every > 0 && since_refresh_ >= options_.refresh_every;
  if (shift_basis_.n_rows == d && shift_basis_.n_cols == basis_.n_cols && !refresh_due) {
    // V_new·Q = V_old·Q + a(bᵀQ) + b(aᵀQ) as one product: [a b]·([b a]ᵀ Q).
    const arma::Mat<T> ab = arma::join_rows(a, b), ba = arma::join_rows(b, a);  // (d, 2r)
    shift_basis_ += ab * (ba.t() * basis_);                                       // (d, p)
    ++since_refresh_;
    stats_.carried = true;
  } else {
    shift_basis_ = shift * basis_;  // (d, p)
    stats_.block_columns += basis_.n_cols;
    since_refresh_ = 0;
  }
  const bool converged = iterate(apply, shift_basis_ + gram_apply(basis_));
  // P of the rotated basis from its M-product: V·Q = M·Q − Wᵀ(W·Q).
  shift_basis_ = basis_product_ - gram_apply(basis_);
  if (!converged && options_.fallback_full) full();
  return top_;
}

template <class T>
void TopEigenTracker<T>::begin_update() {
  ++stats_.updates;
  stats_.iterations = 0;
  stats_.block_columns = 0;
  stats_.used_full = false;
  stats_.carried = false;
}

template <class T>
std::size_t TopEigenTracker<T>::basis_size(std::size_t d) const {
  const std::size_t p_top = std::min<std::size_t>(k_ + options_.oversample, d);
  return p_top + std::min<std::size_t>(options_.low_guard, d - p_top);
}

template <class T>
bool TopEigenTracker<T>::warm_start(std::size_t d) const {
  return basis_.n_rows == d && basis_.n_cols == basis_size(d);
}

template struct TopEigen<float>;
template struct TopEigen<double>;
template TopEigen<float> top_eigenpairs_full<float>(const arma::Mat<float>&, std::size_t);
template TopEigen<double> top_eigenpairs_full<double>(const arma::Mat<double>&, std::size_t);
template class TopEigenTracker<float>;
template class TopEigenTracker<double>;

}  // namespace vclab
