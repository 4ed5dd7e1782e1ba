// Builds the update rule (SGD or VCL) named by the settings.
#pragma once
#include <memory>

#include "app/train_settings.hpp"
#include "train/update_rule.hpp"
#include "train/vcl.hpp"

namespace vclab {

template <class T> std::unique_ptr<UpdateRule<T>> make_update_rule(const TrainSettings& settings);

// The --vcl-* settings as VclOptions; UsageError naming the flags that cannot go with --optimizer vcl.
VclOptions vcl_options(const TrainSettings& settings);

}  // namespace vclab
