// CIFAR-10 / CIFAR-100 binary readers: fixed-size records, validated size and label ranges.
#include "data/cifar_reader.hpp"

#include <algorithm>

#include "data/data_error.hpp"
#include "data/file_bytes.hpp"

namespace vclab {
namespace {

// label_offsets: positions of label bytes inside a record and their class counts; `keep` picks
// the one stored in RawImages::labels.
struct LabelByte {
  std::size_t offset;
  std::size_t n_classes;
  const char* what;
};

RawImages parse_records(const std::vector<std::uint8_t>& bytes, const std::string& file, const char* format,
                        std::size_t record_bytes, const std::vector<LabelByte>& label_bytes, std::size_t keep) {
  if (bytes.empty())
    throw DataError(file + ": empty file; expected " + format + " records of " + std::to_string(record_bytes) +
                    " bytes (re-download it).");
  if (bytes.size() % record_bytes != 0)
    throw DataError(file + ": size " + std::to_string(bytes.size()) + " bytes is not a multiple of the " + format +
                    " record size " + std::to_string(record_bytes) + " (" + std::to_string(bytes.size() / record_bytes) +
                    " whole records + " + std::to_string(bytes.size() % record_bytes) +
                    " extra bytes): truncated file, or a file of the other CIFAR version? Re-download it.");
  const std::size_t n = bytes.size() / record_bytes;
  const std::size_t label_count = label_bytes.size();
  RawImages images{.channels = 3, .height = 32, .width = 32, .pixels = std::vector<std::uint8_t>(n * kCifarPixels),
                   .labels = std::vector<std::uint8_t>(n)};
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t* record = bytes.data() + i * record_bytes;
    for (const LabelByte& label : label_bytes)
      if (record[label.offset] >= label.n_classes)
        throw DataError(file + ": record " + std::to_string(i) + " has " + label.what + " label " +
                        std::to_string(record[label.offset]) + ", expected a class in [0, " +
                        std::to_string(label.n_classes) + ") (corrupt file, or not " + format + "?).");
    images.labels[i] = record[label_bytes[keep].offset];
    std::copy(record + label_count, record + record_bytes, images.pixels.begin() + i * kCifarPixels);
  }
  return images;
}

}  // namespace

RawImages parse_cifar10(const std::vector<std::uint8_t>& bytes, const std::string& file) {
  return parse_records(bytes, file, "CIFAR-10", kCifar10RecordBytes, {{0, 10, "class"}}, 0);
}

RawImages parse_cifar100(const std::vector<std::uint8_t>& bytes, const std::string& file, Cifar100Labels which) {
  return parse_records(bytes, file, "CIFAR-100", kCifar100RecordBytes, {{0, 20, "coarse"}, {1, 100, "fine"}},
                       which == Cifar100Labels::coarse ? 0 : 1);
}

RawImages read_cifar10(const std::filesystem::path& path) { return parse_cifar10(read_file_bytes(path), path.string()); }

RawImages read_cifar100(const std::filesystem::path& path, Cifar100Labels which) {
  return parse_cifar100(read_file_bytes(path), path.string(), which);
}

std::vector<std::string> read_class_names(const std::filesystem::path& path, std::size_t n_classes) {
  const std::vector<std::uint8_t> bytes = read_file_bytes(path);
  std::vector<std::string> names;
  std::string line;
  auto flush = [&] {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
    if (!line.empty()) names.push_back(line);
    line.clear();
  };
  for (std::uint8_t c : bytes) {
    if (c == '\n') flush();
    else line.push_back(static_cast<char>(c));
  }
  flush();
  if (names.size() != n_classes)
    throw DataError(path.string() + ": expected " + std::to_string(n_classes) + " class names (one per line), found " +
                    std::to_string(names.size()) + ". Fix or remove the file (names are optional).");
  return names;
}

}  // namespace vclab
