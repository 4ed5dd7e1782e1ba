// Neural collapse NC1–NC4 from last-hidden features (rows = samples), labels and classifier W:
// NC1 = tr(Σ_W Σ_B⁺)/C, NC2/NC3 Frobenius distances of normalised matrices, NC4 NCC disagreement.
#include "analyses/neural_collapse.hpp"

#include <stdexcept>
#include <string>

namespace vclab {

NeuralCollapse neural_collapse(const arma::mat& features, const arma::uvec& labels, const arma::mat& classifier) {
  const std::size_t n = features.n_rows, p = features.n_cols, classes = classifier.n_rows;
  if (labels.n_elem != n)
    throw std::invalid_argument("neural_collapse: " + std::to_string(labels.n_elem) + " labels for " +
                                std::to_string(n) + " samples");
  if (classifier.n_cols != p)
    throw std::invalid_argument("neural_collapse: classifier has " + std::to_string(classifier.n_cols) +
                                " columns but features have " + std::to_string(p));
  if (classes < 2) throw std::invalid_argument("neural_collapse: need at least 2 classes");

  arma::mat means(classes, p, arma::fill::zeros);
  arma::vec counts(classes, arma::fill::zeros);
  for (std::size_t i = 0; i < n; ++i) {
    if (labels(i) >= classes)
      throw std::invalid_argument("neural_collapse: label " + std::to_string(labels(i)) + " out of range for " +
                                  std::to_string(classes) + " classes");
    means.row(labels(i)) += features.row(i);
    counts(labels(i)) += 1.0;
  }
  for (std::size_t c = 0; c < classes; ++c) {
    if (counts(c) == 0.0) throw std::invalid_argument("neural_collapse: class " + std::to_string(c) + " has no samples");
    means.row(c) /= counts(c);
  }
  const arma::rowvec global_mean = arma::mean(features, 0);

  // NC1.
  const arma::mat within_dev = features - means.rows(labels);
  const arma::mat sigma_w = within_dev.t() * within_dev / static_cast<double>(n);
  const arma::mat centred_means = means.each_row() - global_mean;
  const arma::mat sigma_b = centred_means.t() * centred_means / static_cast<double>(classes);
  arma::mat sigma_b_pinv;
  if (!arma::pinv(sigma_b_pinv, sigma_b)) throw std::runtime_error("neural_collapse: pseudo-inverse of Σ_B failed");
  NeuralCollapse out{};
  out.nc1 = arma::trace(sigma_w * sigma_b_pinv) / static_cast<double>(classes);

  // NC2.
  const arma::vec norms = arma::sqrt(arma::sum(arma::square(centred_means), 1));
  if (arma::any(norms == 0.0)) throw std::invalid_argument("neural_collapse: a class mean equals the global mean");
  const arma::mat m_tilde = centred_means.each_col() / norms;
  const arma::mat gram = m_tilde * m_tilde.t();
  const arma::mat etf = arma::eye(classes, classes) - arma::ones(classes, classes) / static_cast<double>(classes);
  out.nc2 = arma::norm(gram / arma::norm(gram, "fro") - etf / arma::norm(etf, "fro"), "fro");

  // NC3.
  out.nc3 = arma::norm(classifier / arma::norm(classifier, "fro") - m_tilde / arma::norm(m_tilde, "fro"), "fro");

  // NC4: nearest class centre vs argmax of the classifier's logits.
  const arma::mat logits = features * classifier.t();  // (N, C)
  std::size_t disagree = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const arma::rowvec dist = arma::sum(arma::square(means.each_row() - features.row(i)), 1).t();
    if (dist.index_min() != logits.row(i).index_max()) ++disagree;
  }
  out.nc4 = static_cast<double>(disagree) / static_cast<double>(n);
  return out;
}

}  // namespace vclab
