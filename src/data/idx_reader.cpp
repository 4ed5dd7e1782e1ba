// IDX reader (MNIST, Fashion-MNIST): validates magic, dimensions, payload size and labels.
#include "data/idx_reader.hpp"

#include "data/data_error.hpp"
#include "data/file_bytes.hpp"

namespace vclab {
namespace {

std::uint32_t read_be32(const std::vector<std::uint8_t>& b, std::size_t at) {
  return std::uint32_t(b[at]) << 24 | std::uint32_t(b[at + 1]) << 16 | std::uint32_t(b[at + 2]) << 8 |
         std::uint32_t(b[at + 3]);
}

void require_header(const std::vector<std::uint8_t>& bytes, std::size_t header_bytes, std::uint32_t magic,
                    const std::string& file, const char* kind) {
  if (bytes.size() >= 4) {  // the magic first: a swapped images/labels file is the likelier mistake
    const std::uint32_t found = read_be32(bytes, 0);
    if (found != magic) {
      std::string hint = " (not an IDX file, or a byte-swapped one; re-download it)";
      if (found == kIdxImagesMagic) hint = " (this is an IDX image file: images and labels swapped?)";
      if (found == kIdxLabelsMagic) hint = " (this is an IDX label file: images and labels swapped?)";
      throw DataError(file + ": expected IDX " + kind + " magic number " + std::to_string(magic) +
                      ", found " + std::to_string(found) + hint + ".");
    }
  }
  if (bytes.size() < header_bytes)
    throw DataError(file + ": expected an IDX " + kind + " file with a " + std::to_string(header_bytes) +
                    "-byte header, found only " + std::to_string(bytes.size()) +
                    " bytes (empty or truncated file; re-download it).");
}

}  // namespace

RawImages parse_idx_images(const std::vector<std::uint8_t>& bytes, const std::string& file) {
  constexpr std::size_t kHeader = 16;  // magic, N, rows, cols: four big-endian uint32
  require_header(bytes, kHeader, kIdxImagesMagic, file, "images");
  const std::uint64_t n = read_be32(bytes, 4), rows = read_be32(bytes, 8), cols = read_be32(bytes, 12);
  if (n == 0 || rows == 0 || cols == 0)
    throw DataError(file + ": expected positive IDX dimensions, found N=" + std::to_string(n) +
                    " rows=" + std::to_string(rows) + " cols=" + std::to_string(cols) + " (corrupt header).");
  const unsigned __int128 expected = static_cast<unsigned __int128>(n) * rows * cols;
  const std::size_t found = bytes.size() - kHeader;
  if (expected != found) {
    const std::string expected_text =
        expected > UINT64_MAX ? std::string("more than 2^64") : std::to_string(static_cast<std::uint64_t>(expected));
    throw DataError(file + ": header declares " + std::to_string(n) + " images of " + std::to_string(rows) + "x" +
                    std::to_string(cols) + ", so expected " + expected_text + " payload bytes, found " +
                    std::to_string(found) + (found < expected ? " (truncated file" : " (extra bytes") +
                    "; re-download it).");
  }
  // Pixels are row-major per image, as vclab wants.
  return RawImages{.channels = 1, .height = rows, .width = cols, .pixels = std::vector<std::uint8_t>(bytes.begin() + kHeader, bytes.end())};
}

std::vector<std::uint8_t> parse_idx_labels(const std::vector<std::uint8_t>& bytes, const std::string& file,
                                           std::size_t n_classes) {
  constexpr std::size_t kHeader = 8;  // magic, N
  require_header(bytes, kHeader, kIdxLabelsMagic, file, "labels");
  const std::uint64_t n = read_be32(bytes, 4);
  const std::size_t found = bytes.size() - kHeader;
  if (n == 0 || n != found) {
    throw DataError(file + ": header declares " + std::to_string(n) + " labels, so expected " + std::to_string(n) +
                    " payload bytes, found " + std::to_string(found) +
                    (n == 0 ? " (empty label file" : found < n ? " (truncated file" : " (extra bytes") +
                    "; re-download it).");
  }
  std::vector<std::uint8_t> labels(bytes.begin() + kHeader, bytes.end());
  for (std::size_t i = 0; i < labels.size(); ++i)
    if (labels[i] >= n_classes)
      throw DataError(file + ": label " + std::to_string(i) + " is " + std::to_string(labels[i]) +
                      ", expected a class in [0, " + std::to_string(n_classes) + ") (corrupt or wrong file).");
  return labels;
}

RawImages read_idx_images(const std::filesystem::path& path) { return parse_idx_images(read_file_bytes(path), path.string()); }

std::vector<std::uint8_t> read_idx_labels(const std::filesystem::path& path, std::size_t n_classes) {
  return parse_idx_labels(read_file_bytes(path), path.string(), n_classes);
}

RawImages read_idx_pair(const std::filesystem::path& images_path, const std::filesystem::path& labels_path,
                        std::size_t n_classes) {
  RawImages images = read_idx_images(images_path);
  images.labels = read_idx_labels(labels_path, n_classes);
  if (images.labels.size() != images.count())
    throw DataError(labels_path.string() + ": holds " + std::to_string(images.labels.size()) +
                    " labels but " + images_path.string() + " holds " + std::to_string(images.count()) +
                    " images; expected equal counts (files from different splits or releases?).");
  return images;
}

}  // namespace vclab
