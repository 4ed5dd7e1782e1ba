// SHA-256 sidecars of the HDF5 files vclab writes and reads back (checkpoint.h5, recordings.h5, weights_*.h5):
// <file>.sha256 holds "<64 hex digits>  <file name>\n", the format of sha256sum, so `sha256sum -c file.h5.sha256`
// checks it from the file's directory. vclab compares a file with its sidecar before libhdf5 opens it: a damaged or
// truncated file is refused whatever the damage, instead of being parsed by libhdf5, which trusts what a file says.
#pragma once
#include <filesystem>
#include <utility>

#include "io/atomic_write.hpp"

namespace vclab {

// "<file>.sha256".
std::filesystem::path sha256_sidecar_path(const std::filesystem::path& file);

// Writes file's sidecar atomically, with the SHA-256 of `contents`: the finished temporary that is about to be
// renamed onto `file`, or `file` itself. Throws IoError naming the file.
void write_sha256_sidecar(const std::filesystem::path& file, const std::filesystem::path& contents);

// Whether a file must have a sidecar: `required` for files only vclab writes (checkpoints, recordings); `if_present`
// for files that may come from elsewhere (weights from h5py or PyTorch have none and are read as trusted input).
enum class Sidecar { required, if_present };

// Throws IoError naming `file` when its SHA-256 differs from the one its sidecar recorded, when the sidecar is not
// a SHA-256 line, or (Sidecar::required) when there is no sidecar. A missing `file` is left to the caller's own
// "not found" message.
void verify_sha256_sidecar(const std::filesystem::path& file, Sidecar policy);

// write_atomically (atomic_write.hpp) that also records the SHA-256: write_to_tmp(tmp) writes the file, then its
// sidecar is written (atomically) for what the temporary holds, then the temporary is renamed onto `path`. A failure
// before the last rename leaves the previous file and sidecar as they were.
template <class F>
void write_atomically_with_sha256(const std::filesystem::path& path, F&& write_to_tmp) {
  write_atomically(path, [&](const std::filesystem::path& tmp) {
    std::forward<F>(write_to_tmp)(tmp);
    write_sha256_sidecar(path, tmp);
  });
}

}  // namespace vclab
