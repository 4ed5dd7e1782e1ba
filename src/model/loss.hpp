// Losses on logits f (C, B): batch-mean cross-entropy, and MSE on one-hot targets (mean over all C·B entries, as PyTorch's MSELoss).
#pragma once
#include <armadillo>
#include <string>
#include <type_traits>

#include "util/enum_names.hpp"

namespace vclab {

enum class Loss { cross_entropy, mse };
inline constexpr EnumName<Loss> kLossNames[] = {{"cross-entropy", Loss::cross_entropy}, {"mse", Loss::mse}};
constexpr std::span<const EnumName<Loss>> enum_names(Loss) { return kLossNames; }


// Returns the batch loss ℒ and writes ∂ℒ/∂f (C, B) into grad (it carries the 1/B).
// targets (C, B): one-hot rows for classification, real values for regression.
template <class T>
double loss_and_gradient(Loss loss, const arma::Mat<T>& logits, const arma::Mat<T>& targets,
                         std::type_identity_t<arma::Mat<T>>* grad);

// Per-sample losses ℓ_i (B) and their gradients ∂ℓ_i/∂f_i (C, B) without the 1/B (for the EGOP).
template <class T>
arma::Col<T> per_sample_loss_gradient(Loss loss, const arma::Mat<T>& logits, const arma::Mat<T>& targets,
                                      std::type_identity_t<arma::Mat<T>>* grad);

// One-hot encoding of labels into (C, N).
template <class T> arma::Mat<T> one_hot(const arma::uvec& labels, std::size_t n_classes);

}  // namespace vclab
