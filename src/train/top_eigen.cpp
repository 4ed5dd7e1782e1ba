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

// Orthonormal basis of span(z) by the SVQB scheme (Stathopoulos & Wu 2002): Gram of the
// column-normalised block, EVD, scale by Λ^{-1/2}; dependent directions are dropped.
template <class T>
arma::Mat<T> svqb(const arma::Mat<T>& z) {
  if (z.n_cols == 0) return z;
  arma::Col<T> norms = arma::sqrt(arma::sum(arma::square(z), 0)).t();  // (b)
  const T biggest = norms.max();
  if (!(biggest > T(0))) return arma::Mat<T>(z.n_rows, 0);
  arma::uvec keep = arma::find(norms > biggest * std::numeric_limits<T>::epsilon());
  arma::Mat<T> zn = z.cols(keep);  // (d, b')
  zn.each_row() /= norms.elem(keep).t();
  arma::Mat<T> gram = zn.t() * zn;  // (b', b')
  gram = T(0.5) * (gram + gram.t());
  arma::Col<T> lambda;
  arma::Mat<T> u;
  if (!arma::eig_sym(lambda, u, gram, "dc")) throw std::runtime_error("top_eigen: SVQB EVD failed");
  const T cut = dependence_tol<T>() * lambda.max();
  const arma::uvec good = arma::find(lambda > cut);
  arma::Mat<T> scale = u.cols(good);  // (b', r)
  scale.each_row() /= arma::sqrt(lambda.elem(good)).t();
  return zn * scale;  // (d, r)
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

// Orthonormal basis of the part of span(r) outside span(q) (q orthonormal), keeping only the
// directions whose singular value in (I − qqᵀ)r exceeds `floor` (absolute): the SVQB step is
// done on the unscaled Gram so that its eigenvalues are those σ². A second projection + SVQB
// pass restores orthogonality lost when dividing by small σ.
template <class T>
arma::Mat<T> compressed_complement(const arma::Mat<T>& q, arma::Mat<T> r, double floor) {
  r -= q * (q.t() * r);                 // (d, b)
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
  top_ = TopEigen<T>{};
  stats_ = TrackerStats{};
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

// One update on the warm basis_; returns whether the wanted residuals met tol.
template <class T>
bool TopEigenTracker<T>::iterate(const BlockApply& apply) {
  const arma::uword d = basis_.n_rows;
  const arma::uword p = basis_.n_cols;  // p_top upper + p_low lower guard vectors
  const arma::uword p_top = std::min<arma::uword>(k_ + options_.oversample, d);
  const arma::uword p_low = p - p_top;
  const double tol = options_.tol;

  // Basis drifts from orthonormality by rounding across updates: clean it, refill if rank drops.
  arma::Mat<T> q = svqb(basis_);  // (d, p)
  if (q.n_cols < p) {
    arma::Mat<T> extra = orthonormal_complement<T>(q, random_orthonormal<T>(d, p - q.n_cols, options_.seed));
    q = arma::join_rows(q, extra);
  }
  arma::Mat<T> s = q;              // (d, n) search basis
  arma::Mat<T> ms = apply(s);      // (d, n) M·s
  if (ms.n_rows != d || ms.n_cols != s.n_cols) throw std::invalid_argument("TopEigenTracker: apply returned a wrong shape");
  require_finite(ms, "M times the Ritz basis");
  stats_.block_columns += s.n_cols;

  double scale = 0.0;
  arma::Col<T> theta;  // (p) Ritz values: p_top descending, then the p_low smallest
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

  basis_ = q;
  top_.values = theta.head(k_);
  top_.vectors = q.head_cols(k_);
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
  ++stats_.updates;
  stats_.iterations = 0;
  stats_.block_columns = 0;
  stats_.used_full = false;
  const std::size_t p_top = std::min<std::size_t>(k_ + options_.oversample, d);
  const std::size_t p = p_top + std::min<std::size_t>(options_.low_guard, d - p_top);
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
  const bool cold = basis_.n_rows != d || basis_.n_cols != p;
  if (cold && options_.cold_start_full) {
    full();
    return top_;
  }
  if (cold) basis_ = random_orthonormal<T>(d, p, options_.seed);
  if (!iterate(apply) && options_.fallback_full) full();
  return top_;
}

template struct TopEigen<float>;
template struct TopEigen<double>;
template TopEigen<float> top_eigenpairs_full<float>(const arma::Mat<float>&, std::size_t);
template TopEigen<double> top_eigenpairs_full<double>(const arma::Mat<double>&, std::size_t);
template class TopEigenTracker<float>;
template class TopEigenTracker<double>;

}  // namespace vclab
