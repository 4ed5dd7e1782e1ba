// IDX reader (MNIST, Fashion-MNIST): big-endian header, magic 2051 = images (N, rows, cols) of
// unsigned bytes, magic 2049 = labels (N). Format: http://yann.lecun.com/exdb/mnist/ (bottom of page).
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "data/raw_images.hpp"

namespace vclab {

inline constexpr std::uint32_t kIdxImagesMagic = 2051;  // 0x00000803: ubyte, 3 dimensions
inline constexpr std::uint32_t kIdxLabelsMagic = 2049;  // 0x00000801: ubyte, 1 dimension

// Parses the bytes of an IDX image file (already decompressed); `file` names it in errors.
// Returns one channel of rows x cols, labels empty. Throws DataError on a bad magic, zero
// dimensions, or a payload that is not exactly N*rows*cols bytes.
RawImages parse_idx_images(const std::vector<std::uint8_t>& bytes, const std::string& file);

// Parses an IDX label file; every label must be < n_classes.
std::vector<std::uint8_t> parse_idx_labels(const std::vector<std::uint8_t>& bytes, const std::string& file,
                                           std::size_t n_classes = 10);

// Reads (plain or .gz) and parses.
RawImages read_idx_images(const std::filesystem::path& path);
std::vector<std::uint8_t> read_idx_labels(const std::filesystem::path& path, std::size_t n_classes = 10);

// Reads an image file and its label file and checks that the counts agree.
RawImages read_idx_pair(const std::filesystem::path& images, const std::filesystem::path& labels,
                        std::size_t n_classes = 10);

}  // namespace vclab
