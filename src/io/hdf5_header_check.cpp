// Object header walk before libhdf5 loads a header; see hdf5_header_check.hpp.
#include "io/hdf5_header_check.hpp"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
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

constexpr std::uint16_t kDataspaceMessage = 0x0001;
constexpr std::uint16_t kDatatypeMessage = 0x0003;
constexpr std::uint16_t kExternalFilesMessage = 0x0007;
constexpr std::uint16_t kAttributeMessage = 0x000C;
constexpr std::uint16_t kSymbolTableMessage = 0x0011;

std::uint64_t saturating_multiply(std::uint64_t a, std::uint64_t b) {
  return b != 0 && a > ~std::uint64_t{0} / b ? ~std::uint64_t{0} : a * b;
}

// The bytes libhdf5 1.10.8's datatype decoder (H5O_dtype_decode_helper) reads from an encoded datatype (HDF5 spec
// IV.A.2.d: class and version, 3 bytes of class bits, size (4), then the class's properties) of which `avail` bytes
// are in the message: more than `avail` when it would read past them, 0 for a version or class it rejects before
// reading further. The decoder never compares what it reads with the message's size: member and enumeration names
// are copied with strdup up to their NUL (fuzzer finding: heap-buffer-overflow read in H5Aiterate2 <- strdup, an
// enumeration's names past the end of the header chunk), and nested types are decoded where the last one ended.
std::uint64_t datatype_extent(const std::uint8_t* p, std::uint64_t avail, unsigned depth) {
  constexpr unsigned kMaxDepth = 64;  // nested member, base and element types; libhdf5 recurses without a limit
  const std::uint64_t overrun = avail + 1;
  if (avail < 8 || depth > kMaxDepth) return overrun;
  const unsigned cls = p[0] & 0x0f, version = p[0] >> 4;
  if (version < 1 || version > 3) return 0;
  const std::uint64_t bits = little_endian(p + 1, 3), size = little_endian(p + 4, 4);
  std::uint64_t at = 8;
  // A name ending with its NUL inside the message: its bytes, padded to 8 before version 3.
  const auto name = [&](std::uint64_t& pos) {
    const void* nul = pos < avail ? std::memchr(p + pos, 0, std::size_t(avail - pos)) : nullptr;
    if (nul == nullptr) return false;
    const std::uint64_t length = std::uint64_t(static_cast<const std::uint8_t*>(nul) - (p + pos));
    pos += version < 3 ? (length + 8) / 8 * 8 : length + 1;
    return true;
  };
  // A nested datatype at pos: advances past it; false when it runs past the message or libhdf5 rejects it
  // (`rejected` then tells which).
  bool rejected = false;
  const auto nested = [&](std::uint64_t& pos) {
    if (pos > avail) return false;
    const std::uint64_t n = datatype_extent(p + pos, avail - pos, depth + 1);
    rejected = n == 0;
    if (n == 0 || n > avail - pos) return false;
    pos += n;
    return true;
  };
  const auto failed = [&] { return rejected ? std::uint64_t{0} : overrun; };
  switch (cls) {
    case 0: case 4: at += 4; break;   // fixed-point, bitfield: bit offset, precision
    case 1: at += 12; break;          // floating point: offsets, sizes, exponent bias
    case 2: at += 2; break;           // time: precision
    case 3: case 7: break;            // string, reference: no properties
    case 5: at += bits & 0xff; break;  // opaque: a tag of that many bytes
    case 6:                           // compound: name, offset, (version 1: dimensions), member type; per member
      for (std::uint64_t i = 0, members = bits & 0xffff; i < members; ++i) {
        if (!name(at)) return overrun;
        std::uint64_t offset_bytes = 4;
        if (version == 3) {
          offset_bytes = 1;
          for (std::uint64_t s = size; s > 0xff; s >>= 8) ++offset_bytes;
        }
        at += offset_bytes + (version == 1 ? 28 : 0);
        if (!nested(at)) return failed();
      }
      break;
    case 8: {                         // enumeration: base type, names, then one base-size value per name
      if (!nested(at)) return failed();
      const std::uint64_t base_size = little_endian(p + 8 + 4, 4);  // the base type's size
      const std::uint64_t members = bits & 0xffff;
      for (std::uint64_t i = 0; i < members; ++i) {
        if (!name(at)) return overrun;
      }
      at = saturating_multiply(members, base_size) > ~std::uint64_t{0} - at ? ~std::uint64_t{0}
                                                                              : at + members * base_size;
      break;
    }
    case 9:                           // variable-length: base type
      if (!nested(at)) return failed();
      break;
    case 10: {                        // array: rank, (version 2: 3 reserved), dimensions, (version 2: permutation)
      if (version < 2 || at >= avail) return 0;
      const std::uint64_t rank = p[at];
      at += 1 + (version == 2 ? 3 : 0) + rank * 4 * (version == 2 ? 2 : 1);
      if (!nested(at)) return failed();
      break;
    }
    default:
      return 0;
  }
  return at;
}

