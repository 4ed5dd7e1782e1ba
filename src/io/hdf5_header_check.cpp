// Object header walk before libhdf5 loads a header; see hdf5_header_check.hpp.
#include "io/hdf5_header_check.hpp"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <vector>

#include "io/io_error.hpp"

namespace vclab {
namespace {

constexpr char kSignature[] = "\x89HDF\r\n\x1a\n";
constexpr std::uint16_t kContinuationMessage = 0x0010;
constexpr std::size_t kMaxChunks = 65536;  // a header of more chunks than this is not one libhdf5 wrote

// An address of all ones (in its declared width) is HDF5's "undefined address".
std::uint64_t decode_address(const std::uint8_t* p, unsigned bytes) {
  const std::uint64_t v = little_endian(p, bytes);
  return bytes < 8 && v == (std::uint64_t{1} << (8 * bytes)) - 1 ? kHdf5UndefinedAddress : v;
}

constexpr std::uint16_t kAttributeMessage = 0x000C;
constexpr std::uint16_t kSymbolTableMessage = 0x0011;

std::uint64_t saturating_multiply(std::uint64_t a, std::uint64_t b) {
  return b != 0 && a > ~std::uint64_t{0} / b ? ~std::uint64_t{0} : a * b;
}

// The bytes an attribute message (HDF5 spec IV.A.2.m, versions 1 to 3) needs for what it declares: its name,
// datatype and dataspace at their declared sizes, then the value (datatype size x dataspace points) when neither
// is shared. libhdf5 1.10.8's H5O_attr_decode advances through the message by the declared sizes without
// comparing them with the message, then copies the value from wherever that leads (fuzzer finding: a
// heap-buffer-overflow read in H5Aexists). Returns 0 for a version it does not decode (libhdf5 rejects those).
std::uint64_t attribute_message_needs(const std::uint8_t* m, std::size_t size, unsigned sizeof_size, bool& name_ok) {
  name_ok = true;
  if (size < 8) return size + 1;
  const unsigned version = m[0];
  if (version < 1 || version > 3) return 0;
  const unsigned flags = version >= 2 ? m[1] : 0;
  const std::uint64_t name_len = little_endian(m + 2, 2), dt_len = little_endian(m + 4, 2), ds_len = little_endian(m + 6, 2);
  const auto align = [&](std::uint64_t n) { return version == 1 ? (n + 7) / 8 * 8 : n; };
  const std::uint64_t name_at = version == 3 ? 9 : 8;
  const std::uint64_t dt_at = name_at + align(name_len), ds_at = dt_at + align(dt_len), value_at = ds_at + align(ds_len);
  if (value_at > size) return value_at;
  // libhdf5 copies the name up to its NUL, then compares its length with the declared one.
  name_ok = name_len > 0 && std::memchr(m + name_at, 0, std::size_t(name_len)) != nullptr;
  if ((flags & 0x03) != 0 || dt_len < 8 || ds_len < 4) return value_at;  // shared: the value's size is elsewhere
  const std::uint64_t element = little_endian(m + dt_at + 4, 4);
  const std::uint8_t* ds = m + ds_at;
  const unsigned ds_version = ds[0], rank = ds[1];
  std::uint64_t points = 1;
  std::uint64_t dims_at = 0;
  if (ds_version == 1) {
    dims_at = 8;
  } else if (ds_version == 2) {
    if (ds[3] == 2) points = 0;  // null dataspace
    dims_at = 4;
  } else {
    return value_at;  // libhdf5 rejects the dataspace
  }
  if (dims_at + std::uint64_t(rank) * sizeof_size > ds_len) return value_at;
  for (unsigned i = 0; i < rank && points > 0; ++i) {
    points = saturating_multiply(points, little_endian(ds + dims_at + std::uint64_t(i) * sizeof_size, sizeof_size));
  }
  const std::uint64_t value = saturating_multiply(element, points);
  return value > ~std::uint64_t{0} - value_at ? ~std::uint64_t{0} : value_at + value;
}

}  // namespace

std::uint64_t little_endian(const std::uint8_t* p, std::size_t bytes) {
  std::uint64_t v = 0;
  for (std::size_t i = bytes; i-- > 0;) v = v << 8 | p[i];
  return v;
}

bool read_at(std::istream& in, std::uint64_t pos, std::uint8_t* out, std::size_t n) {
  in.clear();
  in.seekg(std::streamoff(pos));
  return static_cast<bool>(in.read(reinterpret_cast<char*>(out), std::streamsize(n)));
}

Hdf5Layout read_hdf5_layout(const std::filesystem::path& file) {
  Hdf5Layout layout;
  std::error_code ec;
  layout.file_size = std::filesystem::file_size(file, ec);
  std::ifstream in(file, std::ios::binary);
  if (ec || !in) return layout;
  std::uint8_t b[128] = {};  // the largest superblock field read here ends at byte 76
  // libhdf5 looks for the signature at 0 and at every power of two from 512 on.
  for (std::uint64_t at = 0; at + 8 <= layout.file_size; at = at == 0 ? 512 : at * 2) {
    if (!read_at(in, at, b, 8) || std::memcmp(b, kSignature, 8) != 0) continue;
    const std::size_t n = std::size_t(std::min<std::uint64_t>(sizeof b, layout.file_size - at));
    std::memset(b, 0, sizeof b);
    if (!read_at(in, at, b, n)) return layout;
    const unsigned version = b[8];
    std::size_t root_at = 0, extension_at = 0;
    if (version <= 1) {
      layout.sizeof_addr = b[13];
      layout.sizeof_size = b[14];
      // base, free space, end of file and driver addresses, then the root symbol table entry: link name offset,
      // object header address. Version 1 has 4 more bytes (indexed storage K, reserved) before the addresses.
      root_at = (version == 1 ? 28 : 24) + 5 * std::size_t(layout.sizeof_addr);
    } else if (version <= 3) {
      layout.sizeof_addr = b[9];
      layout.sizeof_size = b[10];
      extension_at = 12 + std::size_t(layout.sizeof_addr);  // after the base address
      root_at = 12 + 3 * std::size_t(layout.sizeof_addr);    // after base, extension and end-of-file addresses
    } else {
      return layout;  // a version libhdf5 1.10 does not read: it reports the file
    }
    const auto usable = [](unsigned s) { return s == 2 || s == 4 || s == 8; };
    if (!usable(layout.sizeof_addr) || !usable(layout.sizeof_size) || root_at + layout.sizeof_addr > n) return layout;
    layout.base = at;
    layout.root = decode_address(b + root_at, layout.sizeof_addr);
    if (extension_at > 0) layout.superblock_extension = decode_address(b + extension_at, layout.sizeof_addr);
    layout.known = true;
    return layout;
  }
  return layout;
}

namespace {

// The local heap of an old-style group (its symbol table message names it; HDF5 spec III.D): "HEAP", version 0,
// 3 reserved bytes, data segment size, offset to the free list, data segment address. libhdf5 1.10.8 allocates the
// data segment from its declared size when it first reads the group's links (H5HL_protect <- H5G__stab_iterate;
// fuzzer finding: malloc(0xd46444889000058)), so the segment must lie inside the file.
void check_local_heap(const std::filesystem::path& file, std::istream& in, const Hdf5Layout& layout, std::uint64_t heap,
                      const std::string& where) {
  const std::uint64_t room = layout.file_size - layout.base;
  const std::size_t prefix_bytes = 8 + 2 * std::size_t(layout.sizeof_size) + layout.sizeof_addr;
  std::uint8_t prefix[8 + 2 * 8 + 8] = {};
  if (heap == kHdf5UndefinedAddress || heap >= room || prefix_bytes > room - heap ||
      !read_at(in, layout.base + heap, prefix, prefix_bytes) || std::memcmp(prefix, "HEAP", 4) != 0 || prefix[4] != 0) {
    return;  // not a local heap libhdf5 would read: it rejects it without allocating its data segment
  }
  const std::uint64_t size = little_endian(prefix + 8, layout.sizeof_size);
  const std::uint64_t data = decode_address(prefix + 8 + 2 * layout.sizeof_size, layout.sizeof_addr);
  if (data == kHdf5UndefinedAddress || data >= room || size > room - data) {
    throw IoError(file, where + " names a local heap (at address " + std::to_string(heap) + ") whose data segment of " +
                            std::to_string(size) + " bytes at address " +
                            (data == kHdf5UndefinedAddress ? std::string("UNDEF") : std::to_string(data)) +
                            " lies outside the file (" + std::to_string(layout.file_size) + " bytes)",
                  kHdf5DamagedFix);
  }
}

}  // namespace

void check_object_header(const std::filesystem::path& file, std::istream& in, const Hdf5Layout& layout,
                         std::uint64_t address, const std::string& object) {
  if (!layout.known || address == kHdf5UndefinedAddress) return;
  const std::string where = "object '" + object + "': its object header at address " + std::to_string(address);
  const std::uint64_t room = layout.file_size - layout.base;  // bytes from the base address to the end of the file
  if (address >= room) throw IoError(file, where + " lies outside the file (" + std::to_string(layout.file_size) + " bytes)", kHdf5DamagedFix);

  // The first chunk: version 2 starts with "OHDR", version 1 with its version byte.
  std::uint8_t prefix[48] = {};
  const std::size_t prefix_bytes = std::size_t(std::min<std::uint64_t>(sizeof prefix, room - address));
  if (!read_at(in, layout.base + address, prefix, prefix_bytes)) return;
  const auto first_chunk_beyond_file = [&](std::uint64_t chunk0) {
    throw IoError(file, where + " declares a first chunk of " + std::to_string(chunk0) + " bytes, beyond the end of the file (" +
                            std::to_string(layout.file_size) + " bytes)",
                  kHdf5DamagedFix);
  };
  struct Chunk {
    std::uint64_t address, length;   // messages of the chunk: [address, address + length) relative to the base
  };
  std::vector<Chunk> pending;
  bool v2 = false;
  unsigned message_header = 8;  // version 1: type (2), size (2), flags (1), reserved (3)
  if (prefix_bytes >= 8 && std::memcmp(prefix, "OHDR", 4) == 0) {
    if (prefix[4] != 2) return;  // libhdf5 rejects other versions before it reads further
    v2 = true;
    const unsigned flags = prefix[5];
    std::size_t p = 6 + (flags & 0x20 ? 16 : 0) + (flags & 0x10 ? 4 : 0);  // times; attribute phase change values
    const std::size_t width = std::size_t(1) << (flags & 0x03);
    if (p + width > prefix_bytes) {
      throw IoError(file, where + " is cut off by the end of the file", kHdf5DamagedFix);
    }
    const std::uint64_t chunk0 = little_endian(prefix + p, width);
    p += width;
    message_header = 4 + (flags & 0x04 ? 2 : 0);  // type (1), size (2), flags (1)[, creation order (2)]
    if (chunk0 > room - address - p || room - address - p - chunk0 < 4) {
      first_chunk_beyond_file(chunk0);  // the messages, then a 4-byte checksum
    }
    pending.push_back({address + p, chunk0});
  } else if (prefix_bytes >= 16 && prefix[0] == 1) {
    // version (1), reserved (1), messages (2), reference count (4), chunk size (4), 4 bytes aligning to 8
    const std::uint64_t chunk0 = little_endian(prefix + 8, 4);
    if (chunk0 > room - address - 16) first_chunk_beyond_file(chunk0);
    pending.push_back({address + 16, chunk0});
  } else {
    return;  // not an object header: libhdf5 rejects it without reading further
  }

  std::unordered_set<std::uint64_t> seen;
  std::vector<std::uint8_t> bytes;
  for (std::size_t visited = 0; !pending.empty() && visited < kMaxChunks; ++visited) {
    const Chunk chunk = pending.back();
    pending.pop_back();
    if (!seen.insert(chunk.address).second) continue;
    bytes.resize(std::size_t(chunk.length));
    if (!read_at(in, layout.base + chunk.address, bytes.data(), bytes.size())) return;
    // Walk the messages as libhdf5 does; where it would find the chunk damaged it stops there too (and fails).
    std::size_t p = 0;
    while (bytes.size() - p >= message_header) {
      const std::uint16_t type = v2 ? bytes[p] : std::uint16_t(little_endian(&bytes[p], 2));
      const std::size_t size = std::size_t(little_endian(&bytes[p + (v2 ? 1 : 2)], 2));
      const std::size_t data = p + message_header;
      if (size > bytes.size() - data || (!v2 && size % 8 != 0)) break;
      // libhdf5 decodes a continuation message's address and length whatever size the message declares, reading
      // past a shorter one into the next messages (fuzzer finding: a size-0 continuation message whose "length"
      // became 0xc000000000000, allocated in H5Fopen).
      if (type == kContinuationMessage && size < layout.sizeof_addr + layout.sizeof_size) {
        throw IoError(file, where + " has a continuation message (at byte " + std::to_string(chunk.address + data) + ") of " +
                                std::to_string(size) + " bytes, too short for the address and length of a chunk (" +
                                std::to_string(layout.sizeof_addr + layout.sizeof_size) + " bytes)",
                      kHdf5DamagedFix);
      }
      if (type == kContinuationMessage) {
        const std::uint64_t at = decode_address(&bytes[data], layout.sizeof_addr);
        const std::uint64_t length = little_endian(&bytes[data + layout.sizeof_addr], layout.sizeof_size);
        // Version 2 continuation chunks hold the signature "OCHK" and a checksum around their messages.
        if (at == kHdf5UndefinedAddress || at >= room || length > room - at || length < (v2 ? 8u : 1u)) {
          throw IoError(file, where + " has a continuation message declaring a chunk of " + std::to_string(length) +
                                  " bytes at address " + (at == kHdf5UndefinedAddress ? std::string("UNDEF") : std::to_string(at)) +
                                  (length < (v2 ? 8u : 1u) ? std::string(", too short for a chunk")
                                                           : ", outside the file (" + std::to_string(layout.file_size) + " bytes)"),
                        kHdf5DamagedFix);
        }
        if (v2) {
          pending.push_back({at + 4, length - 8});
        } else {
          pending.push_back({at, length});
        }
      }
      if (type == kSymbolTableMessage && size >= 2 * std::size_t(layout.sizeof_addr)) {
        check_local_heap(file, in, layout, decode_address(&bytes[data + layout.sizeof_addr], layout.sizeof_addr), where);
      }
      if (type == kAttributeMessage) {
        bool name_ok = true;
        const std::uint64_t needs = attribute_message_needs(&bytes[data], size, layout.sizeof_size, name_ok);
        if (needs > size) {
          throw IoError(file, where + " holds an attribute message (at byte " + std::to_string(chunk.address + data) +
                                  ") whose name, datatype, dataspace and value need " + std::to_string(needs) +
                                  " bytes, the message holds " + std::to_string(size),
                        kHdf5DamagedFix);
        }
        if (!name_ok) {
          throw IoError(file, where + " holds an attribute message (at byte " + std::to_string(chunk.address + data) +
                                  ") whose name does not end within its declared length",
                        kHdf5DamagedFix);
        }
      }
      p = data + size;
    }
  }
}

void Hdf5HeaderChecks::check(const std::filesystem::path& file, std::uint64_t address, const std::string& object) {
  std::lock_guard<std::mutex> lock(mutex);
  if (checked.count(address) > 0) return;
  if (!in.is_open()) {
    in.open(file, std::ios::binary);
    if (!in.is_open()) return;  // libhdf5 reports an unreadable file itself
  }
  check_object_header(file, in, layout, address, object);
  checked.insert(address);
}

}  // namespace vclab
