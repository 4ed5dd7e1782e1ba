// Tests for run_info: environment_info has every field, with plausible values.
#include "io/run_info.hpp"

#include <hdf5.h>

#include <regex>

#include "io_test_util.hpp"

using namespace vclab;

TEST_CASE("environment_info reports versions, git revision, host and an ISO 8601 UTC time") {
  const nlohmann::json info = environment_info();
  CHECK(info.at("vclab_version").get<std::string>() == "0.1.0");
  const std::string hdf5 = std::to_string(H5_VERS_MAJOR) + "." + std::to_string(H5_VERS_MINOR) + ".";
  CHECK(info.at("hdf5_version").get<std::string>().rfind(hdf5, 0) == 0);
  CHECK(info.at("armadillo_version").get<std::string>().find('.') != std::string::npos);
  CHECK(info.at("openblas_config").get<std::string>().find("OpenBLAS") != std::string::npos);
  CHECK(info.at("openblas_num_threads").get<int>() >= 1);
  CHECK_FALSE(info.at("compiler").get<std::string>().empty());
  CHECK(info.at("hostname").is_string());
  const nlohmann::json& git = info.at("git");
  CHECK_FALSE(git.at("revision").get<std::string>().empty());
  CHECK(git.at("build_revision").is_string());
  CHECK((git.at("source") == "checkout" || git.at("source") == "build"));
  if (git.at("source") == "checkout") {
    CHECK(git.at("revision").get<std::string>().size() == 40);
    CHECK(git.at("dirty").is_boolean());
  }
  CHECK(git_revision() == git.at("revision").get<std::string>());
  const std::regex iso(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)");
  CHECK(std::regex_match(info.at("timestamp_utc").get<std::string>(), iso));
  CHECK(std::regex_match(utc_timestamp(), iso));
}
