// Tests for the decoded-dataset cache: loads through it are bit-identical to uncached loads, entries are keyed by
// content, a damaged entry is never trusted, and the folder follows VCLAB_CACHE / XDG_CACHE_HOME / HOME.
#include <cstring>

#include "data/decoded_cache.hpp"
#include "data/load_dataset.hpp"
#include "data_test_files.hpp"
#include "test_util.hpp"

using namespace vclab;
using namespace vclab::test;
namespace fs = std::filesystem;

namespace {

// Same bits in every float, same labels, same metadata: what "bit-identical to the uncached load" means.
void require_identical(const Dataset& a, const Dataset& b) {
  REQUIRE(a.x.n_rows == b.x.n_rows);
  REQUIRE(a.x.n_cols == b.x.n_cols);
  CHECK(std::memcmp(a.x.memptr(), b.x.memptr(), a.x.n_elem * sizeof(float)) == 0);
  CHECK(arma::all(a.y == b.y));
  CHECK(a.name == b.name);
  CHECK(a.n_classes == b.n_classes);
  CHECK(a.image_shape == b.image_shape);
  CHECK(a.class_names == b.class_names);
  CHECK(a.source_files == b.source_files);
}

void require_identical(const DatasetSplit& a, const DatasetSplit& b) {
  require_identical(a.train, b.train);
  require_identical(a.test, b.test);
  require_identical(a.validation, b.validation);
}

DatasetSplit load_uncached(const DatasetRequest& request) {
  ScopedEnv off("VCLAB_NO_CACHE", "1");
  return load_dataset(request);
}

std::vector<fs::path> entries(const fs::path& cache) {
  std::vector<fs::path> found;
  if (fs::exists(cache / "decoded"))
    for (const auto& e : fs::directory_iterator(cache / "decoded")) found.push_back(e.path());
  std::sort(found.begin(), found.end());
  return found;
}

RawImages tiny_images() {
  RawImages images;
  images.channels = 1;
  images.height = 2;
  images.width = 3;
  images.pixels = {0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255};
  images.labels = {7, 1};
  return images;
}

}  // namespace

TEST_CASE("loads through the cache are bit-identical to uncached loads (CIFAR-10, MNIST, validation split)") {
  TempDir data, cache;
  write_tiny_cifar10(data / "cifar10");
  write_tiny_mnist(data / "mnist");
  ScopedEnv on("VCLAB_NO_CACHE", std::nullopt);
  ScopedEnv where("VCLAB_CACHE", cache.path().string());
  for (const std::string name : {"cifar10", "mnist"}) {
    CAPTURE(name);
    DatasetRequest request;
    request.name = name;
    request.data_dir = (data / name).string();
    request.normalize = Normalization::standardize;
    request.val_fraction = name == "cifar10" ? 0.2 : 0;
    const DatasetSplit plain = load_uncached(request);
    const std::size_t before = entries(cache.path()).size();
    const DatasetSplit first = load_dataset(request);  // decodes and writes the entries
    const std::size_t written = entries(cache.path()).size() - before;
    CHECK(written == (name == "cifar10" ? 6u : 2u));  // one per CIFAR batch file, one per IDX image+label pair
    const DatasetSplit second = load_dataset(request);  // reads them
    require_identical(first, plain);
    require_identical(second, plain);
  }
}

TEST_CASE("an entry round-trips, and any damage is reported and never trusted") {
  TempDir cache;
  const RawImages images = tiny_images();
  const std::string key(64, 'a');
  const fs::path file = decoded_cache_file(cache.path(), key);
  CHECK(file == cache / "decoded" / (key + ".bin"));
  CHECK(read_decoded_cache(file, key).state == DecodedCacheRead::State::missing);
  write_decoded_cache(file, key, images);
  CHECK(entries(cache.path()) == std::vector<fs::path>{file});  // no temporary file left behind
  const DecodedCacheRead ok = read_decoded_cache(file, key);
  REQUIRE(ok.state == DecodedCacheRead::State::ok);
  CHECK(ok.images.pixels == images.pixels);
  CHECK(ok.images.labels == images.labels);
  CHECK(ok.images.dim() == 6);

  const Bytes good = file_bytes(file);
  SUBCASE("a flipped pixel bit fails the checksum") {
    Bytes bad = good;
    bad[bad.size() - 64 - 3] ^= 0x01;
    write_bytes(file, bad);
    const DecodedCacheRead read = read_decoded_cache(file, key);
    CHECK(read.state == DecodedCacheRead::State::damaged);
    CHECK(read.why == "checksum mismatch");
  }
  SUBCASE("a truncated entry") {
    write_bytes(file, Bytes(good.begin(), good.begin() + 40));
    CHECK(read_decoded_cache(file, key).state == DecodedCacheRead::State::damaged);
    write_bytes(file, Bytes(good.begin(), good.end() - 1));
    CHECK(read_decoded_cache(file, key).state == DecodedCacheRead::State::damaged);
  }
  SUBCASE("an intact entry under another key's name") {
    CHECK(read_decoded_cache(file, std::string(64, 'b')).why == "holds another key");
  }
}

