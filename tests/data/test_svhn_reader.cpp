// Tests for the SVHN .mat reader on files written by matio itself: MATLAB's X(row, col, c, n)
// column-major layout must land at vclab's c*H*W + row*W + col; labels 10 -> 0.
#include "data/svhn_reader.hpp"
#include "data_test_files.hpp"

using namespace vclab;
using namespace vclab::test;

TEST_CASE("SVHN .mat decodes pixel by pixel in every MAT variant matio writes") {
  TempDir dir;
  const std::vector<double> labels{10, 1, 5, 9, 10};
  struct Variant {
    const char* name;
    mat_ft version;
    matio_compression compression;
  };
  for (const Variant v : {Variant{"v5_plain.mat", MAT_FT_MAT5, MAT_COMPRESSION_NONE},
                          Variant{"v5_zlib.mat", MAT_FT_MAT5, MAT_COMPRESSION_ZLIB},
                          Variant{"v73.mat", MAT_FT_MAT73, MAT_COMPRESSION_NONE}}) {
    CAPTURE(v.name);
    write_svhn_mat(dir / v.name, labels, v.version, v.compression);
    const RawImages images = read_svhn_mat(dir / v.name);
    REQUIRE(images.count() == 5);
    CHECK(images.channels == 3);
    CHECK(images.height == 32);
    CHECK(images.width == 32);
    CHECK(images.labels == Bytes{0, 1, 5, 9, 0});
    for (std::size_t i = 0; i < 5; ++i)
      for (std::size_t c = 0; c < 3; ++c)
        for (std::size_t row = 0; row < 32; ++row)
          for (std::size_t col = 0; col < 32; ++col)
            REQUIRE(images.pixels[i * 3072 + c * 1024 + row * 32 + col] == pattern_pixel(i, c, row, col));
  }
}

TEST_CASE("SVHN: one lit pixel X(3, 6, 2, 1) in MATLAB's 1-based indexing lands at the hand-computed index") {
  // MATLAB X(3, 6, 2, 1) = row 2, col 5, channel 1 (green), image 0 in 0-based terms; vclab index
  // 1*1024 + 2*32 + 5 = 1093. Column-major offset written by MATLAB: 2 + 32*5 + 1024*1 = 1186.
  TempDir dir;
  Bytes x(3072, 0);
  x[1186] = 200;
  double y = 3;
  mat_t* mat = Mat_CreateVer((dir / "one.mat").c_str(), nullptr, MAT_FT_MAT5);
  REQUIRE(mat != nullptr);
  write_mat_var(mat, "X", MAT_C_UINT8, MAT_T_UINT8, {32, 32, 3, 1}, x.data(), MAT_COMPRESSION_NONE);
  write_mat_var(mat, "y", MAT_C_DOUBLE, MAT_T_DOUBLE, {1, 1}, &y, MAT_COMPRESSION_NONE);
  Mat_Close(mat);
  const RawImages images = read_svhn_mat(dir / "one.mat");
  REQUIRE(images.pixels.size() == 3072);
  CHECK(images.pixels[1093] == 200);
  CHECK(std::count(images.pixels.begin(), images.pixels.end(), 0) == 3071);
  CHECK(images.labels == Bytes{3});
}

