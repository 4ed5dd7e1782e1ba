// SHA-256 sidecars (sha256sum format) of vclab's own HDF5 files. See sha256_sidecar.hpp.
#include "io/sha256_sidecar.hpp"

#include <cctype>
#include <fstream>
#include <stdexcept>
#include <string>

#include "data/checksum.hpp"
#include "io/io_error.hpp"

namespace vclab {
namespace {

constexpr std::size_t kSha256HexDigits = 64;

std::string file_sha256(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw IoError(file, "cannot open it to compute its SHA-256", "Check its permissions");
  try {
    return sha256_hex(in);
  } catch (const std::runtime_error& e) {
    throw IoError(file, std::string("cannot compute its SHA-256: ") + e.what(), "Check the disk");
  }
}

std::string fix_for(const std::filesystem::path& file) {
  return "Re-run the command that wrote " + file.filename().string() + ", or restore it together with its " +
         sha256_sidecar_path(file).filename().string() + " from a backup";
}

}  // namespace

std::filesystem::path sha256_sidecar_path(const std::filesystem::path& file) { return file.string() + ".sha256"; }

void write_sha256_sidecar(const std::filesystem::path& file, const std::filesystem::path& contents) {
  write_file_atomically(sha256_sidecar_path(file), file_sha256(contents) + "  " + file.filename().string() + "\n");
}

void verify_sha256_sidecar(const std::filesystem::path& file, Sidecar policy) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) return;  // missing or a directory: the opener says so
  const std::filesystem::path sidecar = sha256_sidecar_path(file);
  if (!std::filesystem::exists(sidecar, ec)) {
    if (policy == Sidecar::if_present) return;
    throw IoError(file, "no SHA-256 recorded for it (" + sidecar.filename().string() +
                            " is missing): vclab writes one with each of its files and opens its own files only "
                            "when they match it",
                  fix_for(file) + " (a file from a vclab that wrote no sidecars: run `sha256sum " +
                      file.filename().string() + " > " + sidecar.filename().string() +
                      "` in its directory if you trust it)");
  }
  std::ifstream in(sidecar);
  std::string line;
  std::getline(in, line);
  const std::string recorded = line.substr(0, kSha256HexDigits);
  bool hex = recorded.size() == kSha256HexDigits && (line.size() == kSha256HexDigits || line[kSha256HexDigits] == ' ');
  for (char c : recorded) hex = hex && std::isxdigit(static_cast<unsigned char>(c)) && !std::isupper(static_cast<unsigned char>(c));
  if (!hex)
    throw IoError(file, "its checksum file " + sidecar.filename().string() +
                            " does not start with a SHA-256 (64 lowercase hex digits, as sha256sum writes)",
                  fix_for(file));
  const std::string actual = file_sha256(file);
  if (actual != recorded)
    throw IoError(file, "its SHA-256 " + actual + " does not match " + recorded + ", recorded in " +
                            sidecar.filename().string() + " when vclab wrote it: the file is damaged or truncated, "
                            "and vclab does not open it",
                  fix_for(file));
}

}  // namespace vclab
