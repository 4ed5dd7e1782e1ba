// Tests for `vclab datasets list|verify` logic on generated directories: presence, decoding,
// counts against the official release, checksum comparison, decode errors and the table.
#include "data/checksum.hpp"
#include "data/dataset_status.hpp"
#include "data_test_files.hpp"

using namespace vclab;
using namespace vclab::test;

namespace {

const DatasetStatus& find_status(const std::vector<DatasetStatus>& all, const std::string& name) {
  for (const DatasetStatus& s : all)
    if (s.name == name) return s;
  FAIL("no status for " << name);
  return all.front();
}

const DatasetFileStatus& find_file(const DatasetStatus& status, const std::string& role) {
  for (const DatasetFileStatus& f : status.files)
    if (f.role == role) return f;
  FAIL("no file role " << role);
  return status.files.front();
}

}  // namespace

TEST_CASE("list_datasets reports what is where without decoding") {
  TempDir dir;
  const Bytes labels = cifar10_bytes({1, 2});
  for (int k = 1; k <= 5; ++k) write_bytes(dir / ("cifar10/data_batch_" + std::to_string(k) + ".bin"), labels);
  write_bytes(dir / "cifar10/test_batch.bin", Bytes{1, 2, 3});  // malformed, but list does not decode
  const std::vector<DatasetStatus> all = list_datasets(dir.path().string());
  CHECK(all.size() == 7);
  const DatasetStatus& cifar = find_status(all, "cifar10");
  CHECK(cifar.found);
  CHECK(cifar.directory == (dir / "cifar10").string());
  CHECK_FALSE(cifar.verified);
  CHECK(find_file(cifar, "test_batch").size_bytes == 3);
  CHECK(find_file(cifar, "data_batch_2").found);
  CHECK_FALSE(find_file(cifar, "class-names").found);
  CHECK(find_file(cifar, "class-names").required == false);
  const DatasetStatus& svhn = find_status(all, "svhn");
  CHECK_FALSE(svhn.found);
  CHECK(svhn.searched.size() == 2);  // the flag directory and flag/svhn, nothing else
  CHECK(find_status(all, "synthetic-teacher").synthetic);
  const std::string table = format_status(all);
  CHECK(table.find("cifar10") != std::string::npos);
  CHECK(table.find("missing") != std::string::npos);
  CHECK(table.find("generated") != std::string::npos);
}

TEST_CASE("verify_dataset decodes, checks counts and checksums, and records decode errors") {
  TempDir dir;
  const Bytes train_images = idx_images_bytes(2, 1, 3, {1, 2, 3, 4, 5, 6});
  write_maybe_gz(dir / "train-images-idx3-ubyte.gz", train_images);
  write_maybe_gz(dir / "train-labels-idx1-ubyte", idx_labels_bytes({1, 2}));
  write_maybe_gz(dir / "t10k-images-idx3-ubyte", idx_images_bytes(1, 1, 3, {7, 8, 9}));
  write_maybe_gz(dir / "t10k-labels-idx1-ubyte", idx_labels_bytes({3, 4}));  // 2 labels for 1 image
  const DatasetStatus status = verify_dataset("mnist", dir.path().string());
  CHECK(status.verified);
  CHECK_FALSE(status.ok);
  CHECK(status.n_train == 2);
  CHECK(status.n_test == 1);
  const DatasetFileStatus& images = find_file(status, "train-images");
  CHECK(images.records == 2);
  CHECK(images.md5 == md5_hex(train_images));  // of the UNCOMPRESSED content
  CHECK(images.checksum == "MISMATCH");
  CHECK(images.expected_md5 == "6bbc9ace898e44ae57da46a324031adb");
  auto has_problem = [&](const std::string& needle) {
    for (const std::string& p : status.problems)
      if (p.find(needle) != std::string::npos) return true;
    return false;
  };
  CHECK(has_problem("test: 1 images but 2 labels"));
  CHECK(has_problem("expected 60000 / 10000"));
  CHECK(has_problem("train-images-idx3-ubyte.gz: MD5"));
  const std::string table = format_status({status});
  CHECK(table.find("FAILED") != std::string::npos);
  CHECK(table.find("MISMATCH") != std::string::npos);

  SUBCASE("a corrupt file becomes a recorded problem naming it, not an exception") {
    write_bytes(dir / "train-images-idx3-ubyte.gz", Bytes{0x1f, 0x8b, 1, 2, 3});
    const DatasetStatus broken = verify_dataset("mnist", dir.path().string());
    CHECK_FALSE(broken.ok);
    CHECK(find_file(broken, "train-images").error.find("train-images-idx3-ubyte.gz") != std::string::npos);
    CHECK(format_status({broken}).find("ERROR") != std::string::npos);
  }
  SUBCASE("a missing dataset is reported, not thrown") {
    const DatasetStatus missing = verify_dataset("cifar100", dir.path().string());
    CHECK_FALSE(missing.found);
    CHECK_FALSE(missing.ok);
    CHECK(format_status({missing}).find("looked in") != std::string::npos);
  }
  SUBCASE("unknown names throw") {
    require_data_error([&] { verify_dataset("mnist2", ""); }, {"mnist2"});
  }
}
