// Tests for read_file_bytes (plain and gzip through zlib) and the MD5 / SHA-256 helpers.
#include "data/checksum.hpp"
#include "data/file_bytes.hpp"

#include <sstream>

#include "data_test_files.hpp"

using namespace vclab;
using namespace vclab::test;

TEST_CASE("read_file_bytes returns plain files byte for byte and inflates .gz") {
  TempDir dir;
  Bytes content;
  for (int i = 0; i < 100000; ++i) content.push_back(static_cast<std::uint8_t>((i * 31 + i / 7) % 251));
  write_bytes(dir / "plain.bin", content);
  write_maybe_gz(dir / "packed.bin.gz", content);
  CHECK(read_file_bytes(dir / "plain.bin") == content);
  CHECK(read_file_bytes(dir / "packed.bin.gz") == content);
  // read_raw_file_bytes does not inflate: the gzip magic stays.
  const Bytes raw = read_raw_file_bytes(dir / "packed.bin.gz");
  REQUIRE(raw.size() > 2);
  CHECK(raw[0] == 0x1f);
  CHECK(raw[1] == 0x8b);
}

TEST_CASE("read_file_bytes joins concatenated gzip members, as gunzip does") {
  TempDir dir;
  const Bytes a{1, 2, 3, 4, 5}, b{250, 251, 252};
  Bytes joined = gzip_bytes(a, dir / "a.scratch");
  const Bytes second = gzip_bytes(b, dir / "b.scratch");
  joined.insert(joined.end(), second.begin(), second.end());
  write_bytes(dir / "two.gz", joined);
  CHECK(read_file_bytes(dir / "two.gz") == Bytes{1, 2, 3, 4, 5, 250, 251, 252});
}

TEST_CASE("read_file_bytes reads an empty .gz as empty content") {
  TempDir dir;
  write_maybe_gz(dir / "empty.gz", {});
  CHECK(read_file_bytes(dir / "empty.gz").empty());
}

TEST_CASE("read_file_bytes rejects bad files with DataError naming the file") {
  TempDir dir;
  Bytes content(5000);
  for (std::size_t i = 0; i < content.size(); ++i) content[i] = static_cast<std::uint8_t>(i * i);
  const Bytes gz = gzip_bytes(content, dir / "x.scratch");

  SUBCASE("missing file") {
    require_data_error([&] { read_file_bytes(dir / "nothere.gz"); }, {"nothere.gz", "not found"});
  }
  SUBCASE("a directory where a file should be") {
    std::filesystem::create_directories(dir / "adir.gz");
    require_data_error([&] { read_file_bytes(dir / "adir.gz"); }, {"adir.gz", "directory"});
  }
  SUBCASE("empty .gz file") {
    write_bytes(dir / "zero.gz", {});
    require_data_error([&] { read_file_bytes(dir / "zero.gz"); }, {"zero.gz", "gzip"});
  }
  SUBCASE("plain data named .gz") {
    write_bytes(dir / "plain.gz", content);
    require_data_error([&] { read_file_bytes(dir / "plain.gz"); }, {"plain.gz", "magic"});
  }
  SUBCASE("truncated gzip") {
    write_bytes(dir / "cut.gz", Bytes(gz.begin(), gz.begin() + gz.size() / 2));
    require_data_error([&] { read_file_bytes(dir / "cut.gz"); }, {"cut.gz", "truncated"});
  }
  SUBCASE("corrupt deflate data") {
    Bytes bad = gz;
    for (std::size_t i = 12; i < 40; ++i) bad[i] ^= 0xa5;  // inside the deflate stream, after the 10-byte header
    write_bytes(dir / "bad.gz", bad);
    require_data_error([&] { read_file_bytes(dir / "bad.gz"); }, {"bad.gz", "corrupt"});
  }
  SUBCASE("wrong CRC-32 in the trailer") {
    Bytes bad = gz;
    bad[bad.size() - 8] ^= 0xff;  // first byte of the CRC-32 trailer
    write_bytes(dir / "crc.gz", bad);
    require_data_error([&] { read_file_bytes(dir / "crc.gz"); }, {"crc.gz", "corrupt"});
  }
}

TEST_CASE("md5_hex and sha256_hex match the RFC 1321 / FIPS 180-2 test vectors") {
  const Bytes abc{'a', 'b', 'c'};
  CHECK(md5_hex({}) == "d41d8cd98f00b204e9800998ecf8427e");
  CHECK(md5_hex(abc) == "900150983cd24fb0d6963f7d28e17f72");
  CHECK(sha256_hex(abc) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("sha256_hex of a stream matches the FIPS 180-2 vectors and the whole-buffer digest across its blocks") {
  std::istringstream empty(""), million_a(std::string(1000000, 'a'));
  CHECK(sha256_hex(empty) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex(million_a) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  Bytes content(3 * 1048576 + 123);  // three 1 MiB blocks and a partial one
  for (std::size_t i = 0; i < content.size(); ++i) content[i] = static_cast<std::uint8_t>((i * 131 + i / 4099) % 256);
  std::istringstream stream(std::string(content.begin(), content.end()));
  CHECK(sha256_hex(stream) == sha256_hex(content));
}
