// Whole-file reads for dataset files: plain, or gzip (".gz") decompressed in memory through zlib.
#pragma once
#include <cstdint>
#include <filesystem>
#include <vector>

namespace vclab {

// True when the path's name ends in ".gz" (the content is then gzip-compressed).
bool is_gzip_path(const std::filesystem::path& path);

// Throws DataError naming the path unless it is an existing regular file (not a directory, FIFO,
// socket or device).
void require_regular_file(const std::filesystem::path& path);

// require_regular_file, and the file can be opened for reading (DataError naming permissions otherwise).
void require_readable_file(const std::filesystem::path& path);

// Returns the file's content, decompressed when the name ends in ".gz". Concatenated gzip members
// are joined (as gunzip does). Throws DataError naming the file when it is missing, a directory,
// unreadable, or (for .gz) not gzip, corrupt, or truncated.
std::vector<std::uint8_t> read_file_bytes(const std::filesystem::path& path);

// The raw bytes of a file on disk, never decompressed (for checksums of the file as stored).
std::vector<std::uint8_t> read_raw_file_bytes(const std::filesystem::path& path);

}  // namespace vclab
