// Writes the seed corpus of the fuzzers (fuzz/corpus/<format>/): a few tiny valid files per format, made with
// the same writers the tests use (zlib, libmatio, vclab's RecordingWriter). Usage: make_corpus OUT_DIR
#include <matio.h>
#include <zlib.h>

#include <armadillo>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <vector>

#include "io/recordings.hpp"

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

namespace {

void write(const fs::path& path, const Bytes& b) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
}

void put_be32(Bytes& b, std::uint32_t v) {
  for (int shift : {24, 16, 8, 0}) b.push_back(std::uint8_t(v >> shift));
}

Bytes gzip(const Bytes& plain, const fs::path& scratch) {
  gzFile gz = gzopen(scratch.c_str(), "wb9");
  gzwrite(gz, plain.data(), unsigned(plain.size()));
  gzclose(gz);
  std::ifstream in(scratch, std::ios::binary);
  Bytes out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  fs::remove(scratch);
  return out;
}

void write_svhn(const fs::path& path, std::size_t n, matio_compression compression) {
  fs::create_directories(path.parent_path());
  Bytes x(32 * 32 * 3 * n);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::uint8_t(i * 7 % 251);
  std::vector<double> y(n);
  for (std::size_t i = 0; i < n; ++i) y[i] = double(i % 10 + 1);
  mat_t* mat = Mat_CreateVer(path.c_str(), nullptr, MAT_FT_MAT5);
  std::size_t xdims[4] = {32, 32, 3, n}, ydims[2] = {n, 1};
  matvar_t* xv = Mat_VarCreate("X", MAT_C_UINT8, MAT_T_UINT8, 4, xdims, x.data(), 0);
  matvar_t* yv = Mat_VarCreate("y", MAT_C_DOUBLE, MAT_T_DOUBLE, 2, ydims, y.data(), 0);
  Mat_VarWrite(mat, xv, compression);
  Mat_VarWrite(mat, yv, compression);
  Mat_VarFree(xv);
  Mat_VarFree(yv);
  Mat_Close(mat);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_corpus OUT_DIR\n";
    return 2;
  }
  const fs::path out = argv[1];
  // IDX: 2 images of 3x2, their labels, and the images gzipped.
  Bytes images;
  for (std::uint32_t v : {2051u, 2u, 3u, 2u}) put_be32(images, v);
  for (int i = 0; i < 12; ++i) images.push_back(std::uint8_t(i * 20));
  Bytes labels;
  for (std::uint32_t v : {2049u, 2u}) put_be32(labels, v);
  labels.push_back(3);
  labels.push_back(9);
  write(out / "idx" / "images.idx", images);
  write(out / "idx" / "labels.idx", labels);
  write(out / "idx" / "images.idx.gz", gzip(images, out / "scratch.gz"));
  // CIFAR: one CIFAR-10 record, one CIFAR-100 record.
  Bytes c10(3073), c100(3074);
  for (std::size_t i = 0; i < c10.size(); ++i) c10[i] = std::uint8_t(i % 256);
  for (std::size_t i = 0; i < c100.size(); ++i) c100[i] = std::uint8_t(i % 256);
  c10[0] = 7;
  c100[0] = 19;
  c100[1] = 99;
  write(out / "cifar" / "cifar10.bin", c10);
  write(out / "cifar" / "cifar100.bin", c100);
  // SVHN: one image, zlib-compressed and plain MAT v5.
  write_svhn(out / "svhn" / "one_zlib.mat", 1, MAT_COMPRESSION_ZLIB);
  write_svhn(out / "svhn" / "one_plain.mat", 1, MAT_COMPRESSION_NONE);
  // Recordings: diag and full datasets at two checkpoints, one root attribute.
  {
    fs::create_directories(out / "recordings");
    vclab::RecordingWriter writer(out / "recordings" / "small.h5");
    writer.set_root_attribute("record_mode", "diag");
    for (std::size_t k = 0; k < 2; ++k) {
      writer.add("gram", 0, k, {std::int64_t(k), double(k), 0.1}, arma::mat(arma::vec{1.0 + double(k), 2.0, 3.0}), true);
      writer.add("vc", 1, k, {std::int64_t(k), double(k), 0.1}, arma::reshape(arma::mat(arma::vec{1.0, 2.0, 2.0, 5.0 + double(k)}), 2, 2), false);
    }
    writer.close();
  }
  return 0;
}