TEST_CASE("a damaged entry of a real load is discarded and rebuilt; the data stays identical") {
  TempDir data, cache;
  write_tiny_mnist(data.path());
  ScopedEnv on("VCLAB_NO_CACHE", std::nullopt);
  ScopedEnv where("VCLAB_CACHE", cache.path().string());
  DatasetRequest request;
  request.name = "mnist";
  request.data_dir = data.path().string();
  const DatasetSplit plain = load_uncached(request);
  load_dataset(request);
  const std::vector<fs::path> files = entries(cache.path());
  REQUIRE(files.size() == 2);
  for (const fs::path& file : files) {
    Bytes bytes = file_bytes(file);
    const Bytes good = bytes;
    bytes[bytes.size() - 64 - 1] ^= 0xff;  // the last label byte, just before the checksum
    write_bytes(file, bytes);
    require_identical(load_dataset(request), plain);
    CHECK(file_bytes(file) == good);  // rewritten as it was
  }
}

TEST_CASE("the key follows the content: a same-size rewrite of a source is decoded afresh") {
  TempDir data, cache;
  write_tiny_cifar10(data.path());
  ScopedEnv on("VCLAB_NO_CACHE", std::nullopt);
  ScopedEnv where("VCLAB_CACHE", cache.path().string());
  DatasetRequest request;
  request.name = "cifar10";
  request.data_dir = data.path().string();
  const fs::path test_batch = data / "cifar-10-batches-bin/test_batch.bin";
  const std::string key = decoded_cache_key("cifar10", {test_batch});
  CHECK(key.size() == 64);
  CHECK(key == decoded_cache_key("cifar10", {test_batch}));
  CHECK(key != decoded_cache_key("cifar100-fine", {test_batch}));  // the decoder is part of the key
  CHECK(load_dataset(request).test.y[0] == 3);
  const auto mtime = fs::last_write_time(test_batch);
  write_bytes(test_batch, cifar10_bytes({5, 8, 8}, 100));  // same size, same mtime (restored below)
  fs::last_write_time(test_batch, mtime);
  CHECK(decoded_cache_key("cifar10", {test_batch}) != key);
  const DatasetSplit fresh = load_dataset(request);
  CHECK(fresh.test.y[0] == 5);
  require_identical(fresh, load_uncached(request));
}

TEST_CASE("errors of the source files pass through the cache unchanged, and nothing is cached for them") {
  TempDir data, cache;
  write_tiny_cifar10(data.path());
  ScopedEnv on("VCLAB_NO_CACHE", std::nullopt);
  ScopedEnv where("VCLAB_CACHE", cache.path().string());
  write_bytes(data / "cifar-10-batches-bin/test_batch.bin", Bytes(3073 + 5, 1));
  DatasetRequest request;
  request.name = "cifar10";
  request.data_dir = data.path().string();
  require_data_error([&] { load_dataset(request); }, {"test_batch.bin", "not a multiple of the CIFAR-10 record size"});
  CHECK(entries(cache.path()).size() == 5);  // the five good training batches only
}

TEST_CASE("a cache folder that cannot be written costs a notice, not the load") {
  TempDir data, scratch;
  write_tiny_mnist(data.path());
  write_bytes(scratch / "not-a-folder", Bytes{1});
  ScopedEnv on("VCLAB_NO_CACHE", std::nullopt);
  ScopedEnv where("VCLAB_CACHE", (scratch / "not-a-folder").string());
  DatasetRequest request;
  request.name = "mnist";
  request.data_dir = data.path().string();
  require_identical(load_dataset(request), load_uncached(request));
}

TEST_CASE("decoded_cache_dir: VCLAB_NO_CACHE, then VCLAB_CACHE, XDG_CACHE_HOME/vclab, HOME/.cache/vclab") {
  ScopedEnv off("VCLAB_NO_CACHE", std::nullopt);
  ScopedEnv cache("VCLAB_CACHE", "/c");
  ScopedEnv xdg("XDG_CACHE_HOME", "/x");
  ScopedEnv home("HOME", "/h");
  CHECK(decoded_cache_dir() == fs::path("/c"));
  {
    ScopedEnv none("VCLAB_CACHE", "");
    CHECK(decoded_cache_dir() == fs::path("/x/vclab"));
    ScopedEnv no_xdg("XDG_CACHE_HOME", std::nullopt);
    CHECK(decoded_cache_dir() == fs::path("/h/.cache/vclab"));
    ScopedEnv no_home("HOME", std::nullopt);
    CHECK(!decoded_cache_dir());
  }
  {
    ScopedEnv zero("VCLAB_NO_CACHE", "0");
    CHECK(decoded_cache_dir() == fs::path("/c"));
  }
  ScopedEnv on("VCLAB_NO_CACHE", "1");
  CHECK(!decoded_cache_dir());
}

TEST_CASE("real CIFAR-10: the cached load (written, then read) is bit-identical to the uncached one") {
  const fs::path dir = test_data_root() / "cifar10";
  if (skip_without(dir)) return;
  TempDir cache;
  ScopedEnv on("VCLAB_NO_CACHE", std::nullopt);
  ScopedEnv where("VCLAB_CACHE", cache.path().string());
  DatasetRequest request;
  request.name = "cifar10";
  request.data_dir = dir.string();
  const DatasetSplit plain = load_uncached(request);
  REQUIRE(plain.train.size() == 50000);
  require_identical(load_dataset(request), plain);
  CHECK(entries(cache.path()).size() == 6);
  require_identical(load_dataset(request), plain);
}
