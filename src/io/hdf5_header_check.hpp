// Structural pre-checks of HDF5 object headers, read from the file itself before libhdf5 loads them.
// libhdf5 1.10.8 allocates an object header's continuation chunk from the length its continuation message
// declares, before it reads the chunk or compares it with the file (H5C_protect <- H5O_protect; fuzzer finding:
// malloc(0x6169640000000000) in H5Fopen). So vclab walks an object's header chunks first, with libhdf5's own
// steps (HDF5 file format specification, sections II.A superblock and IV.A object headers, versions 1 and 2),
// and requires every chunk to lie inside the file.
#pragma once
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <istream>
#include <mutex>
#include <string>
#include <unordered_set>

namespace vclab {

inline constexpr std::uint64_t kHdf5UndefinedAddress = ~std::uint64_t{0};

// The fix every "damaged structure" message of these checks (and of the global heap walk in hdf5_file.cpp) gives.
inline constexpr char kHdf5DamagedFix[] = "The file is damaged; re-create it";

// Raw-file helpers for the checks that read HDF5 structures themselves (object headers here, the global heap of
// a string attribute in hdf5_file.cpp). An unsigned integer of `bytes` (1 to 8) bytes in HDF5's little-endian
// order; and `n` bytes at absolute position `pos` of `in` (false when the file ends first; clears `in`'s state).
// And whether [address, address + bytes) lies within the `room` bytes that follow the base address (the file's
// size less the base), without overflow; the undefined address never does.
std::uint64_t little_endian(const std::uint8_t* p, std::size_t bytes);
bool read_at(std::istream& in, std::uint64_t pos, std::uint8_t* out, std::size_t n);
bool lies_inside(std::uint64_t address, std::uint64_t bytes, std::uint64_t room);

// What the superblock declares, as far as the checks need it. `known` is false when the file has no superblock
// these checks read (libhdf5 then reports the file itself); every address is then left unchecked.
struct Hdf5Layout {
  bool known = false;
  std::uint64_t base = 0;         // absolute position of the superblock: file addresses count from here
  unsigned sizeof_addr = 8;       // bytes of an address (2, 4 or 8)
  unsigned sizeof_size = 8;       // bytes of a length (2, 4 or 8)
  std::uint64_t file_size = 0;
  std::uint64_t root = kHdf5UndefinedAddress;                  // the root group's object header
  std::uint64_t superblock_extension = kHdf5UndefinedAddress;  // versions 2 and 3 only
  // Old-style groups' B-tree K values (superblock versions 0 and 1; 0 where the superblock does not hold them): a
  // symbol table node holds at most 2 x sym_leaf_k entries, a group B-tree node at most 2 x group_btree_k children.
  unsigned sym_leaf_k = 0;
  unsigned group_btree_k = 0;
};

// Reads the superblock (at 0, 512, 1024, ... as libhdf5 searches). Never throws.
Hdf5Layout read_hdf5_layout(const std::filesystem::path& file);

// Throws IoError naming the file and `object` when the object header at `address` (relative to the base) or any
// chunk its continuation messages chain to lies outside the file, or a continuation message declares an empty
// chunk; when an attribute message's parts, or any datatype or dataspace it or the header holds, read past their
// message; and, for an old-style group, when its symbol table message is too short for its two addresses, its local
// heap's data segment lies outside the file, or a node of its B-tree or a symbol table node is damaged (outside the
// file, more entries than the node holds, a level out of order, a node reached twice, a name outside the heap).
// Headers that are damaged in other ways are left to libhdf5, which rejects them without allocating more than the
// file holds.
// `in` reads `file` (the name is for messages).
void check_object_header(const std::filesystem::path& file, std::istream& in, const Hdf5Layout& layout,
                         std::uint64_t address, const std::string& object);

// The layout of one open file, the object headers already checked in it (each is checked once), and one stream
// on the file for all of its checks (opened at the first).
struct Hdf5HeaderChecks {
  Hdf5Layout layout;
  std::mutex mutex;
  std::unordered_set<std::uint64_t> checked;
  std::ifstream in;
  void check(const std::filesystem::path& file, std::uint64_t address, const std::string& object);
};

}  // namespace vclab