TEST_CASE("malformed SVHN files throw DataError naming the file and the problem") {
  TempDir dir;
  SUBCASE("empty file") {
    write_bytes(dir / "train_32x32.mat", {});
    require_data_error([&] { read_svhn_mat(dir / "train_32x32.mat"); }, {"train_32x32.mat", "empty"});
  }
  SUBCASE("not a MAT file") {
    write_bytes(dir / "junk.mat", Bytes(4096, 'j'));
    require_data_error([&] { read_svhn_mat(dir / "junk.mat"); }, {"junk.mat", "MATLAB"});
  }
  SUBCASE("truncated MAT file") {
    write_svhn_mat(dir / "full.mat", {1, 2, 3, 4}, MAT_FT_MAT5, MAT_COMPRESSION_NONE);
    Bytes all = file_bytes(dir / "full.mat");
    all.resize(all.size() / 2);
    write_bytes(dir / "cut.mat", all);
    require_data_error([&] { read_svhn_mat(dir / "cut.mat"); }, {"cut.mat"});
  }
  SUBCASE("X with the wrong shape") {
    Bytes x(32 * 32 * 2, 1);
    double y[2] = {1, 2};
    mat_t* mat = Mat_CreateVer((dir / "shape.mat").c_str(), nullptr, MAT_FT_MAT5);
    write_mat_var(mat, "X", MAT_C_UINT8, MAT_T_UINT8, {32, 32, 2}, x.data(), MAT_COMPRESSION_NONE);
    write_mat_var(mat, "y", MAT_C_DOUBLE, MAT_T_DOUBLE, {2, 1}, y, MAT_COMPRESSION_NONE);
    Mat_Close(mat);
    require_data_error([&] { read_svhn_mat(dir / "shape.mat"); }, {"shape.mat", "(32, 32, 3, N>0)", "(32, 32, 2)"});
  }
  SUBCASE("X stored as double instead of uint8") {
    std::vector<double> x(3072, 1.0);
    double y = 1;
    mat_t* mat = Mat_CreateVer((dir / "double.mat").c_str(), nullptr, MAT_FT_MAT5);
    write_mat_var(mat, "X", MAT_C_DOUBLE, MAT_T_DOUBLE, {32, 32, 3, 1}, x.data(), MAT_COMPRESSION_NONE);
    write_mat_var(mat, "y", MAT_C_DOUBLE, MAT_T_DOUBLE, {1, 1}, &y, MAT_COMPRESSION_NONE);
    Mat_Close(mat);
    require_data_error([&] { read_svhn_mat(dir / "double.mat"); }, {"double.mat", "uint8"});
  }
  SUBCASE("y missing") {
    Bytes x(3072, 1);
    mat_t* mat = Mat_CreateVer((dir / "noy.mat").c_str(), nullptr, MAT_FT_MAT5);
    write_mat_var(mat, "X", MAT_C_UINT8, MAT_T_UINT8, {32, 32, 3, 1}, x.data(), MAT_COMPRESSION_NONE);
    Mat_Close(mat);
    require_data_error([&] { read_svhn_mat(dir / "noy.mat"); }, {"noy.mat", "variable y"});
  }
  SUBCASE("y count disagrees with X") {
    Bytes x(3072 * 2, 1);
    double y[3] = {1, 2, 3};
    mat_t* mat = Mat_CreateVer((dir / "count.mat").c_str(), nullptr, MAT_FT_MAT5);
    write_mat_var(mat, "X", MAT_C_UINT8, MAT_T_UINT8, {32, 32, 3, 2}, x.data(), MAT_COMPRESSION_NONE);
    write_mat_var(mat, "y", MAT_C_DOUBLE, MAT_T_DOUBLE, {3, 1}, y, MAT_COMPRESSION_NONE);
    Mat_Close(mat);
    require_data_error([&] { read_svhn_mat(dir / "count.mat"); }, {"count.mat", "(3, 1)", "2 images"});
  }
  SUBCASE("label out of range (0 is not an SVHN label)") {
    write_svhn_mat(dir / "zero.mat", {3, 0, 4});
    require_data_error([&] { read_svhn_mat(dir / "zero.mat"); }, {"zero.mat", "y(2)", "1..10"});
  }
  SUBCASE("label out of range (11)") {
    write_svhn_mat(dir / "eleven.mat", {11});
    require_data_error([&] { read_svhn_mat(dir / "eleven.mat"); }, {"eleven.mat", "y(1)"});
  }
  SUBCASE("directory where the file should be") {
    std::filesystem::create_directories(dir / "test_32x32.mat");
    require_data_error([&] { read_svhn_mat(dir / "test_32x32.mat"); }, {"test_32x32.mat", "directory"});
  }
  SUBCASE("missing file") {
    require_data_error([&] { read_svhn_mat(dir / "gone.mat"); }, {"gone.mat", "not found"});
  }
}
