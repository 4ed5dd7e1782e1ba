// Provenance of a run for config.json and reports: vclab version, git revision, library versions,
// compiler, host and UTC time.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace vclab {

// The git revision of the vclab sources: `git rev-parse HEAD` of the checkout this library was
// built from, when that checkout is still present, else the revision baked in at configure time
// (VCLAB_GIT_REV, "unknown" if git was unavailable then).
std::string git_revision();

// {"vclab_version", "git": {"build_revision", "revision", "dirty", "source"}, "armadillo_version",
//  "hdf5_version", "openblas_config", "openblas_num_threads", "compiler", "cxx_standard",
//  "hostname", "timestamp_utc" (ISO 8601, e.g. "2025-06-01T12:34:56Z")}.
// Never throws for missing tools: unknown fields become null or "unknown".
nlohmann::json environment_info();

// Current UTC time as ISO 8601 with a Z suffix, seconds resolution.
std::string utc_timestamp();

}  // namespace vclab
