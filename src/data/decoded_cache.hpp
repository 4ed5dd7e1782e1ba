// Decoded-dataset cache: the RawImages a reader decoded from a dataset file (gunzip + parse, 3.6 s for CIFAR-10),
// kept in a binary file keyed by the SHA-256 of the source files' content, so later runs skip the decode.
#pragma once
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "data/raw_images.hpp"

namespace vclab {

// The cache folder: $VCLAB_CACHE, else $XDG_CACHE_HOME/vclab, else $HOME/.cache/vclab (entries go into its
// decoded/ subfolder). nullopt, meaning "decode every time", when VCLAB_NO_CACHE is set to anything but "" or
// "0", or when none of those variables is set.
std::optional<std::filesystem::path> decoded_cache_dir();

// The cache key of `sources` decoded by `decoder` (a name that changes whenever the decoding does, e.g.
// "cifar100-coarse"): SHA-256 over the decoder, the cache format version and, per source, its file name and
// the SHA-256 of its bytes as stored. Content, not size + mtime: a copy with preserved mtime, or a same-size
// rewrite within the file system's timestamp granularity, must never be served stale pixels. Throws DataError
// when a source cannot be read.
std::string decoded_cache_key(const std::string& decoder, const std::vector<std::filesystem::path>& sources);

// <dir>/decoded/<key>.bin
std::filesystem::path decoded_cache_file(const std::filesystem::path& dir, const std::string& key);

// Writes `images` to `file` atomically (a temporary file in the same folder, then rename, as io/atomic_write
// does; the data module cannot link vclab_io), with `key` and a SHA-256 of the whole entry. No fsync: an entry
// torn by a crash fails its checksum on the next read and is rebuilt. Throws DataError.
void write_decoded_cache(const std::filesystem::path& file, const std::string& key, const RawImages& images);

// What reading an entry found: no file, an intact entry for `key`, or a damaged one (and why).
struct DecodedCacheRead {
  enum class State { missing, ok, damaged } state = State::missing;
  RawImages images;  // when ok
  std::string why;   // when damaged: "checksum mismatch", "truncated", ...
};
// Reads `file` and verifies it before trusting any byte: the SHA-256 trailer over the whole entry, then the
// magic, version, key and sizes. Never throws for a bad entry (it is reported as damaged).
DecodedCacheRead read_decoded_cache(const std::filesystem::path& file, const std::string& key);

// decode(), through the cache in `dir` (nullopt: no cache). An intact entry is returned as is; a missing one is
// decoded and written; a damaged one is reported in one line on stderr, decoded again and rewritten. A cache
// that cannot be written costs only a one-line notice. Errors of decode() (bad source files) pass through,
// and nothing is cached for them.
RawImages cached_decode(const std::optional<std::filesystem::path>& dir, const std::string& decoder,
                        const std::vector<std::filesystem::path>& sources, const std::function<RawImages()>& decode);

}  // namespace vclab
