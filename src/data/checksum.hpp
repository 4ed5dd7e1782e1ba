// Checksums of dataset content (MD5 to compare with published values, SHA-256 for provenance and for
// the sidecars of vclab's own HDF5 files), computed through OpenSSL's EVP interface, as lowercase hex.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <istream>
#include <span>
#include <string>
#include <vector>

namespace vclab {

std::string md5_hex(const std::vector<std::uint8_t>& bytes);
std::string sha256_hex(std::span<const std::uint8_t> bytes);  // a std::vector<std::uint8_t> converts
// SHA-256 of the concatenation of `parts`, without building it.
std::string sha256_hex_of_parts(std::initializer_list<std::span<const std::uint8_t>> parts);
// SHA-256 of everything `in` holds from its position on, read in blocks (files of any size). Throws
// std::runtime_error when reading fails before the end.
std::string sha256_hex(std::istream& in);

}  // namespace vclab
