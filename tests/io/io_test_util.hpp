// Helpers for the I/O tests: scratch directories, running external readers (h5py, numpy,
// h5dump) and capturing exception messages.
#pragma once
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include <armadillo>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>
#include <doctest/doctest.h>

#include "test_util.hpp"

namespace vclab::test {

inline void write_text_file(const std::filesystem::path& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary);
  out << contents;
}

inline std::string read_text_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

struct CommandResult {
  int status = -1;     // exit status (0 = success)
  std::string output;  // stdout (stderr too when the command redirects it)
};

inline CommandResult run_command(const std::string& command) {
  CommandResult r;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) r.output.append(buf.data(), n);
  const int raw = ::pclose(pipe);
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return r;
}

// The system Python with numpy and h5py (the pyenv python3 on PATH lacks them).
inline const char* kPython = "/usr/bin/python3";

// True when `/usr/bin/python3 -c "import <modules>"` works; otherwise prints a visible SKIP line.
inline bool python_has(const std::string& modules) {
  const bool ok = std::filesystem::exists(kPython) &&
                  run_command(std::string(kPython) + " -c 'import " + modules + "' 2>/dev/null").status == 0;
  if (!ok) {
    std::cout << "SKIP: " << kPython << " with " << modules << " not available; independent-reader check skipped\n";
    MESSAGE("SKIP: " << kPython << " with " << modules << " not available");
  }
  return ok;
}

inline bool have_h5dump() {
  const bool ok = run_command("command -v h5dump >/dev/null 2>&1").status == 0;
  if (!ok) {
    std::cout << "SKIP: h5dump not found (Debian package hdf5-tools); h5dump check skipped\n";
    MESSAGE("SKIP: h5dump not found");
  }
  return ok;
}

// Writes a Python script to `dir`/name and runs it with the system Python; returns its stdout.
inline CommandResult run_python(const std::filesystem::path& dir, const std::string& script,
                                const std::string& args = "") {
  const std::filesystem::path file = dir / "check.py";
  write_text_file(file, script);
  return run_command(std::string(kPython) + " '" + file.string() + "' " + args + " 2>&1");
}

// The message of the exception `f` throws as type E; fails the test if it throws nothing.
template <class E, class F>
std::string thrown_message(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  FAIL("expected an exception, none was thrown");
  return "";
}

// A d1 x d2 matrix whose elements all differ and encode their position: m(i, j) = 10 i + j + 0.25
// (exact in float32 too), so any transposition or reordering shows up element by element.
inline arma::mat position_matrix(arma::uword d1, arma::uword d2) {
  arma::mat m(d1, d2);
  for (arma::uword i = 0; i < d1; ++i)
    for (arma::uword j = 0; j < d2; ++j) m(i, j) = 10.0 * static_cast<double>(i) + static_cast<double>(j) + 0.25;
  return m;
}

// Exact element-by-element equality with the first differing position in the failure message.
template <class A, class B>
void require_equal_elements(const A& a, const B& b, const std::string& what) {
  REQUIRE_MESSAGE(a.n_rows == b.n_rows, what << ": rows " << a.n_rows << " vs " << b.n_rows);
  REQUIRE_MESSAGE(a.n_cols == b.n_cols, what << ": cols " << a.n_cols << " vs " << b.n_cols);
  for (arma::uword i = 0; i < a.n_rows; ++i)
    for (arma::uword j = 0; j < a.n_cols; ++j) {
      const double x = static_cast<double>(a(i, j));
      const double y = static_cast<double>(b(i, j));
      REQUIRE_MESSAGE(x == y, what << ": element (" << i << ", " << j << ") " << x << " vs " << y);
    }
}

}  // namespace vclab::test
