// Shared test helpers: named tolerances, require_close reporting the worst element, data lookup.
#pragma once
#include <unistd.h>

#include <algorithm>
#include <armadillo>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>
#include <doctest/doctest.h>

namespace vclab::test {

// Relative-to-scale comparison: max|a-b| <= tol * max(1, max|b|). Reports the worst element.
template <typename A, typename B>
void require_close(const A& a_in, const B& b_in, double tol, const std::string& what = "") {
  const arma::mat a = arma::conv_to<arma::mat>::from(a_in);
  const arma::mat b = arma::conv_to<arma::mat>::from(b_in);
  REQUIRE_MESSAGE(a.n_rows == b.n_rows, what << ": row mismatch " << a.n_rows << " vs " << b.n_rows);
  REQUIRE_MESSAGE(a.n_cols == b.n_cols, what << ": col mismatch " << a.n_cols << " vs " << b.n_cols);
  if (a.n_elem == 0) return;
  const arma::mat diff = arma::abs(a - b);
  const arma::uword worst = diff.index_max();
  const double scale = std::max(1.0, arma::abs(b).max());
  const double err = diff(worst) / scale;
  std::ostringstream msg;
  msg << what << ": worst element (" << worst % a.n_rows << ", " << worst / a.n_rows << ") "
      << a(worst) << " vs " << b(worst) << ", relative error " << err << " > tol " << tol;
  REQUIRE_MESSAGE(err <= tol, msg.str());
}

// Real datasets for tests live in ../shared/data (CMake passes the path); $VCLAB_TEST_DATA overrides.
inline std::filesystem::path test_data_root() {
  if (const char* env = std::getenv("VCLAB_TEST_DATA")) return env;
  return VCLAB_TEST_DATA;
}

// Returns true (and prints a visible SKIP line) when a real data directory is missing.
inline bool skip_without(const std::filesystem::path& dir) {
  if (std::filesystem::exists(dir)) return false;
  std::cout << "SKIP: real data not found at " << dir << " (set VCLAB_TEST_DATA)\n";
  MESSAGE("SKIP: real data not found at " << dir.string());
  return true;
}

// Sets (or unsets, for nullopt) an environment variable for one scope, restoring it afterwards.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) setenv(name, value->c_str(), 1);
    else unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_) setenv(name_, old_->c_str(), 1);
    else unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// A fresh directory under the system temp dir, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("vclab_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

  // Sorted names of the entries directly inside the directory.
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(path_)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace vclab::test
