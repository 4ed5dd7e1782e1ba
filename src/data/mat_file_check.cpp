// check_mat5_structure: the MAT-file level 5 layout (MathWorks "MAT-File Format", ch. 1): a 128-byte header
// ending in version 0x0100 and the endian indicator "IM"/"MI", then data elements of an 8-byte tag (type, size)
// and their data; miMATRIX (14) holds sub-elements, miCOMPRESSED (15) a zlib stream of one miMATRIX.
// libmatio's Mat_VarReadInfo trusts the dimensions sub-element's byte count (rank = bytes / 4: it allocates
// rank size_t) and the name's length; for compressed variables it inflates them before any later damage in the
// stream, so the check reads the same inflated bytes, up to the first zlib error.
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
constexpr std::uint32_t kMxCellClass = 1, kMxStructClass = 2, kMxCharClass = 4, kMxSparseClass = 5,
                        kMxLastNumericClass = 15, kMxFunctionClass = 16;  // mxCELL_CLASS .. mxFUNCTION_CLASS
constexpr std::size_t kMaxNameBytes = 4096;    // MATLAB names have at most 63 characters (namelengthmax)
constexpr std::uint64_t kMaxDeflateRatio = 1032;  // zlib's bound on inflated / compressed bytes
constexpr std::size_t kCompressedPrefix = 4096;   // compressed bytes inflated per variable: enough for its prefix

struct Reader {
  bool swap = false;
  std::uint32_t u32(const std::uint8_t* p) const {
    const std::uint32_t v = std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 | std::uint32_t(p[3]) << 24;
    return swap ? __builtin_bswap32(v) : v;
  }
};

// Where a problem lies: a byte offset in the file, or in the inflated stream of the variable compressed at a
// file offset (offsets inside compressed data mean nothing in the file itself).
struct Place {
  std::uint64_t file_offset = 0;
  bool compressed = false;
  std::uint64_t inflated_offset = 0;
  Place at(std::uint64_t delta) const {
    return compressed ? Place{file_offset, true, inflated_offset + delta} : Place{file_offset + delta, false, 0};
  }
  std::string text() const {
    return compressed ? "at byte " + std::to_string(inflated_offset) + " of the variable compressed at byte " +
                            std::to_string(file_offset)
                      : "at byte " + std::to_string(file_offset);
  }
};

[[noreturn]] void corrupt(const std::filesystem::path& path, const Place& place, const std::string& what) {
  throw DataError(path.string() + ": corrupt .mat file: " + what + " " + place.text() +
                  " (truncated or damaged file; re-download " + path.filename().string() + ").");
}

// The bytes libmatio's Mat_VarReadInfo allocates per element of a variable of class `array_class` before it reads
// any element, and the fewest bytes each element takes in the file: 0 when it allocates nothing per element.
// Char and numeric arrays: every stored element takes at least one byte (MATLAB may store doubles as uint8, never
// in less). Cell arrays and function handles (ReadNextCell, ReadNextFunctionHandle: nelems pointers) and struct
// arrays (ReadNextStructField: nelems x nfields pointers): every element (every field of every element) is a
// data element of its own, at least its 8-byte tag.
std::uint64_t min_bytes_per_element(std::uint32_t array_class, std::uint64_t struct_fields) {
  if (array_class >= kMxCharClass && array_class != kMxSparseClass && array_class <= kMxLastNumericClass) return 1;
  if (array_class == kMxCellClass || array_class == kMxFunctionClass) return 8;
  if (array_class == kMxStructClass) return 8 * struct_fields;
  return 0;
}

std::string class_name(std::uint32_t array_class) {
  switch (array_class) {
    case kMxCellClass: return "cell array";
    case kMxStructClass: return "struct array";
    case kMxCharClass: return "char array";
    case kMxFunctionClass: return "function handle array";
    default: return "numeric array";
  }
}

