// Helpers for the dataset tests: a self-deleting temp directory, writers for tiny files in every
// supported format (IDX, CIFAR binary, SVHN .mat through matio's own writer, gzip through zlib),
// and a check that a call throws DataError whose message contains given substrings.
#pragma once
#include <matio.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "data/data_error.hpp"
#include "test_util.hpp"

namespace vclab::test {

using Bytes = std::vector<std::uint8_t>;

inline void write_bytes(const std::filesystem::path& path, const Bytes& bytes) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  REQUIRE_MESSAGE(out.good(), "could not write test file " << path);
}

// The bytes of the file at `path`.
inline Bytes file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// gzip-compressed bytes produced by zlib's gz* API (a real .gz file, as gzip(1) writes them).
inline Bytes gzip_bytes(const Bytes& plain, const std::filesystem::path& scratch) {
  gzFile gz = gzopen(scratch.c_str(), "wb9");
  REQUIRE(gz != nullptr);
  if (!plain.empty()) REQUIRE(gzwrite(gz, plain.data(), static_cast<unsigned>(plain.size())) == int(plain.size()));
  REQUIRE(gzclose(gz) == Z_OK);
  Bytes out = file_bytes(scratch);
  std::filesystem::remove(scratch);
  return out;
}

// Writes `plain` to path, or gzip-compressed when the name ends in .gz.
inline void write_maybe_gz(const std::filesystem::path& path, const Bytes& plain) {
  if (path.extension() == ".gz") {
    std::filesystem::create_directories(path.parent_path());
    write_bytes(path, gzip_bytes(plain, path.string() + ".scratch"));
  } else {
    write_bytes(path, plain);
  }
}

inline void put_be32(Bytes& b, std::uint32_t v) {
  for (int shift : {24, 16, 8, 0}) b.push_back(static_cast<std::uint8_t>(v >> shift));
}

// IDX image file bytes: magic 2051, N, rows, cols, then pixels (N*rows*cols, row-major per image).
inline Bytes idx_images_bytes(std::uint32_t n, std::uint32_t rows, std::uint32_t cols, const Bytes& pixels,
                              std::uint32_t magic = 2051) {
  Bytes b;
  put_be32(b, magic);
  put_be32(b, n);
  put_be32(b, rows);
  put_be32(b, cols);
  b.insert(b.end(), pixels.begin(), pixels.end());
  return b;
}

inline Bytes idx_labels_bytes(const Bytes& labels, std::uint32_t magic = 2049) {
  Bytes b;
  put_be32(b, magic);
  put_be32(b, static_cast<std::uint32_t>(labels.size()));
  b.insert(b.end(), labels.begin(), labels.end());
  return b;
}

// Test pixel pattern: a value that differs for every (image, channel, row, col) combination used.
inline std::uint8_t pattern_pixel(std::size_t image, std::size_t c, std::size_t row, std::size_t col) {
  return static_cast<std::uint8_t>((image * 37 + c * 101 + row * 7 + col * 3 + 11) % 256);
}

// CIFAR-10 records: label byte, then R, G, B planes of 32x32 row-major.
inline Bytes cifar10_bytes(const Bytes& labels, std::size_t first_image = 0) {
  Bytes b;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    b.push_back(labels[i]);
    for (std::size_t c = 0; c < 3; ++c)
      for (std::size_t row = 0; row < 32; ++row)
        for (std::size_t col = 0; col < 32; ++col) b.push_back(pattern_pixel(first_image + i, c, row, col));
  }
  return b;
}

// MNIST layout with 3 train images and 2 test images of 2x4 pixels.
inline void write_tiny_mnist(const std::filesystem::path& dir, const std::string& suffix = ".gz") {
  auto pixels = [](std::size_t n, std::size_t first) {
    Bytes p;
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t r = 0; r < 2; ++r)
        for (std::size_t c = 0; c < 4; ++c) p.push_back(pattern_pixel(first + i, 0, r, c));
    return p;
  };
  write_maybe_gz(dir / ("train-images-idx3-ubyte" + suffix), idx_images_bytes(3, 2, 4, pixels(3, 0)));
  write_maybe_gz(dir / ("train-labels-idx1-ubyte" + suffix), idx_labels_bytes({5, 0, 4}));
  write_maybe_gz(dir / ("t10k-images-idx3-ubyte" + suffix), idx_images_bytes(2, 2, 4, pixels(2, 3)));
  write_maybe_gz(dir / ("t10k-labels-idx1-ubyte" + suffix), idx_labels_bytes({7, 2}));
}