// The bytes of an encoded dataspace (HDF5 spec IV.A.2.b, versions 1 and 2): its dimensions and, when flagged, their
// maxima, which libhdf5 decodes for the rank it declares; 0 for a version it rejects.
std::uint64_t dataspace_extent(const std::uint8_t* p, std::uint64_t avail, unsigned sizeof_size) {
  if (avail < 4) return avail + 1;
  const unsigned version = p[0], rank = p[1], flags = p[2];
  if (version < 1 || version > 2) return 0;
  const std::uint64_t header = version == 1 ? 8 : 4;
  return header + std::uint64_t(rank) * sizeof_size * (flags & 0x01 ? 2 : 1);
}

// What overran, for the messages: "enumeration datatype reads past the end of the message (64 bytes)". The
// datatype's first byte (its class) is read only when the message holds it (`available` bytes from `datatype`).
std::string datatype_overrun(const std::uint8_t* datatype, std::size_t available, std::size_t message_size) {
  static const char* const kClasses[] = {"fixed-point", "floating-point",  "time",  "string", "bitfield", "opaque",
                                         "compound",    "reference",       "enumeration", "variable-length", "array"};
  const unsigned cls = available > 0 ? datatype[0] & 0x0f : std::size(kClasses);
  return std::string(cls < std::size(kClasses) ? kClasses[cls] + std::string(" ") : "") + "datatype reads past the end of the message (" +
         std::to_string(message_size) + " bytes)";
}
std::string dataspace_overrun(std::size_t message_size) {
  return "dataspace's dimensions read past the end of the message (" + std::to_string(message_size) + " bytes)";
}

