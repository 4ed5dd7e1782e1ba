// environment_info() and git_revision(). See run_info.hpp.
#include "io/run_info.hpp"

#include <hdf5.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <armadillo>
#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <optional>

#include "git_revision.h"  // VCLAB_GIT_REV, written by the build (scripts/git_revision.cmake)
#ifndef VCLAB_VERSION
#define VCLAB_VERSION "unknown"
#endif

extern "C" char* openblas_get_config();
extern "C" int openblas_get_num_threads();

namespace vclab {

namespace {

// Runs a shell command and returns its stdout with trailing whitespace removed, or nullopt when
// it fails. Used only for git; errors are silent by design.
std::optional<std::string> capture(const std::string& command) {
  FILE* pipe = ::popen((command + " 2>/dev/null").c_str(), "r");
  if (pipe == nullptr) return std::nullopt;
  std::string out;
  std::array<char, 256> buf{};
  while (std::fgets(buf.data(), static_cast<int>(buf.size()), pipe) != nullptr) out += buf.data();
  const int status = ::pclose(pipe);
  if (status != 0) return std::nullopt;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == ' ')) out.pop_back();
  return out;
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

// The directory this file was compiled from (CMake passes absolute source paths), i.e. the checkout.
std::filesystem::path source_dir() { return std::filesystem::path(__FILE__).parent_path(); }

struct CheckoutState {
  std::string revision;
  bool dirty = false;
};

std::optional<CheckoutState> checkout_state() {
  const std::filesystem::path dir = source_dir();
  std::error_code ec;
  if (!dir.is_absolute() || !std::filesystem::is_directory(dir, ec)) return std::nullopt;
  const std::string git = "git -C " + shell_quote(dir.string());
  const auto rev = capture(git + " rev-parse HEAD");
  if (!rev || rev->size() < 7) return std::nullopt;
  CheckoutState st;
  st.revision = *rev;
  const auto status = capture(git + " status --porcelain --untracked-files=no");
  st.dirty = status && !status->empty();
  return st;
}

std::string compiler_name() {
#if defined(__clang__)
  return std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
  return std::string("gcc ") + __VERSION__;
#else
  return "unknown";
#endif
}

}  // namespace

std::string utc_timestamp() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string git_revision() {
  if (const auto st = checkout_state()) return st->revision;
  return VCLAB_GIT_REV;
}

nlohmann::json environment_info() {
  nlohmann::json info;
  info["vclab_version"] = VCLAB_VERSION;

  nlohmann::json git;
  git["build_revision"] = VCLAB_GIT_REV;
  if (const auto st = checkout_state()) {
    git["revision"] = st->revision;
    git["dirty"] = st->dirty;
    git["source"] = "checkout";
  } else {
    git["revision"] = VCLAB_GIT_REV;
    git["dirty"] = nullptr;
    git["source"] = "build";
  }
  info["git"] = git;

  info["armadillo_version"] = arma::arma_version::as_string();
  unsigned maj = 0, min = 0, rel = 0;
  if (H5get_libversion(&maj, &min, &rel) >= 0)
    info["hdf5_version"] = std::to_string(maj) + "." + std::to_string(min) + "." + std::to_string(rel);
  else
    info["hdf5_version"] = nullptr;
  const char* blas = openblas_get_config();
  info["openblas_config"] = blas != nullptr ? std::string(blas) : std::string("unknown");
  info["openblas_num_threads"] = openblas_get_num_threads();
  info["compiler"] = compiler_name();
  info["cxx_standard"] = static_cast<long>(__cplusplus);

  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0)
    info["hostname"] = std::string(host);
  else
    info["hostname"] = nullptr;
  struct utsname uts{};
  if (::uname(&uts) == 0) info["os"] = std::string(uts.sysname) + " " + uts.release + " " + uts.machine;
  info["timestamp_utc"] = utc_timestamp();
  return info;
}

}  // namespace vclab