// CIFAR-10 archive layout (cifar-10-batches-bin/), 2 records per train batch, 3 test records.
inline void write_tiny_cifar10(const std::filesystem::path& dir) {
  const std::filesystem::path sub = dir / "cifar-10-batches-bin";
  for (int k = 1; k <= 5; ++k) {
    const std::uint8_t l = static_cast<std::uint8_t>(2 * k);
    write_maybe_gz(sub / ("data_batch_" + std::to_string(k) + ".bin.gz"),
                   cifar10_bytes({static_cast<std::uint8_t>(l % 10), static_cast<std::uint8_t>((l + 1) % 10)}, 2 * (k - 1)));
  }
  write_maybe_gz(sub / "test_batch.bin", cifar10_bytes({3, 8, 8}, 100));
}

// CIFAR-100 records: coarse label, fine label, then the three planes.
inline Bytes cifar100_bytes(const Bytes& coarse, const Bytes& fine) {
  Bytes b;
  for (std::size_t i = 0; i < fine.size(); ++i) {
    b.push_back(coarse[i]);
    b.push_back(fine[i]);
    for (std::size_t c = 0; c < 3; ++c)
      for (std::size_t row = 0; row < 32; ++row)
        for (std::size_t col = 0; col < 32; ++col) b.push_back(pattern_pixel(i, c, row, col));
  }
  return b;
}

// Writes `var` (any class: cell and struct arrays too) with matio's own API, so the file is a genuine MAT file,
// and frees it.
inline void write_mat_var(mat_t* mat, matvar_t* var, matio_compression compression) {
  REQUIRE(var != nullptr);
  REQUIRE(Mat_VarWrite(mat, var, compression) == 0);
  Mat_VarFree(var);
}

// Writes one numeric variable of the given class, type and dimensions.
inline void write_mat_var(mat_t* mat, const char* name, matio_classes cls, matio_types type, std::vector<size_t> dims,
                          void* data, matio_compression compression) {
  write_mat_var(mat, Mat_VarCreate(name, cls, type, static_cast<int>(dims.size()), dims.data(), data, 0), compression);
}

// SVHN-format file: X uint8 (32, 32, 3, N) with X(row, col, c, n) = pattern_pixel(n, c, row, col),
// stored column-major as MATLAB does, and y double (N, 1) = labels (1..10).
inline void write_svhn_mat(const std::filesystem::path& path, const std::vector<double>& labels,
                           mat_ft version = MAT_FT_MAT5, matio_compression compression = MAT_COMPRESSION_ZLIB) {
  const std::size_t n = labels.size();
  Bytes x(32 * 32 * 3 * n);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t c = 0; c < 3; ++c)
      for (std::size_t col = 0; col < 32; ++col)
        for (std::size_t row = 0; row < 32; ++row)
          x[row + 32 * col + 32 * 32 * c + 32 * 32 * 3 * i] = pattern_pixel(i, c, row, col);
  std::vector<double> y = labels;
  std::filesystem::create_directories(path.parent_path());
  mat_t* mat = Mat_CreateVer(path.c_str(), nullptr, version);
  REQUIRE(mat != nullptr);
  write_mat_var(mat, "X", MAT_C_UINT8, MAT_T_UINT8, {32, 32, 3, n}, x.data(), compression);
  write_mat_var(mat, "y", MAT_C_DOUBLE, MAT_T_DOUBLE, {n, 1}, y.data(), compression);
  Mat_Close(mat);
}

// Runs f, requires a vclab::DataError, and requires its message to contain every `needles` entry.
inline void require_data_error(const std::function<void()>& f, const std::vector<std::string>& needles) {
  std::string message;
  bool thrown = false;
  try {
    f();
  } catch (const vclab::DataError& e) {
    thrown = true;
    message = e.what();
  } catch (const std::exception& e) {
    FAIL("expected vclab::DataError, got another exception: " << e.what());
  }
  REQUIRE_MESSAGE(thrown, "expected vclab::DataError, nothing was thrown");
  for (const std::string& needle : needles) {
    CHECK_MESSAGE(message.find(needle) != std::string::npos,
                  "DataError message lacks '" << needle << "': " << message);
  }
}

}  // namespace vclab::test
