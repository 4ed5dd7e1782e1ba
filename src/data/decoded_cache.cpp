// Decoded-dataset cache (decoded_cache.hpp). An entry, integers as 8-byte little-endian:
//   "VCLABDEC" | version | key (64 hex) | channels height width | n_pixels n_labels | pixels | labels | SHA-256 (64 hex)
// where the trailing SHA-256 covers every byte before it.
#include "data/decoded_cache.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>

#include "data/checksum.hpp"
#include "data/data_error.hpp"
#include "data/file_bytes.hpp"
#include "util/huge_pages.hpp"

namespace vclab {
namespace fs = std::filesystem;
namespace {

constexpr char kMagic[8] = {'V', 'C', 'L', 'A', 'B', 'D', 'E', 'C'};
constexpr std::uint64_t kFormatVersion = 1;  // bump when the entry layout or a decoder's output changes
constexpr std::size_t kHexBytes = 64;        // a SHA-256 as lowercase hex
constexpr std::size_t kHeaderBytes = sizeof(kMagic) + 8 + kHexBytes + 5 * 8;

using Bytes = std::vector<std::uint8_t>;

void put_u64(Bytes& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(std::uint8_t(v >> (8 * i)));
}

std::uint64_t get_u64(const Bytes& in, std::size_t at) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= std::uint64_t(in[at + i]) << (8 * i);
  return v;
}

void put_text(Bytes& out, const std::string& text) { out.insert(out.end(), text.begin(), text.end()); }

bool env_set(const char* name) {
  const char* v = std::getenv(name);
  return v && *v;
}

// The entry's header: magic, version, key, shape and the two payload sizes.
Bytes entry_header(const std::string& key, const RawImages& images) {
  Bytes out(kMagic, kMagic + sizeof(kMagic));
  put_u64(out, kFormatVersion);
  put_text(out, key);
  put_u64(out, images.channels);
  put_u64(out, images.height);
  put_u64(out, images.width);
  put_u64(out, images.pixels.size());
  put_u64(out, images.labels.size());
  return out;
}

// The checksum trailer: SHA-256 of the header and the payload.
std::string entry_checksum(const Bytes& header, const RawImages& images) {
  return sha256_hex_of_parts({header, images.pixels, images.labels});
}

// Checks a checksummed entry's header against `key` and its own shape; empty when they agree.
std::string check_header(const Bytes& header, const std::string& key, const RawImages& images) {
  if (std::memcmp(header.data(), kMagic, sizeof(kMagic)) != 0) return "not a vclab decoded-data cache entry";
  if (get_u64(header, 8) != kFormatVersion) return "format version " + std::to_string(get_u64(header, 8));
  if (std::string(header.begin() + 16, header.begin() + 16 + kHexBytes) != key) return "holds another key";
  const std::size_t dim = images.dim();
  const std::size_t n_pixels = images.pixels.size(), n_labels = images.labels.size();
  if (dim == 0 || n_pixels % dim != 0 || (n_labels != 0 && n_labels != n_pixels / dim)) return "inconsistent shape";
  return "";
}

bool read_exactly(std::ifstream& in, void* data, std::size_t size) {
  return size == 0 || bool(in.read(static_cast<char*>(data), std::streamsize(size)));
}

}  // namespace

std::optional<fs::path> decoded_cache_dir() {
  if (const char* off = std::getenv("VCLAB_NO_CACHE"); off && *off && std::string(off) != "0") return std::nullopt;
  if (env_set("VCLAB_CACHE")) return fs::path(std::getenv("VCLAB_CACHE"));
  if (env_set("XDG_CACHE_HOME")) return fs::path(std::getenv("XDG_CACHE_HOME")) / "vclab";
  if (env_set("HOME")) return fs::path(std::getenv("HOME")) / ".cache" / "vclab";
  return std::nullopt;
}

std::string decoded_cache_key(const std::string& decoder, const std::vector<fs::path>& sources) {
  std::string text = "vclab decoded-data cache v" + std::to_string(kFormatVersion) + "\ndecoder " + decoder + "\n";
  for (const fs::path& source : sources) {
    require_readable_file(source);
    std::ifstream in(source, std::ios::binary);
    std::string digest;
    try {
      digest = sha256_hex(in);
    } catch (const std::runtime_error&) {
      throw DataError(source.string() + ": read failed while computing its SHA-256 (is the disk or file system healthy?).");
    }
    text += source.filename().string() + " " + digest + "\n";
  }
  return sha256_hex(Bytes(text.begin(), text.end()));
}

fs::path decoded_cache_file(const fs::path& dir, const std::string& key) { return dir / "decoded" / (key + ".bin"); }

