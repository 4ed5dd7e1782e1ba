// MD5 and SHA-256 through OpenSSL EVP (the low-level MD5() call is deprecated in OpenSSL 3).
#include "data/checksum.hpp"

#include <openssl/evp.h>

#include <memory>
#include <stdexcept>

namespace vclab {
namespace {

std::string digest_hex(const EVP_MD* md, const std::vector<std::uint8_t>& bytes, const char* what) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int out_len = 0;
  if (!ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), bytes.data(), bytes.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), out, &out_len) != 1) {
    throw std::runtime_error(std::string("OpenSSL EVP ") + what + " digest failed");
  }
  static const char* hex = "0123456789abcdef";
  std::string text(2 * out_len, '0');
  for (unsigned int i = 0; i < out_len; ++i) {
    text[2 * i] = hex[out[i] >> 4];
    text[2 * i + 1] = hex[out[i] & 0xf];
  }
  return text;
}

}  // namespace

std::string md5_hex(const std::vector<std::uint8_t>& bytes) { return digest_hex(EVP_md5(), bytes, "MD5"); }
std::string sha256_hex(const std::vector<std::uint8_t>& bytes) {
  return digest_hex(EVP_sha256(), bytes, "SHA-256");
}

}  // namespace vclab
