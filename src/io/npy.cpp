// .npy reader and writer, following numpy's format specification (numpy/lib/format.py).
#include "io/npy.hpp"

#include <bit>
#include <cstdint>
#include <cstring>

#include "io/atomic_write.hpp"
#include "io/io_error.hpp"
#include "io/whole_file.hpp"

namespace vclab {

static_assert(std::endian::native == std::endian::little, "the .npy code assumes a little-endian machine");

namespace {

constexpr char kMagic[] = "\x93NUMPY";  // 6 bytes, then major and minor version bytes
constexpr std::size_t kMagicLen = 6;

// Value text of `key` in the header dict literal, e.g. "'<f8'" or "(3, 4)" or "False".
std::string dict_value(const std::filesystem::path& path, const std::string& header, const std::string& key) {
  const std::string quoted_key = "'" + key + "'";
  std::size_t pos = header.find(quoted_key);
  if (pos == std::string::npos)
    throw IoError(path, "the .npy header has no '" + key + "' entry (header: " + header + ")",
                  "Rewrite the file with numpy.save");
  pos = header.find(':', pos + quoted_key.size());
  if (pos == std::string::npos) throw IoError(path, "malformed .npy header: " + header, "Rewrite it with numpy.save");
  ++pos;
  while (pos < header.size() && header[pos] == ' ') ++pos;
  std::size_t end = pos;
  if (pos < header.size() && header[pos] == '(') {
    end = header.find(')', pos);
    if (end == std::string::npos) throw IoError(path, "malformed shape in .npy header: " + header, "Rewrite it with numpy.save");
    ++end;
  } else if (pos < header.size() && (header[pos] == '\'' || header[pos] == '"')) {
    end = header.find(header[pos], pos + 1);
    if (end == std::string::npos) throw IoError(path, "malformed descr in .npy header: " + header, "Rewrite it with numpy.save");
    ++end;
  } else {
    while (end < header.size() && header[end] != ',' && header[end] != '}') ++end;
  }
  std::string value = header.substr(pos, end - pos);
  while (!value.empty() && value.back() == ' ') value.pop_back();
  return value;
}

std::size_t dtype_size(const std::string& descr) {
  if (descr == "<f8" || descr == "<i8") return 8;
  if (descr == "<f4" || descr == "<i4") return 4;
  if (descr == "|u1" || descr == "<u1") return 1;
  return 0;
}

template <class T>
void convert(const char* src, std::size_t n, double* dst) {
  for (std::size_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, src + i * sizeof(T), sizeof(T));
    dst[i] = static_cast<double>(v);
  }
}

NpyHeader parse_header(const std::filesystem::path& path, const std::string& bytes) {
  if (bytes.size() < kMagicLen + 2 || std::memcmp(bytes.data(), kMagic, kMagicLen) != 0)
    throw IoError(path, "not a .npy file (missing the \\x93NUMPY magic; found " + std::to_string(bytes.size()) +
                            " bytes)",
                  "Save the array with numpy.save (not savez, pickle or tofile)");
  const int major = static_cast<unsigned char>(bytes[6]);
  const int minor = static_cast<unsigned char>(bytes[7]);
  if (major < 1 || major > 3)
    throw IoError(path, "unsupported .npy format version " + std::to_string(major) + "." + std::to_string(minor) +
                            " (expected 1.0, 2.0 or 3.0)",
                  "Re-save the array with numpy.save from a numpy release that writes version 1-3");
  const std::size_t len_bytes = major == 1 ? 2 : 4;  // the header length: 2 bytes in version 1, 4 from version 2
  const std::size_t prefix = kMagicLen + 2 + len_bytes;
  if (bytes.size() < prefix) throw IoError(path, "truncated .npy header", "Re-save the file");
  std::size_t header_len = 0;
  for (std::size_t i = 0; i < len_bytes; ++i)
    header_len |= static_cast<std::size_t>(static_cast<unsigned char>(bytes[kMagicLen + 2 + i])) << (8 * i);
  if (bytes.size() < prefix + header_len)
    throw IoError(path, "truncated .npy header (expected " + std::to_string(header_len) + " header bytes, found " +
                            std::to_string(bytes.size() - prefix) + ")",
                  "The file was cut short; re-save it");
  NpyHeader h;
  const std::string header = bytes.substr(prefix, header_len);
  h.data_offset = prefix + header_len;

  std::string descr = dict_value(path, header, "descr");
  if (descr.size() < 2 || (descr.front() != '\'' && descr.front() != '"'))
    throw IoError(path, "unsupported dtype " + descr + " (a structured dtype)",
                  "Save a plain numeric array (float32, float64, int32, int64)");
  h.descr = descr.substr(1, descr.size() - 2);

  const std::string fortran = dict_value(path, header, "fortran_order");
  if (fortran != "True" && fortran != "False")
    throw IoError(path, "malformed fortran_order '" + fortran + "' in .npy header", "Re-save it with numpy.save");
  h.fortran_order = fortran == "True";

  const std::string shape = dict_value(path, header, "shape");
  if (shape.size() < 2 || shape.front() != '(') throw IoError(path, "malformed shape " + shape + " in .npy header", "Re-save it");
  std::string num;
  for (std::size_t i = 1; i < shape.size(); ++i) {
    const char c = shape[i];
    if (c >= '0' && c <= '9') {
      num += c;
    } else if (c == ',' || c == ')') {
      if (!num.empty()) h.shape.push_back(std::stoull(num));
      num.clear();
    } else if (c != ' ' && c != 'L') {  // 'L': Python 2 long suffix
      throw IoError(path, "malformed shape " + shape + " in .npy header", "Re-save it with numpy.save");
    }
  }
  return h;
}

std::string make_header(const std::string& descr, const std::vector<std::size_t>& shape) {
  std::string dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    dict += std::to_string(shape[i]);
    if (shape.size() == 1 || i + 1 < shape.size()) dict += ",";
    if (i + 1 < shape.size()) dict += " ";
  }
  dict += "), }";
  // Pad with spaces and end with '\n' so that magic + lengths + header is a multiple of 64 bytes.
  constexpr std::size_t kAlign = 64;
  std::size_t version_major = 1, len_bytes = 2;
  std::size_t total = kMagicLen + 2 + len_bytes + dict.size() + 1;
  if (dict.size() + 1 + ((kAlign - total % kAlign) % kAlign) > 65535) {
    version_major = 2;
    len_bytes = 4;
    total = kMagicLen + 2 + len_bytes + dict.size() + 1;
  }
  dict += std::string((kAlign - total % kAlign) % kAlign, ' ');
  dict += '\n';
  std::string out(kMagic, kMagicLen);
  out += static_cast<char>(version_major);
  out += '\0';
  for (std::size_t i = 0; i < len_bytes; ++i) out += static_cast<char>((dict.size() >> (8 * i)) & 0xff);
  out += dict;
  return out;
}

