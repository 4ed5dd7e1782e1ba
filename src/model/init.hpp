// Weight initialisations: N(0, 1/fan_in), PyTorch's nn.Linear default U(±1/√fan_in), Xavier/Glorot uniform.
#pragma once
#include <armadillo>
#include <random>
#include <string>

#include "util/enum_names.hpp"

namespace vclab {

enum class Init { normal, pytorch, xavier };
inline constexpr EnumName<Init> kInitNames[] = {{"normal", Init::normal}, {"pytorch", Init::pytorch}, {"xavier", Init::xavier}};
constexpr std::span<const EnumName<Init>> enum_names(Init) { return kInitNames; }


// Fills w (fan_out, fan_in) and, when b is non-null, the bias (fan_out). Biases are U(±1/√fan_in)
// for the PyTorch init (as nn.Linear) and zero otherwise.
// A conv kernel reshaped to (c_out, c_in k²) already has fan_in = c_in k² as its column count (PyTorch's Conv2d
// default is then the same U(±1/√fan_in)); receptive_field = k² makes xavier's fan_out c_out k², as in
// torch.nn.init.xavier_uniform_. A dense layer leaves it at 1.
template <class T>
void initialize_layer(Init init, arma::Mat<T>& w, arma::Col<T>* b, std::mt19937_64& rng,
                      std::size_t receptive_field = 1);

}  // namespace vclab
