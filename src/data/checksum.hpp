// Checksums of dataset content (MD5 to compare with published values, SHA-256 for provenance),
// computed through OpenSSL's EVP interface and returned as lowercase hex.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace vclab {

std::string md5_hex(const std::vector<std::uint8_t>& bytes);
std::string sha256_hex(const std::vector<std::uint8_t>& bytes);

}  // namespace vclab