template <class Elem>
void write_npy_data(const std::filesystem::path& path, const std::string& descr, const std::vector<std::size_t>& shape,
                    const Elem* row_major, std::size_t n) {
  std::string contents = make_header(descr, shape);
  const std::size_t offset = contents.size();
  contents.resize(offset + n * sizeof(Elem));
  if (n > 0) std::memcpy(contents.data() + offset, row_major, n * sizeof(Elem));
  write_file_atomically(path, contents);
}

}  // namespace

NpyHeader read_npy_header(const std::filesystem::path& path) { return parse_header(path, read_whole_file(path, ".npy file")); }

arma::mat read_npy(const std::filesystem::path& path) {
  const std::string bytes = read_whole_file(path, ".npy file");
  const NpyHeader h = parse_header(path, bytes);
  const std::size_t itemsize = dtype_size(h.descr);
  if (itemsize == 0) {
    const bool big_endian = !h.descr.empty() && h.descr.front() == '>';
    throw IoError(path, "unsupported dtype '" + h.descr + "'" + (big_endian ? " (big-endian)" : "") +
                            "; expected little-endian float32 '<f4', float64 '<f8', int32 '<i4', int64 '<i8' "
                            "or uint8 '|u1'",
                  "Convert before saving, e.g. numpy.save(path, a.astype('<f8'))");
  }
  if (h.shape.size() > 2)
    throw IoError(path, "array has " + std::to_string(h.shape.size()) + " dimensions, expected 1 or 2",
                  "Reshape it before saving, e.g. a.reshape(a.shape[0], -1)");
  std::size_t rows = 1, cols = 1;
  if (h.shape.size() >= 1) rows = h.shape[0];
  if (h.shape.size() == 2) cols = h.shape[1];
  const std::size_t n = rows * cols;
  const std::size_t available = bytes.size() - h.data_offset;
  if (available < n * itemsize)
    throw IoError(path, "truncated .npy data: expected " + std::to_string(n * itemsize) + " bytes for shape (" +
                            std::to_string(rows) + ", " + std::to_string(cols) + ") of " + h.descr + ", found " +
                            std::to_string(available),
                  "The file was cut short; re-save it");
  // C order (r, c) is column-major (c, r); Fortran order (r, c) is column-major (r, c).
  const bool c_order_2d = h.shape.size() == 2 && !h.fortran_order;
  arma::mat out(c_order_2d ? cols : rows, c_order_2d ? rows : cols);
  const char* src = bytes.data() + h.data_offset;
  if (h.descr == "<f8") convert<double>(src, n, out.memptr());
  else if (h.descr == "<f4") convert<float>(src, n, out.memptr());
  else if (h.descr == "<i8") convert<std::int64_t>(src, n, out.memptr());
  else if (h.descr == "<i4") convert<std::int32_t>(src, n, out.memptr());
  else convert<std::uint8_t>(src, n, out.memptr());
  if (c_order_2d) return out.n_elem > 0 ? arma::mat(out.t()) : arma::mat(rows, cols);
  return out;
}

void write_npy(const std::filesystem::path& path, const arma::mat& m) {
  const arma::mat row_major = m.n_elem > 0 ? arma::mat(m.t()) : arma::mat();
  write_npy_data(path, "<f8", {m.n_rows, m.n_cols}, row_major.memptr(), m.n_elem);
}

void write_npy(const std::filesystem::path& path, const arma::fmat& m) {
  const arma::fmat row_major = m.n_elem > 0 ? arma::fmat(m.t()) : arma::fmat();
  write_npy_data(path, "<f4", {m.n_rows, m.n_cols}, row_major.memptr(), m.n_elem);
}

void write_npy(const std::filesystem::path& path, const arma::vec& v) {
  write_npy_data(path, "<f8", {v.n_elem}, v.memptr(), v.n_elem);
}

void write_npy(const std::filesystem::path& path, const arma::fvec& v) {
  write_npy_data(path, "<f4", {v.n_elem}, v.memptr(), v.n_elem);
}

}  // namespace vclab