// The bytes an attribute message (HDF5 spec IV.A.2.m, versions 1 to 3) needs for what it declares: its name,
// datatype and dataspace at their declared sizes, then the value (datatype size x dataspace points) when neither
// is shared. libhdf5 1.10.8's H5O_attr_decode advances through the message by the declared sizes without
// comparing them with the message, then copies the value from wherever that leads (fuzzer finding: a
// heap-buffer-overflow read in H5Aexists). The datatype and dataspace are decoded from where they start with
// no bound either (datatype_extent, dataspace_extent): `overrun` says which one reads past the message (the
// result is then size + 1). Returns 0 for a version it does not decode (libhdf5 rejects those).
std::uint64_t attribute_message_needs(const std::uint8_t* m, std::size_t size, unsigned sizeof_size, bool& name_ok,
                                      std::string& overrun) {
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
  if (datatype_extent(m + dt_at, size - dt_at, 0) > size - dt_at) {
    overrun = datatype_overrun(m + dt_at, size - dt_at, size);
    return size + 1;
  }
  if (dataspace_extent(m + ds_at, size - ds_at, sizeof_size) > size - ds_at) {
    overrun = dataspace_overrun(size);
    return size + 1;
  }
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

bool lies_inside(std::uint64_t address, std::uint64_t bytes, std::uint64_t room) {
  return address != kHdf5UndefinedAddress && address < room && bytes <= room - address;
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
      layout.sym_leaf_k = unsigned(little_endian(b + 16, 2));
      layout.group_btree_k = unsigned(little_endian(b + 18, 2));
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

std::string address_text(std::uint64_t address) {
  return address == kHdf5UndefinedAddress ? std::string("UNDEF") : std::to_string(address);
}

// The data segment of a local heap: where it starts (relative to the base) and its size.
struct HeapSegment {
  std::uint64_t data = 0, size = 0;
  bool known = false;  // false: not a local heap libhdf5 would read (it rejects the group before using its names)
};

// The local heap of an old-style group (its symbol table message names it; HDF5 spec III.D): "HEAP", version 0,
// 3 reserved bytes, data segment size, offset to the free list, data segment address. libhdf5 1.10.8 allocates the
// data segment from its declared size when it first reads the group's links (H5HL_protect <- H5G__stab_iterate;
// fuzzer finding: malloc(0xd46444889000058)), so the segment must lie inside the file.
HeapSegment check_local_heap(const std::filesystem::path& file, std::istream& in, const Hdf5Layout& layout,
                             std::uint64_t heap, const std::string& where) {
  const std::uint64_t room = layout.file_size - layout.base;
  const std::size_t prefix_bytes = 8 + 2 * std::size_t(layout.sizeof_size) + layout.sizeof_addr;
  std::uint8_t prefix[8 + 2 * 8 + 8] = {};
  if (!lies_inside(heap, prefix_bytes, room) || !read_at(in, layout.base + heap, prefix, prefix_bytes) || std::memcmp(prefix, "HEAP", 4) != 0 || prefix[4] != 0) {
    return {};
  }
  const std::uint64_t size = little_endian(prefix + 8, layout.sizeof_size);
  const std::uint64_t data = decode_address(prefix + 8 + 2 * layout.sizeof_size, layout.sizeof_addr);
  if (!lies_inside(data, size, room)) {
    throw IoError(file, where + " names a local heap (at address " + std::to_string(heap) + ") whose data segment of " +
                            std::to_string(size) + " bytes at address " + address_text(data) + " lies outside the file (" +
                            std::to_string(layout.file_size) + " bytes)",
                  kHdf5DamagedFix);
  }
  return {data, size, true};
}

// The v1 B-tree of an old-style group and its symbol table nodes (HDF5 spec III.A.1 and III.B): B-tree nodes
// "TREE", type 0, level, entries used (2), left and right sibling addresses, then keys (heap offsets of names) and
// child addresses alternating, one more key than children; children of a level-0 node are symbol table nodes
// "SNOD", version 1, reserved, number of symbols (2), then entries of link name offset, object header address,
// cache type (4), reserved (4) and a 16-byte scratch pad. libhdf5 1.10.8 follows the child addresses without
// comparing them with the file (fuzzer finding: an undefined child address, 2^64 - 1, wrapped its end-of-file check
// and H5G__node_iterate <- H5Literate crashed in a memcpy to address 0) and copies a symbol table node's entries
// into an array of 2 x (leaf K) whatever count the node declares. So the walk requires every node to lie inside
// the file with no more entries than it holds, levels that fall by one from a node to its children, no node reached
// twice (libhdf5 would recurse forever on a cycle), and every name offset inside the heap with its name ending there.
class GroupTreeWalk {
 public:
  GroupTreeWalk(const std::filesystem::path& file, std::istream& in, const Hdf5Layout& layout, const std::string& where,
                HeapSegment heap)
      : file_(file), in_(in), layout_(layout), where_(where), room_(layout.file_size - layout.base) {
    constexpr std::uint64_t kMaxHeapRead = std::uint64_t{64} << 20;  // names in a larger heap are left unchecked
    if (heap.known && heap.size <= kMaxHeapRead) {
      names_.resize(std::size_t(heap.size));
      if (!read_at(in_, layout_.base + heap.data, names_.data(), names_.size())) names_.clear();
      names_known_ = !names_.empty() || heap.size == 0;
    }
  }

  void walk(std::uint64_t root) {
    struct Pending {
      std::uint64_t address;
      int level;  // the level its parent requires; -1 for the root, whose level is its own
    };
    std::vector<Pending> pending{{root, -1}};
    std::unordered_set<std::uint64_t> seen;
    const std::size_t sa = layout_.sizeof_addr, ss = layout_.sizeof_size;
    std::vector<std::uint8_t> bytes;
    while (!pending.empty()) {
      const Pending node = pending.back();
      pending.pop_back();
      const std::string what = "B-tree node at address " + address_text(node.address);
      require_inside(node.address, 8 + 2 * sa, what);
      if (!seen.insert(node.address).second || seen.size() > kMaxNodes) fail(what + " is reached twice (the tree has a cycle)");
      std::uint8_t header[8];
      if (!read_at(in_, layout_.base + node.address, header, sizeof header)) return;
      if (std::memcmp(header, "TREE", 4) != 0 || header[4] != 0) return;  // libhdf5 rejects the node itself
      const int level = header[5];
      const std::uint64_t used = little_endian(header + 6, 2);
      if (node.level >= 0 && level != node.level) {
        fail(what + " has level " + std::to_string(level) + " under a node of level " + std::to_string(node.level + 1));
      }
      if (layout_.group_btree_k > 0 && used > 2 * std::uint64_t(layout_.group_btree_k)) {
        fail(what + " declares " + std::to_string(used) + " children, more than the " +
             std::to_string(2 * layout_.group_btree_k) + " a node holds");
      }
      const std::uint64_t entries_at = node.address + 8 + 2 * sa;
      const std::uint64_t entries = (used + 1) * ss + used * sa;
      require_inside(entries_at, entries, what + "'s " + std::to_string(used) + " children and their keys");
      bytes.resize(std::size_t(entries));
      if (!read_at(in_, layout_.base + entries_at, bytes.data(), bytes.size())) return;
      for (std::uint64_t i = 0; i <= used; ++i) {
        const std::uint8_t* key = bytes.data() + i * (ss + sa);
        require_name(little_endian(key, ss), what + "'s key " + std::to_string(i));
        if (i == used) break;
        const std::uint64_t child = decode_address(key + ss, unsigned(sa));
        require_inside(child, 8, what + "'s child " + std::to_string(i) + " at address " + address_text(child));
        if (level > 0) {
          pending.push_back({child, level - 1});
        } else {
          check_symbol_node(child);
        }
      }
    }
  }

 private:
  static constexpr std::size_t kMaxNodes = std::size_t{1} << 20;

  [[noreturn]] void fail(const std::string& what) const {
    throw IoError(file_, where_ + " has a symbol table whose " + what, kHdf5DamagedFix);
  }

  // [address, address + bytes) must lie inside the file.
  void require_inside(std::uint64_t address, std::uint64_t bytes, const std::string& what) const {
    if (!lies_inside(address, bytes, room_)) {
      fail(what + (bytes > 0 ? " (" + std::to_string(bytes) + " bytes)" : std::string()) + " lies outside the file (" +
           std::to_string(layout_.file_size) + " bytes)");
    }
  }

  // A name offset must lie inside the heap's data segment, and the name must end (NUL) there.
  void require_name(std::uint64_t offset, const std::string& what) const {
    if (!names_known_) return;
    if (offset >= names_.size() || std::memchr(names_.data() + offset, 0, names_.size() - std::size_t(offset)) == nullptr) {
      fail(what + " names offset " + std::to_string(offset) + " of its local heap, whose " +
           std::to_string(names_.size()) + "-byte data segment " +
           (offset >= names_.size() ? std::string("ends before it") : std::string("ends before the name does")));
    }
  }

  void check_symbol_node(std::uint64_t address) {
    const std::size_t sa = layout_.sizeof_addr, ss = layout_.sizeof_size;
    const std::string what = "symbol table node at address " + address_text(address);
    require_inside(address, 8, what);
    std::uint8_t header[8];
    if (!read_at(in_, layout_.base + address, header, sizeof header)) return;
    if (std::memcmp(header, "SNOD", 4) != 0 || header[4] != 1) return;  // libhdf5 rejects the node itself
    const std::uint64_t symbols = little_endian(header + 6, 2);
    if (layout_.sym_leaf_k > 0 && symbols > 2 * std::uint64_t(layout_.sym_leaf_k)) {
      fail(what + " declares " + std::to_string(symbols) + " entries, more than the " +
           std::to_string(2 * layout_.sym_leaf_k) + " a node holds");
    }
    const std::size_t entry = ss + sa + 4 + 4 + 16;
    require_inside(address + 8, symbols * entry, what + "'s " + std::to_string(symbols) + " entries");
    std::vector<std::uint8_t> entries(std::size_t(symbols * entry));
    if (!read_at(in_, layout_.base + address + 8, entries.data(), entries.size())) return;
    for (std::uint64_t i = 0; i < symbols; ++i) {
      require_name(little_endian(entries.data() + i * entry, ss), what + "'s entry " + std::to_string(i));
    }
  }

  const std::filesystem::path& file_;
  std::istream& in_;
  const Hdf5Layout& layout_;
  const std::string& where_;
  const std::uint64_t room_;
  std::vector<std::uint8_t> names_;
  bool names_known_ = false;
};

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
        if (!lies_inside(at, length, room) || length < (v2 ? 8u : 1u)) {
          throw IoError(file, where + " has a continuation message declaring a chunk of " + std::to_string(length) +
                                  " bytes at address " + address_text(at) +
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
      // External storage: the dataset's data lies in other files, which the message names. vclab writes none and
      // reads only what a file holds itself; libhdf5 1.10.8 also leaks the decoded message when opening the dataset
      // fails after it (fuzzer finding: 640 bytes, calloc <- H5O_msg_read <- H5D__layout_oh_read <- H5Dopen2).
      if (type == kExternalFilesMessage) {
        throw IoError(file, where + " holds an external data files message (at byte " + std::to_string(chunk.address + data) +
                                "): its data would be read from other files, which vclab does not do",
                      "Store the data inside the file (h5py: create the dataset without external=), or re-create the file");
      }
      if (type == kSymbolTableMessage) {
        // libhdf5 decodes the B-tree and heap addresses whatever size the message declares, as for continuations.
        if (size < 2 * std::size_t(layout.sizeof_addr)) {
          throw IoError(file, where + " has a symbol table message (at byte " + std::to_string(chunk.address + data) + ") of " +
                                  std::to_string(size) + " bytes, too short for the addresses of a B-tree and a local heap (" +
                                  std::to_string(2 * layout.sizeof_addr) + " bytes)",
                        kHdf5DamagedFix);
        }
        const HeapSegment heap =
            check_local_heap(file, in, layout, decode_address(&bytes[data + layout.sizeof_addr], layout.sizeof_addr), where);
        GroupTreeWalk(file, in, layout, where, heap).walk(decode_address(&bytes[data], layout.sizeof_addr));
      }
      const bool shared = (bytes[p + (v2 ? 3 : 4)] & 0x02) != 0;  // the message holds a reference to the real one
      if ((type == kDatatypeMessage || type == kDataspaceMessage) && !shared) {
        const std::uint64_t needs = type == kDatatypeMessage ? datatype_extent(&bytes[data], size, 0)
                                                             : dataspace_extent(&bytes[data], size, layout.sizeof_size);
        if (needs > size) {
          throw IoError(file, where + " holds a " + (type == kDatatypeMessage ? "datatype" : "dataspace") + " message (at byte " +
                                  std::to_string(chunk.address + data) + ") whose " +
                                  (type == kDatatypeMessage ? datatype_overrun(&bytes[data], size, size) : dataspace_overrun(size)),
                        kHdf5DamagedFix);
        }
      }
      if (type == kAttributeMessage) {
        bool name_ok = true;
        std::string overrun;
        const std::uint64_t needs = attribute_message_needs(&bytes[data], size, layout.sizeof_size, name_ok, overrun);
        if (!overrun.empty()) {
          throw IoError(file, where + " holds an attribute message (at byte " + std::to_string(chunk.address + data) + ") whose " + overrun,
                        kHdf5DamagedFix);
        }
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
