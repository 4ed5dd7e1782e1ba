// Whole-file reads for dataset files: plain, or gzip decompressed in memory through zlib's inflate.
#include "data/file_bytes.hpp"

#include <zlib.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <string>

#include "data/data_error.hpp"

namespace vclab {
namespace fs = std::filesystem;

bool is_gzip_path(const fs::path& path) { return path.extension() == ".gz"; }

void require_regular_file(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec))
    throw DataError(path.string() + ": file not found (expected a dataset file here). "
                    "Check the path, or point --data-dir / VCLAB_DATA at the folder holding it.");
  if (fs::is_directory(path, ec))
    throw DataError(path.string() + ": expected a regular file, found a directory. "
                    "Remove or rename the directory and put the dataset file there.");
  if (!fs::is_regular_file(path, ec)) {  // a FIFO, socket or device would block, fail or never end
    throw DataError(path.string() + ": expected a regular file, found a FIFO, socket or device. "
                    "Put the dataset file itself there.");
  }
}

void require_readable_file(const fs::path& path) {
  require_regular_file(path);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(path.string() + ": cannot open for reading (check its permissions: chmod u+r, or run as its owner).");
}

std::vector<std::uint8_t> read_raw_file_bytes(const fs::path& path) {
  require_readable_file(path);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(path.string() + ": cannot open for reading (check its permissions: chmod u+r, or run as its owner).");
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  in.seekg(0, std::ios::beg);
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(std::max<std::streamoff>(size, 0)));
  if (!bytes.empty() && !in.read(reinterpret_cast<char*>(bytes.data()), size))
    throw DataError(path.string() + ": read failed after " + std::to_string(in.gcount()) + " of " +
                    std::to_string(size) + " bytes (is the disk or file system healthy?).");
  return bytes;
}

namespace {

// Inflates every gzip member of `compressed` (gzip wrapper enforced: windowBits 16 + MAX_WBITS,
// so the CRC-32 and length trailers are checked by zlib).
std::vector<std::uint8_t> gunzip(const std::vector<std::uint8_t>& compressed, const fs::path& path) {
  const std::string name = path.string();
  const std::string fix = " Re-download the file, or gunzip -t it to confirm the damage.";
  if (compressed.size() < 18) {  // 10-byte header + 8-byte trailer is the smallest gzip file
    throw DataError(name + ": expected gzip data (name ends in .gz), found only " +
                    std::to_string(compressed.size()) + " bytes." + fix);
  }
  if (compressed[0] != 0x1f || compressed[1] != 0x8b)
    throw DataError(name + ": expected gzip magic bytes 1f 8b (name ends in .gz), found a file "
                    "that is not gzip-compressed. Rename it without .gz if it is plain.");
  std::vector<std::uint8_t> out;
  // The last 4 bytes hold the uncompressed size mod 2^32 of the last member: a good first guess,
  // capped by deflate's maximum ratio (1032:1) so a damaged trailer cannot ask for gigabytes.
  const std::size_t n = compressed.size();
  const std::uint32_t isize = std::uint32_t(compressed[n - 4]) | std::uint32_t(compressed[n - 3]) << 8 |
                              std::uint32_t(compressed[n - 2]) << 16 | std::uint32_t(compressed[n - 1]) << 24;
  constexpr std::size_t kMaxDeflateRatio = 1032;
  out.resize(std::max<std::size_t>(std::min<std::size_t>(isize, n * kMaxDeflateRatio), 1 << 16));

  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) throw DataError(name + ": zlib inflateInit2 failed (out of memory?).");
  std::size_t in_pos = 0, out_pos = 0;
  for (;;) {
    if (out_pos == out.size()) out.resize(out.size() * 2);
    const std::size_t in_chunk = std::min<std::size_t>(n - in_pos, std::numeric_limits<uInt>::max());
    const std::size_t out_chunk = std::min<std::size_t>(out.size() - out_pos, std::numeric_limits<uInt>::max());
    zs.next_in = const_cast<Bytef*>(compressed.data() + in_pos);
    zs.avail_in = static_cast<uInt>(in_chunk);
    zs.next_out = out.data() + out_pos;
    zs.avail_out = static_cast<uInt>(out_chunk);
    const int rc = inflate(&zs, Z_NO_FLUSH);
    in_pos += in_chunk - zs.avail_in;
    out_pos += out_chunk - zs.avail_out;
    if (rc == Z_STREAM_END) {
      if (in_pos == n) break;
      inflateReset(&zs);  // another gzip member follows (concatenated .gz)
      continue;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && zs.avail_out > 0 && in_pos == n) {
      inflateEnd(&zs);
      throw DataError(name + ": gzip data is truncated (input ended inside a compressed stream after " +
                      std::to_string(out_pos) + " decompressed bytes)." + fix);
    }
    if (rc == Z_BUF_ERROR) continue;  // needs more output space: loop grows `out`
    const std::string why = zs.msg ? zs.msg : ("zlib error " + std::to_string(rc));
    inflateEnd(&zs);
    throw DataError(name + ": corrupt gzip data (" + why + " at compressed byte " +
                    std::to_string(in_pos) + ")." + fix);
  }
  inflateEnd(&zs);
  out.resize(out_pos);
  return out;
}

}  // namespace

std::vector<std::uint8_t> read_file_bytes(const fs::path& path) {
  std::vector<std::uint8_t> bytes = read_raw_file_bytes(path);
  if (!is_gzip_path(path)) return bytes;
  return gunzip(bytes, path);
}

}  // namespace vclab
