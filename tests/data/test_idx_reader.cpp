// Tests for the IDX (MNIST) reader: decoded pixels and labels, and every kind of malformed file.
#include "data/idx_reader.hpp"
#include "data_test_files.hpp"

using namespace vclab;
using namespace vclab::test;

namespace {

// 3 images of 2 rows x 4 cols; pixel (i, r, c) = pattern_pixel(i, 0, r, c).
Bytes tiny_pixels() {
  Bytes p;
  for (std::size_t i = 0; i < 3; ++i)
    for (std::size_t r = 0; r < 2; ++r)
      for (std::size_t c = 0; c < 4; ++c) p.push_back(pattern_pixel(i, 0, r, c));
  return p;
}

}  // namespace

TEST_CASE("IDX images and labels decode pixel by pixel, plain and gzipped") {
  TempDir dir;
  for (const std::string suffix : {"", ".gz"}) {
    CAPTURE(suffix);
    write_maybe_gz(dir / ("img" + suffix), idx_images_bytes(3, 2, 4, tiny_pixels()));
    write_maybe_gz(dir / ("lab" + suffix), idx_labels_bytes({7, 0, 9}));
    const RawImages images = read_idx_pair(dir / ("img" + suffix), dir / ("lab" + suffix));
    REQUIRE(images.count() == 3);
    CHECK(images.channels == 1);
    CHECK(images.height == 2);
    CHECK(images.width == 4);
    CHECK(images.labels == Bytes{7, 0, 9});
    for (std::size_t i = 0; i < 3; ++i)
      for (std::size_t r = 0; r < 2; ++r)
        for (std::size_t c = 0; c < 4; ++c) CHECK(images.pixels[i * 8 + r * 4 + c] == pattern_pixel(i, 0, r, c));
    // Hand-computed: image 1, row 1, col 2 -> (37 + 7 + 6 + 11) % 256 = 61 at flat index 8 + 4 + 2 = 14.
    CHECK(images.pixels[14] == 61);
  }
}

TEST_CASE("malformed IDX files throw DataError naming the file and the problem") {
  TempDir dir;
  const Bytes pixels = tiny_pixels();
  SUBCASE("empty file") {
    write_bytes(dir / "empty-idx3", {});
    require_data_error([&] { read_idx_images(dir / "empty-idx3"); },
                       {"empty-idx3", "expected an IDX images file with a 16-byte header", "found only 0 bytes"});
  }
  SUBCASE("wrong magic (label file given as images)") {
    write_bytes(dir / "swapped-idx3", idx_labels_bytes({1, 2, 3}));
    require_data_error([&] { read_idx_images(dir / "swapped-idx3"); }, {"swapped-idx3", "2051", "2049"});
  }
  SUBCASE("wrong magic (garbage)") {
    write_bytes(dir / "junk-idx3", idx_images_bytes(3, 2, 4, pixels, 0x12345678));
    require_data_error([&] { read_idx_images(dir / "junk-idx3"); }, {"junk-idx3", "magic"});
  }
  SUBCASE("truncated payload states expected and found bytes") {
    Bytes cut = idx_images_bytes(3, 2, 4, pixels);
    cut.resize(cut.size() - 5);
    write_bytes(dir / "cut-idx3", cut);
    require_data_error([&] { read_idx_images(dir / "cut-idx3"); }, {"cut-idx3", "expected 24", "found 19", "truncated"});
  }
  SUBCASE("extra bytes") {
    Bytes extra = idx_images_bytes(3, 2, 4, pixels);
    extra.push_back(0);
    write_bytes(dir / "extra-idx3", extra);
    require_data_error([&] { read_idx_images(dir / "extra-idx3"); }, {"extra-idx3", "expected 24", "found 25", "extra"});
  }
  SUBCASE("count in the header disagrees with the file size") {
    write_bytes(dir / "count-idx3", idx_images_bytes(4, 2, 4, pixels));
    require_data_error([&] { read_idx_images(dir / "count-idx3"); }, {"count-idx3", "4 images", "expected 32"});
  }
  SUBCASE("zero dimension") {
    write_bytes(dir / "zero-idx3", idx_images_bytes(3, 0, 4, {}));
    require_data_error([&] { read_idx_images(dir / "zero-idx3"); }, {"zero-idx3", "rows=0"});
  }
  SUBCASE("label out of range") {
    write_bytes(dir / "bad-idx1", idx_labels_bytes({1, 10, 3}));
    require_data_error([&] { read_idx_labels(dir / "bad-idx1"); }, {"bad-idx1", "label 1 is 10", "[0, 10)"});
  }
  SUBCASE("label count disagrees with the file size") {
    Bytes labels = idx_labels_bytes({1, 2, 3});
    labels[7] = 5;  // header claims 5 labels, 3 present
    write_bytes(dir / "short-idx1", labels);
    require_data_error([&] { read_idx_labels(dir / "short-idx1"); }, {"short-idx1", "5 labels", "found 3"});
  }
  SUBCASE("label count differs from image count") {
    write_bytes(dir / "img-idx3", idx_images_bytes(3, 2, 4, pixels));
    write_bytes(dir / "two-idx1", idx_labels_bytes({1, 2}));
    require_data_error([&] { read_idx_pair(dir / "img-idx3", dir / "two-idx1"); }, {"two-idx1", "2 labels", "3 images"});
  }
  SUBCASE("directory where the file should be") {
    std::filesystem::create_directories(dir / "dir-idx3");
    require_data_error([&] { read_idx_images(dir / "dir-idx3"); }, {"dir-idx3", "directory"});
  }
  SUBCASE("missing file") {
    require_data_error([&] { read_idx_images(dir / "absent-idx3.gz"); }, {"absent-idx3.gz", "not found"});
  }
  SUBCASE("corrupt gzip") {
    Bytes gz = gzip_bytes(idx_images_bytes(3, 2, 4, pixels), dir / "s.scratch");
    gz.resize(gz.size() - 9);
    write_bytes(dir / "broken-idx3.gz", gz);
    // the last 9 bytes gone: the 8-byte trailer and the deflate stream's end
    require_data_error([&] { read_idx_images(dir / "broken-idx3.gz"); },
                       {"broken-idx3.gz", "gzip data is truncated", "Re-download the file, or gunzip -t it"});
  }
}