// The sub-elements at the start of a miMATRIX's data (`m`, of which `available` bytes are present, out of
// `declared`): array flags, dimensions, name, and for struct arrays the field name length and the field names.
// Each must fit in the declared size; the dimensions and the name, which libmatio allocates from their declared
// sizes, must also have plausible sizes, and the dimensions must not declare more elements than the variable's
// bytes can hold (libmatio allocates per element from the dimensions before it reads any element).
void check_matrix_prefix(const std::filesystem::path& path, const Reader& r, const std::uint8_t* m, std::size_t available,
                         std::uint64_t declared, const Place& place) {
  std::uint64_t pos = 0;
  std::uint32_t array_class = 0;  // the low byte of the array flags
  std::uint64_t elements = 1;     // saturates above `declared`
  std::string shape;
  std::uint64_t dims_at = 0;
  std::uint64_t field_name_length = 0;
  const auto require_elements_fit = [&](std::uint64_t struct_fields) {
    const std::uint64_t per_element = min_bytes_per_element(array_class, struct_fields);
    if (per_element > 0 && elements > declared / per_element) {
      const std::string each =
          per_element == 1 ? "at least one byte each"
                           : "a " + class_name(array_class) +
                                 (array_class == kMxStructClass ? " of " + std::to_string(struct_fields) + " fields" : "") +
                                 ": at least " + std::to_string(per_element) + " bytes each";
      corrupt(path, place.at(dims_at), "the dimensions declare " + shape + " elements, more than the variable's " +
                                           std::to_string(declared) + " bytes can hold (" + each + ")");
    }
  };
  for (int sub = 0; sub < (array_class == kMxStructClass ? 5 : 3); ++sub) {  // flags, dims, name[, field names]
    if (pos + 8 > available) return;    // prefix ends here: libmatio checks the rest as it reads
    const std::uint32_t type = r.u32(m + pos);
    if ((type >> 16) != 0) {  // small data element: size in the upper half, data in the tag's second word
      if ((type >> 16) > 4) corrupt(path, place.at(pos), "a small data element declares " + std::to_string(type >> 16) + " bytes");
      if (sub == 0) array_class = r.u32(m + pos + 4) & 0xFF;
      if (sub == 3) field_name_length = r.u32(m + pos + 4);
      if (sub == 4) {
        if (field_name_length == 0) corrupt(path, place.at(pos), "a struct array declares field names of 0 characters");
        require_elements_fit((type >> 16) / field_name_length);
      }
      pos += 8;
      continue;
    }
    const std::uint64_t size = r.u32(m + pos + 4);
    const std::uint64_t padded = (size + 7) / 8 * 8;
    if (pos + 8 + padded > declared) {
      corrupt(path, place.at(pos), "a sub-element declares " + std::to_string(size) + " bytes, its variable holds only " +
                                       std::to_string(declared - pos - 8));
    }
    if (sub == 1 && (size % 4 != 0 || size > kMaxRankBytes || size < 8)) {
      corrupt(path, place.at(pos), "the dimensions sub-element declares " + std::to_string(size) +
                                       " bytes, expected 8 to " + std::to_string(kMaxRankBytes) + " (2 to 32 int32 dimensions)");
    }
    if (sub == 0 && size >= 4 && pos + 12 <= available) array_class = r.u32(m + pos + 8) & 0xFF;
    if (sub == 1) {
      if (pos + 8 + size > available) return;  // dimensions beyond the prefix: nothing more to check here
      dims_at = pos;
      for (std::uint64_t i = 0; i < size / 4; ++i) {
        const std::uint64_t dim = r.u32(m + pos + 8 + 4 * i);
        shape += (i > 0 ? " x " : "") + std::to_string(dim);
        elements = dim == 0 || elements <= declared / dim ? elements * dim : declared + 1;
      }
      if (array_class != kMxStructClass) require_elements_fit(0);  // fuzzer findings: y 1 x 3840081921 in 56 bytes,
                                                                   // X a function handle array of 2.4e9 elements
    }
    if (sub == 2 && size > kMaxNameBytes) {
      corrupt(path, place.at(pos), "the variable name declares " + std::to_string(size) + " characters, expected at most " +
                                       std::to_string(kMaxNameBytes));
    }
    if (sub == 3) {
      if (size < 4 || pos + 12 > available) return;
      field_name_length = r.u32(m + pos + 8);
    }
    if (sub == 4) {
      if (field_name_length == 0) corrupt(path, place.at(pos), "a struct array declares field names of 0 characters");
      require_elements_fit(size / field_name_length);
    }
    pos += 8 + padded;
  }
}

// Inflates the start of a zlib stream: up to `want` bytes, fewer if the stream (or the compressed bytes given)
// ends first. A corrupt stream keeps what inflated before the damage, as libmatio reads that part too, and
// reports zlib's reason in `error`.
struct Inflated {
  std::vector<std::uint8_t> bytes;
  std::string error;  // empty when the stream is intact as far as it was read
};

Inflated inflate_prefix(const std::vector<std::uint8_t>& compressed, std::size_t want) {
  Inflated out;
  out.bytes.resize(want);
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) return {{}, "out of memory"};
  zs.next_in = const_cast<Bytef*>(compressed.data());
  zs.avail_in = static_cast<uInt>(compressed.size());
  zs.next_out = out.bytes.data();
  zs.avail_out = static_cast<uInt>(out.bytes.size());
  const int rc = inflate(&zs, Z_SYNC_FLUSH);
  out.bytes.resize(out.bytes.size() - zs.avail_out);
  if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
    out.error = zs.msg != nullptr ? zs.msg : zError(rc);
  }
  inflateEnd(&zs);
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
      corrupt(path, Place{pos}, "a data element declares " + std::to_string(size) + " bytes, only " +
                                   std::to_string(file_size - pos - 8) + " follow");
    }
    const std::size_t prefix_bytes =
        std::size_t(std::min<std::uint64_t>(size, type == kMiCompressed ? kCompressedPrefix : kMatrixPrefix));
    std::vector<std::uint8_t> prefix(prefix_bytes);
    if (!in.read(reinterpret_cast<char*>(prefix.data()), std::streamsize(prefix.size()))) return;
    if (type == kMiMatrix) {
      check_matrix_prefix(path, r, prefix.data(), prefix.size(), size, Place{pos + 8});
    } else if (type == kMiCompressed) {
      const Inflated inner = inflate_prefix(prefix, kMatrixPrefix + 8);
      const Place place{pos, true, 0};
      if (inner.bytes.size() >= 8 && r.u32(inner.bytes.data()) == kMiMatrix) {
        const std::uint64_t inner_size = r.u32(inner.bytes.data() + 4);
        if (inner_size > size * kMaxDeflateRatio) {
          corrupt(path, place, "a compressed variable declares " + std::to_string(inner_size) +
                                   " bytes, more than its " + std::to_string(size) + " compressed bytes can hold");
        }
        check_matrix_prefix(path, r, inner.bytes.data() + 8, inner.bytes.size() - 8, inner_size, place.at(8));
      }
      // A genuine file's streams inflate cleanly; damage this early would reach libmatio's header parsing.
      if (!inner.error.empty()) {
        corrupt(path, place, "the compressed data is not a valid zlib stream (zlib: " + inner.error + ") after " +
                                 std::to_string(inner.bytes.size()) + " inflated bytes");
      }
    }
    pos += 8 + size;
    if (type == kMiMatrix) pos = (pos + 7) / 8 * 8;
  }
}

}  // namespace vclab
