// Writes the seed corpus of the fuzzers (fuzz/corpus/<format>/): a few tiny valid files per format, made with
// the same writers the tests use (zlib, vclab's npy writer). Usage: make_corpus OUT_DIR
#include <zlib.h>

#include <armadillo>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <vector>

#include "io/npy.hpp"

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
  // npy: a float64 matrix and a float32 vector, written by vclab's own writer (numpy's v1.0 layout).
  fs::create_directories(out / "npy");
  vclab::write_npy(out / "npy" / "matrix_f8.npy", arma::mat{{1.0, -2.0, 3.5}, {0.25, 5.0, -6.0}});
  vclab::write_npy(out / "npy" / "vector_f4.npy", arma::fvec{1.0f, 2.0f, 3.0f});
  // CSV: a metrics-like table, and one with quoted fields, an escaped quote and CRLF line ends.
  const std::string metrics = "epoch,steps,train_loss,test_accuracy\n1,5,0.693,0.5\n2,10,0.41,0.75\n";
  const std::string quoted = "name,note\r\n\"a,b\",\"say \"\"hi\"\"\"\r\nc,\"two\nlines\"\r\n";
  write(out / "csv" / "metrics.csv", Bytes(metrics.begin(), metrics.end()));
  write(out / "csv" / "quoted.csv", Bytes(quoted.begin(), quoted.end()));
  return 0;
}
