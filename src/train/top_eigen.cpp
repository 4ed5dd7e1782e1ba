// The k algebraically largest eigenpairs of M = WᵀW + V for VCL Algorithm 1 (Cha & Lee 2025, App. B):
// full LAPACK EVD reference and the one-product tracker of docs/vcl_eigen_step.md.
#include "train/top_eigen.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "io/state_archive.hpp"
#include "io/io_error.hpp"

namespace vclab {

namespace {

// Residual floor when the caller leaves TrackerOptions::residual_floor at 0 (see top_eigen.hpp): about
// 100 ε of a product with M, the level below which a Ritz residual is rounding.
template <class T>
double default_residual_floor() {
  return std::is_same_v<T, float> ? 1e-5 : 1e-11;
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

// CholQR (Cholesky QR) applied twice: z = Q·R with RᵀR = zᵀz, the second pass restoring orthogonality to
// working precision. The filtered blocks it gets are well conditioned by construction (their Gram is
// I + DRᵀRD with R ⊥ X, docs/vcl_eigen_step.md). Returns false when a factorisation fails (z rank-deficient).
template <class T>
bool cholqr2(arma::Mat<T>& z) {
  for (int pass = 0; pass < 2; ++pass) {
    arma::Mat<T> gram = z.t() * z;  // (b, b)
    gram = T(0.5) * (gram + gram.t());
    arma::Mat<T> r;  // (b, b) upper triangular, gram = rᵀr
    if (!arma::chol(r, gram)) return false;
    z = z * arma::inv(arma::trimatu(r));
  }
  return z.is_finite();
}

}  // namespace

template <class T>
TopEigen<T> top_eigenpairs_full(const arma::Mat<T>& m, std::size_t k) {
  if (m.n_rows != m.n_cols) throw std::invalid_argument("top_eigenpairs_full: matrix is not square");
  if (k == 0 || k > m.n_rows) throw std::invalid_argument("top_eigenpairs_full: need 0 < k <= d");
  arma::Col<T> values;   // (d) ascending
  arma::Mat<T> vectors;  // (d, d)
  if (!arma::eig_sym(values, vectors, m, "dc"))
    throw std::runtime_error("top_eigenpairs_full: LAPACK symmetric EVD failed (NaN/Inf in the matrix?)");
  const arma::uword d = m.n_rows;
  TopEigen<T> top;
  top.values = arma::flipud(values.subvec(d - k, d - 1));
  top.vectors = arma::fliplr(vectors.cols(d - k, d - 1));
  return top;
}

template <class T>
TopEigenTracker<T>::TopEigenTracker(std::size_t k, TrackerOptions options) : k_(k), options_(options) {
  if (k == 0) throw std::invalid_argument("TopEigenTracker: k must be positive");
  if (options_.oversample == 0) throw std::invalid_argument("TopEigenTracker: oversample must be >= 1 (the certificate's gap needs θ_{k+1})");
  if (!(options_.tol > 0.0)) throw std::invalid_argument("TopEigenTracker: tol must be > 0");
  if (!(options_.tol_relative >= 0.0 && options_.tol_relative < 1.0))
    throw std::invalid_argument("TopEigenTracker: tol_relative must be in [0, 1)");
  if (options_.residual_floor < 0.0) throw std::invalid_argument("TopEigenTracker: residual_floor must be >= 0");
  if (options_.residual_floor == 0.0) options_.residual_floor = default_residual_floor<T>();
}

template <class T>
void TopEigenTracker<T>::reset() {
  basis_.reset();
  shift_basis_.reset();
  carried_steps_ = 0;
  since_full_ = 0;
  top_ = TopEigen<T>{};
  stats_ = TrackerStats{};
}

template <class T>
void TopEigenTracker<T>::save_state(StateArchive& file, const std::string& prefix) const {
  file.create_group(prefix);
  file.set_attribute(prefix, "k", std::int64_t(k_));
  file.set_attribute(prefix, "since_full", std::int64_t(since_full_));
  file.set_attribute(prefix, "updates", std::int64_t(stats_.updates));
  file.set_attribute(prefix, "full_evd_count", std::int64_t(stats_.full_evd_count));
  file.set_attribute(prefix, "fallback_count", std::int64_t(stats_.fallback_count));
  file.set_attribute(prefix, "extra_count", std::int64_t(stats_.extra_count));
  file.set_attribute(prefix, "carried_steps", std::int64_t(carried_steps_));
  file.write_matrix(prefix + "/basis", basis_);
  file.write_matrix(prefix + "/shift_basis", shift_basis_);
  file.write_matrix(prefix + "/top_vectors", top_.vectors);
  file.write_matrix(prefix + "/top_values", arma::Mat<T>(top_.values));
}

template <class T>
void TopEigenTracker<T>::load_state(const StateArchive& file, const std::string& prefix) {
  if (file.get_attribute_int(prefix, "k") != std::int64_t(k_))
    throw IoError(file.path(), prefix + ": the eigen-tracker was saved with k = " + std::to_string(file.get_attribute_int(prefix, "k")) +
                                   ", this run's has k = " + std::to_string(k_),
                  "Resume with the settings the checkpoint was written with (DIR/config.json)");
  const auto read = [&](const std::string& name) { return arma::conv_to<arma::Mat<T>>::from(file.read_matrix(prefix + "/" + name)); };
  const auto count = [&](const char* name) { return std::size_t(file.get_attribute_int(prefix, name)); };
  since_full_ = count("since_full");
  stats_ = TrackerStats{};
  stats_.updates = count("updates");
  stats_.full_evd_count = count("full_evd_count");
  stats_.fallback_count = count("fallback_count");
  stats_.extra_count = count("extra_count");
  carried_steps_ = count("carried_steps");
  basis_ = read("basis");
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
  if (!arma::eig_sym(values, vectors, m, "dc"))
    throw std::runtime_error("TopEigenTracker: LAPACK symmetric EVD failed (NaN/Inf in the matrix?)");
  const arma::Mat<T> upper = arma::fliplr(vectors.cols(d - p_top, d - 1));  // (d, p_top) descending
  basis_ = p_low > 0 ? arma::Mat<T>(arma::join_rows(upper, vectors.head_cols(p_low))) : upper;
  top_.values = arma::flipud(values.tail(k_));
  top_.vectors = upper.head_cols(k_);
  // Residual of the wanted pairs, so the stats mean the same thing on every path.
  const arma::Mat<T> r = m * top_.vectors - top_.vectors * arma::diagmat(top_.values);  // (d, k)
  const double scale = std::max(std::abs(double(values.max())), std::abs(double(values.min())));
  const double rmax = arma::max(arma::sqrt(arma::sum(arma::square(r), 0)));
  stats_.residual = scale > 0.0 ? rmax / scale : rmax;
  stats_.spectral_scale = scale;
  stats_.gap = p_top > k_ ? double(values(d - k_)) - double(values(d - p_top)) : 0.0;
  stats_.certificate = 0.0;
  stats_.converged = true;
  stats_.used_full = true;
  ++stats_.full_evd_count;
  since_full_ = 0;
}

template <class T>
typename TopEigenTracker<T>::Ritz TopEigenTracker<T>::rayleigh_ritz(const arma::Mat<T>& y) {
  const arma::uword d = basis_.n_rows;
  const arma::uword b = basis_.n_cols;  // p_top upper + p_low lower guard vectors
  const arma::uword p_top = std::min<arma::uword>(k_ + options_.oversample, d);
  const arma::uword p_low = b - p_top;
  arma::Mat<T> h = basis_.t() * y;  // (b, b) QᵀMQ
  h = T(0.5) * (h + h.t());
  arma::Col<T> ritz;  // (b) ascending
  arma::Mat<T> c;     // (b, b)
  if (!arma::eig_sym(ritz, c, h, "dc")) throw std::runtime_error("TopEigenTracker: Rayleigh-Ritz EVD failed");
  arma::uvec order(b);  // the p_top largest descending, then the p_low smallest ascending
  for (arma::uword i = 0; i < p_top; ++i) order(i) = b - 1 - i;
  for (arma::uword i = 0; i < p_low; ++i) order(p_top + i) = i;
  Ritz rr;
  rr.theta = ritz.elem(order);                 // (b)
  rr.rotation = c.cols(order);                 // (b, b)
  rr.x = basis_ * rr.rotation;                 // (d, b) Ritz vectors X = QS
  rr.mx = y * rr.rotation;                     // (d, b) MX = YS
  rr.r = rr.mx;                                // (d, b) residuals R = MX − XΘ
  for (arma::uword j = 0; j < b; ++j) rr.r.col(j) -= rr.theta(j) * rr.x.col(j);
  rr.rnorm = arma::sqrt(arma::sum(arma::square(rr.r), 0));  // (b) ‖r_j‖
  rr.p_top = p_top;

  certify(rr);
  top_.values = rr.theta.head(k_);
  top_.vectors = rr.x.head_cols(k_);
  return rr;
}

template <class T>
void TopEigenTracker<T>::certify(const Ritz& rr) {
  const double scale = std::max(std::abs(double(rr.theta.max())), std::abs(double(rr.theta.min())));
  const double rk_fro = std::sqrt(double(arma::accu(arma::square(rr.rnorm.head(k_)))));
  stats_.spectral_scale = scale;
  // Davis–Kahan divides by θ_k − λ_{k+1}; the first guard's Ritz value θ_{k+1} ≤ λ_{k+1} (interlacing) is raised by
  // its own residual, which bounds how far below an eigenvalue it can sit.
  stats_.gap = double(rr.theta(k_ - 1)) - double(rr.theta(k_)) - double(rr.rnorm(k_));
  stats_.certificate = stats_.gap > 0.0 ? rk_fro / stats_.gap : std::numeric_limits<double>::infinity();
  stats_.residual = double(rr.rnorm.head(k_).max()) / (scale > 0.0 ? scale : 1.0);
  stats_.converged = stats_.certificate <= options_.tol || stats_.residual <= options_.residual_floor;
}

template <class T>
typename TopEigenTracker<T>::Ritz TopEigenTracker<T>::warm_check(arma::Mat<T> y) const {
  // The warm basis holds the previous step's Ritz vectors, so QᵀMQ is nearly diagonal: its diagonal stands in
  // for the Ritz values, and E = (I − QQᵀ)MQ (what no rotation inside span Q can remove) for the residuals.
  Ritz rr;
  rr.p_top = std::min<arma::uword>(k_ + options_.oversample, basis_.n_rows);
  const arma::Mat<T> h = basis_.t() * y;  // (b, b) QᵀMQ
  rr.theta = h.diag();                    // (b)
  rr.x = basis_;                          // (d, b)
  rr.r = y - basis_ * h;                  // (d, b) E
  rr.mx = std::move(y);                   // (d, b)
  rr.rnorm = arma::sqrt(arma::sum(arma::square(rr.r), 0));
  return rr;
}

template <class T>
arma::Mat<T> TopEigenTracker<T>::filtered_basis(const Ritz& rr) const {
  // (M − σI)X: one step of subspace iteration with the degree-1 Chebyshev filter, σ the centre of the interval
  // [a, c] assumed to hold the eigenvalues outside the basis: c = θ_{k+p}, a = the highest low guard, but not below
  // −|c| (VCL's V is nearly symmetric about 0 once its few large negative eigenvalues sit in the low guards; a
  // farther a would only slow the filter); σ = 0 without low guards. Columns are scaled to unit norm first, which
  // leaves the span alone and keeps CholQR's Gram well conditioned.
  const arma::uword b = rr.theta.n_elem;
  const double c = rr.theta(rr.p_top - 1);
  const double a = rr.p_top < b ? std::max(double(rr.theta(b - 1)), -std::abs(c)) : c;
  const double sigma = rr.p_top < b ? 0.5 * (a + c) : 0.0;  // no low guards: θ_{k+p} may be a captured negative one
  arma::Mat<T> z = rr.mx - T(sigma) * rr.x;  // (d, b)
  const arma::Row<T> norms = arma::sqrt(arma::sum(arma::square(z), 0));
  for (arma::uword j = 0; j < b; ++j)
    if (norms(j) > T(0)) z.col(j) /= norms(j);
  arma::Mat<T> q = z;
  if (cholqr2(q)) return q;
  // Rank lost: orthonormalise what is left and refill with random directions.
  q = svqb(z);
  if (q.n_cols < b) q = arma::join_rows(q, orthonormal_complement<T>(q, random_orthonormal<T>(z.n_rows, b - q.n_cols, options_.seed)));
  return q;
}

template <class T>
const TopEigen<T>& TopEigenTracker<T>::update(const arma::Mat<T>& m) {
  if (m.n_rows != m.n_cols) throw std::invalid_argument("TopEigenTracker::update: matrix is not square");
  require_finite(m, "the matrix");
  return update_impl(m.n_rows, [&m](const arma::Mat<T>& x) -> arma::Mat<T> { return m * x; }, [&m]() { return m; });
}

template <class T>
const TopEigen<T>& TopEigenTracker<T>::update(std::size_t d, const BlockApply& apply) {
  const FormMatrix form = [&]() {
    arma::Mat<T> formed = apply(arma::eye<arma::Mat<T>>(d, d));
    require_finite(formed, "the matrix");
    return arma::Mat<T>(T(0.5) * (formed + formed.t()));
  };
  return update_impl(d, apply, form);
}

template <class T>
const TopEigen<T>& TopEigenTracker<T>::update_shifted_gram(const arma::Mat<T>& w, const arma::Mat<T>& shift,
                                                           const arma::Mat<T>& a, const arma::Mat<T>& b) {
  const arma::uword d = shift.n_rows;
  if (shift.n_cols != d) throw std::invalid_argument("TopEigenTracker::update_shifted_gram: V is not square");
  if (w.n_cols != d) throw std::invalid_argument("TopEigenTracker::update_shifted_gram: W must be (k', d)");
  if (a.n_rows != d || b.n_rows != d || a.n_cols != b.n_cols)
    throw std::invalid_argument("TopEigenTracker::update_shifted_gram: a and b must both be (d, r)");
  require_finite(w, "the weights W");
  require_finite(a, "the shift update factor a");
  require_finite(b, "the shift update factor b");
  // M·X = V·X + Wᵀ(W·X): the product with the dense (d, d) V is the step's O(d²) work; WᵀW costs 4k'd a column.
  const auto gram_apply = [&w](const arma::Mat<T>& x) -> arma::Mat<T> { return w.t() * (w * x); };
  arma::Mat<T> shift_product;  // (d, b) V·Q of the last product, kept for the next call's carried V·X
  const BlockApply apply = [&](const arma::Mat<T>& x) -> arma::Mat<T> {
    shift_product = shift * x;  // (d, b)
    return shift_product + gram_apply(x);
  };
  const FormMatrix form = [&]() {
    arma::Mat<T> m = w.t() * w + shift;  // (d, d)
    m = T(0.5) * (m + m.t());
    require_finite(m, "the matrix W^T W + V");
    return m;
  };
  // The basis' V·Q, carried from the previous call: V_new·Q = V_old·Q + a(bᵀQ) + b(aᵀQ), one product [a b]·([b a]ᵀQ).
  const bool carry = shift_basis_.n_rows == d && shift_basis_.n_cols == basis_.n_cols && warm_start(d) &&
                     carried_steps_ < options_.carry_limit;
  const FirstProduct first = [&]() -> arma::Mat<T> {
    if (carry) {
      const arma::Mat<T> ab = arma::join_rows(a, b), ba = arma::join_rows(b, a);  // (d, 2r)
      shift_basis_ += ab * (ba.t() * basis_);                                       // (d, b)
      ++carried_steps_;
      shift_product = shift_basis_;
      return shift_basis_ + gram_apply(basis_);
    }
    ++stats_.products;
    carried_steps_ = 0;
    return apply(basis_);
  };
  const KeepBasis keep = [&](const Ritz& rr) {
    basis_ = rr.x;                                // the Ritz vectors QS, whose V·X = (V·Q)S is known
    shift_basis_ = shift_product * rr.rotation;  // (d, b)
  };
  const TopEigen<T>& top = update_impl(d, apply, form, first, keep);
  if (stats_.used_full) shift_basis_.reset();  // a full EVD's basis has no V·Q yet
  return top;
}

template <class T>
const TopEigen<T>& TopEigenTracker<T>::update_impl(std::size_t d, const BlockApply& apply, const FormMatrix& form,
                                                   const FirstProduct& first, const KeepBasis& keep) {
  if (k_ > d) throw std::invalid_argument("TopEigenTracker::update: k exceeds the matrix size");
  begin_update();
  if (!warm_start(d)) {
    if (options_.cold_start_full) {
      full_update(form());
      return top_;
    }
    basis_ = random_orthonormal<T>(d, basis_size(d), options_.seed);
  } else if (options_.refresh_every > 0 && since_full_ >= options_.refresh_every) {
    full_update(form());
    return top_;
  }
  ++since_full_;
  const auto checked = [&](arma::Mat<T> y) {
    if (y.n_rows != d || y.n_cols != basis_.n_cols) throw std::invalid_argument("TopEigenTracker: apply returned a wrong shape");
    require_finite(y, "M times the basis");
    return y;
  };
  // c₀: how far the warm basis is from invariant under this step's M (the step's motion plus the previous error).
  Ritz rr = warm_check(checked(first ? first() : (++stats_.products, apply(basis_))));
  certify(rr);
  stats_.first_certificate = stats_.certificate;
  const double relative_target = options_.tol_relative * stats_.first_certificate;
  bool have_ritz = false;  // rr holds Ritz pairs (not the warm check's stand-ins)
  if (stats_.converged) {    // the warm basis is good enough: its Ritz pairs, no product
    rr = rayleigh_ritz(rr.mx);
    have_ritz = true;
  }
  for (std::size_t extra = 0; !stats_.converged; ++extra) {
    if (extra >= options_.max_extra) {
      if (!options_.fallback_full) break;  // keep the best pairs found, marked not converged
      full_update(form());
      stats_.fell_back = true;
      ++stats_.fallback_count;
      return top_;
    }
    basis_ = filtered_basis(rr);
    ++stats_.products;
    ++stats_.extra_count;
    stats_.iterations = extra + 1;
    rr = rayleigh_ritz(checked(apply(basis_)));
    have_ritz = true;
    stats_.converged = stats_.converged || stats_.certificate <= relative_target;
  }
  if (!have_ritz) {  // max_extra = 0 without fallback: the Ritz pairs of the warm basis, still not converged
    rr = rayleigh_ritz(rr.mx);
    stats_.converged = false;
  }
  if (keep) {
    keep(rr);
  } else {
    basis_ = rr.x;
  }
  return top_;
}

template <class T>
void TopEigenTracker<T>::begin_update() {
  ++stats_.updates;
  stats_.products = 0;
  stats_.iterations = 0;
  stats_.certificate = 0.0;
  stats_.first_certificate = 0.0;
  stats_.used_full = false;
  stats_.fell_back = false;
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
