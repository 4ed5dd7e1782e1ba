// Tests for the CIFAR-10 / CIFAR-100 binary readers: channel/row/col mapping, labels, bad files.
#include "data/cifar_reader.hpp"
#include "data_test_files.hpp"

using namespace vclab;
using namespace vclab::test;

TEST_CASE("CIFAR-10 records decode pixel by pixel with R, G, B planes in vclab order") {
  TempDir dir;
  const Bytes labels{6, 9, 0, 3};
  for (const std::string name : {"data_batch_1.bin", "data_batch_1.bin.gz"}) {
    CAPTURE(name);
    write_maybe_gz(dir / name, cifar10_bytes(labels));
    const RawImages images = read_cifar10(dir / name);
    REQUIRE(images.count() == 4);
    CHECK(images.dim() == 3072);
    CHECK(images.labels == labels);
    for (std::size_t i = 0; i < 4; ++i)
      for (std::size_t c = 0; c < 3; ++c)
        for (std::size_t row = 0; row < 32; ++row)
          for (std::size_t col = 0; col < 32; ++col)
            REQUIRE(images.pixels[i * 3072 + c * 1024 + row * 32 + col] == pattern_pixel(i, c, row, col));
    // Hand-computed: image 2, green (c = 1), row 3, col 5 sits at 2*3072 + 1024 + 96 + 5 = 7269 and
    // holds (2*37 + 101 + 21 + 15 + 11) % 256 = 222.
    CHECK(images.pixels[7269] == 222);
  }
}

TEST_CASE("CIFAR-100 keeps fine labels by default and coarse labels on request") {
  TempDir dir;
  const Bytes coarse{19, 0, 7}, fine{99, 4, 55};
  write_maybe_gz(dir / "train.bin.gz", cifar100_bytes(coarse, fine));
  const RawImages by_fine = read_cifar100(dir / "train.bin.gz");
  const RawImages by_coarse = read_cifar100(dir / "train.bin.gz", Cifar100Labels::coarse);
  CHECK(by_fine.labels == fine);
  CHECK(by_coarse.labels == coarse);
  REQUIRE(by_fine.count() == 3);
  for (std::size_t i = 0; i < 3; ++i)
    for (std::size_t c = 0; c < 3; ++c)
      for (std::size_t row = 0; row < 32; ++row)
        for (std::size_t col = 0; col < 32; ++col)
          REQUIRE(by_fine.pixels[i * 3072 + c * 1024 + row * 32 + col] == pattern_pixel(i, c, row, col));
}

TEST_CASE("class-name files: one name per non-empty line, count checked") {
  TempDir dir;
  write_bytes(dir / "batches.meta.txt", Bytes{'a', 'i', 'r', '\n', 'c', 'a', 'r', '\r', '\n', '\n'});
  CHECK(read_class_names(dir / "batches.meta.txt", 2) == std::vector<std::string>{"air", "car"});
  require_data_error([&] { read_class_names(dir / "batches.meta.txt", 10); },
                     {"batches.meta.txt", "expected 10 class names", "found 2"});
}

TEST_CASE("malformed CIFAR files throw DataError naming the file and the problem") {
  TempDir dir;
  SUBCASE("empty file") {
    write_bytes(dir / "data_batch_1.bin", {});
    require_data_error([&] { read_cifar10(dir / "data_batch_1.bin"); }, {"data_batch_1.bin", "empty"});
  }
  SUBCASE("truncated: size not a multiple of 3073") {
    Bytes cut = cifar10_bytes({1, 2});
    cut.resize(cut.size() - 100);
    write_bytes(dir / "data_batch_2.bin", cut);
    require_data_error([&] { read_cifar10(dir / "data_batch_2.bin"); },
                       {"data_batch_2.bin", "6046 bytes", "3073", "1 whole records + 2973 extra bytes"});
  }
  SUBCASE("CIFAR-100 file given to the CIFAR-10 reader") {
    write_bytes(dir / "test.bin", cifar100_bytes({1, 2, 3}, {4, 5, 6}));
    require_data_error([&] { read_cifar10(dir / "test.bin"); }, {"test.bin", "not a multiple"});
  }
  SUBCASE("CIFAR-10 label out of range") {
    write_bytes(dir / "data_batch_3.bin", cifar10_bytes({1, 10}));
    require_data_error([&] { read_cifar10(dir / "data_batch_3.bin"); }, {"data_batch_3.bin", "record 1", "label 10"});
  }
  SUBCASE("CIFAR-100 coarse label out of range, even when fine labels are kept") {
    write_bytes(dir / "train.bin", cifar100_bytes({20}, {3}));
    require_data_error([&] { read_cifar100(dir / "train.bin"); }, {"train.bin", "coarse label 20", "[0, 20)"});
  }
  SUBCASE("CIFAR-100 fine label out of range") {
    write_bytes(dir / "train.bin", cifar100_bytes({2, 3}, {5, 100}));
    require_data_error([&] { read_cifar100(dir / "train.bin"); }, {"train.bin", "fine label 100", "[0, 100)"});
  }
  SUBCASE("directory where the file should be") {
    std::filesystem::create_directories(dir / "test_batch.bin");
    require_data_error([&] { read_cifar10(dir / "test_batch.bin"); }, {"test_batch.bin", "directory"});
  }
  SUBCASE("missing file") {
    require_data_error([&] { read_cifar100(dir / "nope.bin"); }, {"nope.bin", "not found"});
  }
  SUBCASE("corrupt gzip") {
    Bytes gz = gzip_bytes(cifar10_bytes({1, 2}), dir / "s.scratch");
    for (std::size_t i = 20; i < 60; ++i) gz[i] = 0xff;
    write_bytes(dir / "data_batch_4.bin.gz", gz);
    require_data_error([&] { read_cifar10(dir / "data_batch_4.bin.gz"); },
                       {"data_batch_4.bin.gz", "corrupt gzip data (", "at compressed byte", "Re-download the file, or gunzip -t it"});
  }
}
