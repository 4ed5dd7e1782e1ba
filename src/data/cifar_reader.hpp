// CIFAR-10 / CIFAR-100 "binary version" readers (https://www.cs.toronto.edu/~kriz/cifar.html).
// CIFAR-10 record: 1 label byte + 3072 pixels; CIFAR-100 record: coarse label, fine label, 3072
// pixels. Pixels are the R plane, G plane, B plane, each 32x32 row-major = vclab's flattening.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "data/raw_images.hpp"

namespace vclab {

inline constexpr std::size_t kCifarPixels = 3 * 32 * 32;
inline constexpr std::size_t kCifar10RecordBytes = 1 + kCifarPixels;   // 3073
inline constexpr std::size_t kCifar100RecordBytes = 2 + kCifarPixels;  // 3074

// Which CIFAR-100 label to keep: the 100 fine classes (default) or the 20 coarse superclasses.
enum class Cifar100Labels { fine, coarse };

// Parse decompressed file bytes; `file` names the file in errors. Throws DataError when the file
// is empty, its size is not a whole number of records, or a label is out of range.
RawImages parse_cifar10(const std::vector<std::uint8_t>& bytes, const std::string& file);
RawImages parse_cifar100(const std::vector<std::uint8_t>& bytes, const std::string& file,
                         Cifar100Labels which = Cifar100Labels::fine);

// Read (plain or .gz) and parse.
RawImages read_cifar10(const std::filesystem::path& path);
RawImages read_cifar100(const std::filesystem::path& path, Cifar100Labels which = Cifar100Labels::fine);

// Class names, one per non-empty line (batches.meta.txt, fine_label_names.txt, coarse_label_names.txt).
// Throws DataError naming the file when the number of names is not n_classes.
std::vector<std::string> read_class_names(const std::filesystem::path& path, std::size_t n_classes);

}  // namespace vclab
