// MD5 and SHA-256 through OpenSSL EVP (the low-level MD5() call is deprecated in OpenSSL 3).
#include "data/checksum.hpp"

#include <openssl/evp.h>

#include <memory>
#include <stdexcept>

namespace vclab {
namespace {

using DigestContext = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

DigestContext digest_init(const EVP_MD* md, const char* what) {
  DigestContext ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1)
    throw std::runtime_error(std::string("OpenSSL EVP ") + what + " digest failed");
  return ctx;
}

void digest_update(EVP_MD_CTX* ctx, const void* data, std::size_t size, const char* what) {
  if (EVP_DigestUpdate(ctx, data, size) != 1) throw std::runtime_error(std::string("OpenSSL EVP ") + what + " digest failed");
}

std::string digest_final_hex(EVP_MD_CTX* ctx, const char* what) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int out_len = 0;
  if (EVP_DigestFinal_ex(ctx, out, &out_len) != 1) throw std::runtime_error(std::string("OpenSSL EVP ") + what + " digest failed");
  static const char* hex = "0123456789abcdef";
  std::string text(2 * out_len, '0');
  for (unsigned int i = 0; i < out_len; ++i) {
    text[2 * i] = hex[out[i] >> 4];
    text[2 * i + 1] = hex[out[i] & 0xf];
  }
  return text;
}

std::string digest_hex(const EVP_MD* md, std::span<const std::uint8_t> bytes, const char* what) {
  DigestContext ctx = digest_init(md, what);
  digest_update(ctx.get(), bytes.data(), bytes.size(), what);
  return digest_final_hex(ctx.get(), what);
}

}  // namespace

std::string md5_hex(const std::vector<std::uint8_t>& bytes) { return digest_hex(EVP_md5(), bytes, "MD5"); }
std::string sha256_hex(std::span<const std::uint8_t> bytes) { return digest_hex(EVP_sha256(), bytes, "SHA-256"); }

std::string sha256_hex_of_parts(std::initializer_list<std::span<const std::uint8_t>> parts) {
  DigestContext ctx = digest_init(EVP_sha256(), "SHA-256");
  for (const auto& part : parts) digest_update(ctx.get(), part.data(), part.size(), "SHA-256");
  return digest_final_hex(ctx.get(), "SHA-256");
}

std::string sha256_hex(std::istream& in) {
  DigestContext ctx = digest_init(EVP_sha256(), "SHA-256");
  std::vector<char> block(1 << 20);
  while (in) {
    in.read(block.data(), static_cast<std::streamsize>(block.size()));
    digest_update(ctx.get(), block.data(), static_cast<std::size_t>(in.gcount()), "SHA-256");
  }
  if (in.bad()) throw std::runtime_error("reading failed while computing a SHA-256");
  return digest_final_hex(ctx.get(), "SHA-256");
}

}  // namespace vclab