void write_decoded_cache(const fs::path& file, const std::string& key, const RawImages& images) {
  const Bytes header = entry_header(key, images);
  const std::string checksum = entry_checksum(header, images);
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  if (ec) throw DataError(file.parent_path().string() + ": cannot create the cache folder (" + ec.message() + ")");
  static std::atomic<unsigned long> counter{0};  // pid + counter keeps concurrent writers apart
  const fs::path tmp = file.parent_path() / ("." + file.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-" +
                                             std::to_string(counter.fetch_add(1)));
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(header.data()), std::streamsize(header.size()));
    out.write(reinterpret_cast<const char*>(images.pixels.data()), std::streamsize(images.pixels.size()));
    out.write(reinterpret_cast<const char*>(images.labels.data()), std::streamsize(images.labels.size()));
    out.write(checksum.data(), std::streamsize(checksum.size()));
    if (!out.flush()) {
      fs::remove(tmp, ec);
      throw DataError(tmp.string() + ": cannot write a cache entry (disk full or folder not writable?)");
    }
  }
  fs::rename(tmp, file, ec);
  if (ec) {
    const std::string why = ec.message();
    fs::remove(tmp, ec);
    throw DataError(file.string() + ": cannot move the finished cache entry into place (" + why + ")");
  }
}

// The payload is read straight into the RawImages (no copy of 30 MB per CIFAR batch); the sizes in the header are
// only believed as far as the file's own size allows, and nothing is returned before the checksum agrees.
DecodedCacheRead read_decoded_cache(const fs::path& file, const std::string& key) {
  DecodedCacheRead result;
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return result;
  result.state = DecodedCacheRead::State::damaged;
  const std::uintmax_t size = fs::file_size(file, ec);
  std::ifstream in(file, std::ios::binary);
  if (ec || !in) {
    result.why = "unreadable";
    return result;
  }
  Bytes header(kHeaderBytes);
  if (size < kHeaderBytes + kHexBytes || !read_exactly(in, header.data(), header.size())) {
    result.why = "truncated (" + std::to_string(size) + " bytes)";
    return result;
  }
  const std::size_t at = 16 + kHexBytes;
  const std::uint64_t n_pixels = get_u64(header, at + 24), n_labels = get_u64(header, at + 32);
  const std::uint64_t payload = size - kHeaderBytes - kHexBytes;
  if (n_pixels > payload || n_labels != payload - n_pixels) {
    result.why = "sizes disagree with the file size";
    return result;
  }
  RawImages& images = result.images;
  images.channels = get_u64(header, at);
  images.height = get_u64(header, at + 8);
  images.width = get_u64(header, at + 16);
  images.pixels.reserve(n_pixels);  // CIFAR-10: 30 MB a file, zero-filled by resize: in 2 MiB pages, not 7,500 faults
  advise_huge_pages(images.pixels.data(), n_pixels);
  images.pixels.resize(n_pixels);
  images.labels.resize(n_labels);
  std::string stored(kHexBytes, '\0');
  if (!read_exactly(in, images.pixels.data(), n_pixels) || !read_exactly(in, images.labels.data(), n_labels) ||
      !read_exactly(in, stored.data(), kHexBytes)) {
    result.why = "read failed";
    return result;
  }
  if (entry_checksum(header, images) != stored) {
    result.why = "checksum mismatch";
    return result;
  }
  result.why = check_header(header, key, images);
  if (result.why.empty()) result.state = DecodedCacheRead::State::ok;
  return result;
}

RawImages cached_decode(const std::optional<fs::path>& dir, const std::string& decoder, const std::vector<fs::path>& sources,
                        const std::function<RawImages()>& decode) {
  if (!dir) return decode();
  std::string key;
  try {
    key = decoded_cache_key(decoder, sources);
  } catch (const DataError&) {
    return decode();  // an unreadable source: decode() says what is wrong with it
  }
  const fs::path file = decoded_cache_file(*dir, key);
  DecodedCacheRead cached = read_decoded_cache(file, key);
  if (cached.state == DecodedCacheRead::State::ok) return std::move(cached.images);
  if (cached.state == DecodedCacheRead::State::damaged)
    std::cerr << "vclab: cache entry " << file.string() << " is damaged (" << cached.why << "); decoding "
              << sources.front().filename().string() << " again and rewriting it\n";
  RawImages images = decode();
  try {
    write_decoded_cache(file, key, images);
  } catch (const DataError& e) {
    std::cerr << "vclab: not caching the decoded data: " << e.what() << " (VCLAB_NO_CACHE=1 turns the cache off)\n";
  }
  return images;
}

}  // namespace vclab
