// StateArchive stored as HDF5: groups are HDF5 groups, attributes HDF5 attributes, matrices 2-D datasets
// (the layout of io/hdf5_file.hpp). The only place where training state becomes HDF5.
#include "io/state_archive.hpp"

#include "io/hdf5_file.hpp"

namespace vclab {
namespace {

class Hdf5StateArchive final : public StateArchive {
 public:
  explicit Hdf5StateArchive(Hdf5File file) : file_(std::move(file)) {}
  const std::filesystem::path& path() const override { return file_.path(); }
  void create_group(const std::string& group) override { file_.create_group(group); }
  void write_matrix(const std::string& key, const arma::mat& m) override { file_.write_matrix(key, m); }
  void write_matrix(const std::string& key, const arma::fmat& m) override { file_.write_matrix(key, m); }
  void write_vector(const std::string& key, const arma::vec& v) override { file_.write_vector(key, v); }
  void write_bytes(const std::string& key, const std::vector<std::uint8_t>& bytes) override { file_.write_bytes(key, bytes); }
  void set_attribute(const std::string& object, const std::string& name, std::int64_t value) override {
    file_.set_attribute(object, name, value);
  }
  void set_attribute(const std::string& object, const std::string& name, const std::string& value) override {
    file_.set_attribute(object, name, value);
  }
  void close() override { file_.close(); }
  arma::mat read_matrix(const std::string& key) const override { return file_.read_matrix(key); }
  std::vector<std::uint8_t> read_bytes(const std::string& key) const override { return file_.read_bytes(key); }
  std::int64_t get_attribute_int(const std::string& object, const std::string& name) const override {
    return file_.get_attribute_int(object, name);
  }
  std::string get_attribute_string(const std::string& object, const std::string& name) const override {
    return file_.get_attribute_string(object, name);
  }
  bool has_attribute(const std::string& object, const std::string& name) const override { return file_.has_attribute(object, name); }
  bool exists(const std::string& key) const override { return file_.exists(key); }

 private:
  Hdf5File file_;
};

}  // namespace

std::unique_ptr<StateArchive> create_state_archive(const std::filesystem::path& path) {
  Hdf5File file = Hdf5File::create(path);
  file.set_compression(0);  // written every epoch: speed over size
  return std::make_unique<Hdf5StateArchive>(std::move(file));
}

std::unique_ptr<StateArchive> open_state_archive(const std::filesystem::path& path) {
  return std::make_unique<Hdf5StateArchive>(Hdf5File::open_read(path));
}

}  // namespace vclab
