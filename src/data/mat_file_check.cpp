// check_mat5_structure: the MAT-file level 5 layout (MathWorks "MAT-File Format", ch. 1): a 128-byte header
// ending in version 0x0100 and the endian indicator "IM"/"MI", then data elements of an 8-byte tag (type, size)
// and their data; miMATRIX (14) holds sub-elements, miCOMPRESSED (15) a zlib stream of one miMATRIX.
#include "data/mat_file_check.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "data/data_error.hpp"

namespace vclab {
namespace {

constexpr std::uint32_t kMiMatrix = 14, kMiCompressed = 15;
constexpr std::size_t kHeaderBytes = 128;
constexpr std::size_t kMatrixPrefix = 512;     // enough for flags, dims (rank <= 32) and a name of 63 characters
constexpr std::size_t kMaxRankBytes = 4 * 32;  // MATLAB arrays have at most a few dimensions; 32 is generous

struct Reader {
  bool swap = false;
  std::uint32_t u32(const std::uint8_t* p) const {
    const std::uint32_t v = std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 | std::uint32_t(p[3]) << 24;
    return swap ? __builtin_bswap32(v) : v;
  }
};

[[noreturn]] void corrupt(const std::filesystem::path& path, std::uint64_t offset, const std::string& what) {
  throw DataError(path.string() + ": corrupt .mat file: " + what + " at byte " + std::to_string(offset) +
                  " (truncated or damaged file; re-download it).");
}

// The sub-elements at the start of a miMATRIX's data (`m`, of which `available` bytes are present, out of
// `declared`): array flags, dimensions, name. Each must fit in the declared size.
void check_matrix_prefix(const std::filesystem::path& path, const Reader& r, const std::uint8_t* m, std::size_t available,
                         std::uint64_t declared, std::uint64_t offset) {
  std::uint64_t pos = 0;
  for (int sub = 0; sub < 3; ++sub) {  // flags, dimensions, name
    if (pos + 8 > available) return;    // prefix ends here: libmatio checks the rest as it reads
    const std::uint32_t type = r.u32(m + pos);
    if ((type >> 16) != 0) {  // small data element: size in the upper half, data in the tag's second word
      if ((type >> 16) > 4) corrupt(path, offset + pos, "a small data element declares " + std::to_string(type >> 16) + " bytes");
      pos += 8;
      continue;
    }
    const std::uint64_t size = r.u32(m + pos + 4);
    const std::uint64_t padded = (size + 7) / 8 * 8;
    if (pos + 8 + padded > declared) {
      corrupt(path, offset + pos, "a sub-element declares " + std::to_string(size) + " bytes, its variable holds only " +
                                      std::to_string(declared - pos - 8));
    }
    if (sub == 1 && (size % 4 != 0 || size > kMaxRankBytes || size < 8)) {
      corrupt(path, offset + pos, "the dimensions sub-element declares " + std::to_string(size) + " bytes");
    }
    pos += 8 + padded;
  }
}

// The first `want` bytes of a zlib stream (or fewer if it ends); empty when the stream is corrupt.
std::vector<std::uint8_t> inflate_prefix(const std::vector<std::uint8_t>& compressed, std::size_t want) {
  std::vector<std::uint8_t> out(want);
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) return {};
  zs.next_in = const_cast<Bytef*>(compressed.data());
  zs.avail_in = static_cast<uInt>(compressed.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&zs, Z_SYNC_FLUSH);
  const std::size_t produced = out.size() - zs.avail_out;
  inflateEnd(&zs);
  if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) return {};
  out.resize(produced);
  return out;
}

}  // namespace

void check_mat5_structure(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::error_code ec;
  const std::uint64_t file_size = std::filesystem::file_size(path, ec);
  if (!in || ec) return;  // the reader reports unreadable files itself
  // Only level 5 (v5, v6, v7) and v7.3 files hold SVHN; rejecting anything else here also keeps libmatio from
  // falling back to its level-4 parser, which allocates a name length read from arbitrary bytes.
  const std::string expected = ": expected a MATLAB .mat file (level 5 or v7.3: a 128-byte header ending in version 0x0100 "
                               "or 0x0200 and the endian indicator IM), ";
  std::uint8_t header[kHeaderBytes];
  if (file_size < kHeaderBytes || !in.read(reinterpret_cast<char*>(header), kHeaderBytes)) {
    throw DataError(path.string() + expected + "found only " + std::to_string(file_size) + " bytes. Re-download it.");
  }
  const std::uint16_t version = std::uint16_t(header[124] | header[125] << 8);
  Reader r;
  if (header[126] == 'I' && header[127] == 'M') r.swap = false;
  else if (header[126] == 'M' && header[127] == 'I') r.swap = true;
  else throw DataError(path.string() + expected + "found no endian indicator (not a level-5 .mat file). Re-download it.");
  const std::uint16_t v = r.swap ? __builtin_bswap16(version) : version;
  if (v == 0x0200) return;  // v7.3: an HDF5 file, checked by libhdf5 under libmatio
  if (v != 0x0100) throw DataError(path.string() + expected + "found version 0x" + [&] {
                     char hex[8];
                     std::snprintf(hex, sizeof hex, "%04x", unsigned(v));
                     return std::string(hex);
                   }() + ". Re-download it.");

  std::uint64_t pos = kHeaderBytes;
  while (pos + 8 <= file_size) {
    std::uint8_t tag[8];
    in.seekg(std::streamoff(pos));
    if (!in.read(reinterpret_cast<char*>(tag), 8)) return;
    const std::uint32_t type = r.u32(tag);
    const std::uint64_t size = r.u32(tag + 4);
    if ((type >> 16) != 0) {  // a small element at top level: 8 bytes in all
      pos += 8;
      continue;
    }
    if (pos + 8 + size > file_size) {
      corrupt(path, pos, "a data element declares " + std::to_string(size) + " bytes, only " +
                             std::to_string(file_size - pos - 8) + " follow");
    }
    const std::size_t prefix_bytes = std::size_t(std::min<std::uint64_t>(size, type == kMiCompressed ? 4096 : kMatrixPrefix));
    std::vector<std::uint8_t> prefix(prefix_bytes);
    if (!in.read(reinterpret_cast<char*>(prefix.data()), std::streamsize(prefix.size()))) return;
    if (type == kMiMatrix) {
      check_matrix_prefix(path, r, prefix.data(), prefix.size(), size, pos + 8);
    } else if (type == kMiCompressed) {
      const std::vector<std::uint8_t> inner = inflate_prefix(prefix, kMatrixPrefix + 8);
      if (inner.size() >= 8 && r.u32(inner.data()) == kMiMatrix) {
        // Inflated sizes are bounded by zlib's maximum ratio (1032:1) of the compressed size.
        const std::uint64_t inner_size = r.u32(inner.data() + 4);
        if (inner_size > size * 1032) {
          corrupt(path, pos, "a compressed variable declares " + std::to_string(inner_size) +
                                 " bytes, more than its " + std::to_string(size) + " compressed bytes can hold");
        }
        check_matrix_prefix(path, r, inner.data() + 8, inner.size() - 8, inner_size, pos + 8);
      }
    }
    pos += 8 + size;
    if (type == kMiMatrix) pos = (pos + 7) / 8 * 8;
  }
}

}  // namespace vclab
