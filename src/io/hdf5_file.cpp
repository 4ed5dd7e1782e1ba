// Hdf5File implementation over the HDF5 1.10 C API. HDF5's automatic error printing is turned
// off; every failure becomes an IoError naming the file, the object path and HDF5's own reason.
#include "io/hdf5_file.hpp"

#include <hdf5.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <utility>

#include "io/io_error.hpp"

namespace vclab {

static_assert(std::is_same_v<hid_t, std::int64_t>, "Hdf5File stores hid_t as std::int64_t (HDF5 >= 1.10)");

namespace {

// Closes an HDF5 handle with the right H5?close when it goes out of scope.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() {
    if (id_ >= 0) closer_(id_);
  }
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }

 private:
  hid_t id_;
  Closer closer_;
};

void silence_hdf5_errors() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

// The innermost description on HDF5's error stack, e.g. "unable to open file". Clears the stack.
std::string hdf5_reason() {
  std::string reason;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_UPWARD,
      [](unsigned n, const H5E_error2_t* err, void* out) -> herr_t {
        auto* s = static_cast<std::string*>(out);
        if (n == 0 && err->desc != nullptr) *s = err->desc;
        return 0;
      },
      &reason);
  H5Eclear2(H5E_DEFAULT);
  return reason.empty() ? "" : " (HDF5: " + reason + ")";
}

[[noreturn]] void fail(const std::filesystem::path& file, const std::string& object, const std::string& problem,
                       const std::string& fix) {
  throw IoError(file, (object.empty() ? "" : "object '" + object + "': ") + problem + hdf5_reason(), fix);
}

// Splits "/a/b/c" into {"a", "b", "c"}.
std::vector<std::string> split_path(const std::string& obj_path) {
  std::vector<std::string> parts;
  std::string cur;
  for (char c : obj_path) {
    if (c == '/') {
      if (!cur.empty()) parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) parts.push_back(cur);
  return parts;
}

// Chunks of about kChunkElements elements, whole rows where possible (row-major on disk), shuffled and deflated.
void set_chunked_deflate(hid_t dcpl, const std::vector<hsize_t>& hdims, unsigned level) {
  constexpr hsize_t kChunkElements = 1 << 18;  // 2 MiB of doubles: large enough for deflate
  std::vector<hsize_t> chunk(hdims);
  if (chunk.size() == 1) {
    chunk[0] = std::min<hsize_t>(hdims[0], kChunkElements);
  } else {
    const hsize_t cols = std::min<hsize_t>(hdims[1], kChunkElements);
    chunk[1] = cols;
    chunk[0] = std::clamp<hsize_t>(kChunkElements / cols, 1, hdims[0]);
  }
  H5Pset_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data());
  H5Pset_shuffle(dcpl);
  H5Pset_deflate(dcpl, level);
}

// True when m(i, j) and m(j, i) have the same bits for every i, j (so -0.0 against 0.0, or a NaN, is not symmetric).
// Walks 64 x 64 tiles below the diagonal against their mirror tiles so that both stay in cache.
template <class T> bool bitwise_symmetric(const arma::Mat<T>& m) {
  using Bits = std::conditional_t<sizeof(T) == 8, std::uint64_t, std::uint32_t>;
  if (m.n_rows != m.n_cols) return false;
  const arma::uword n = m.n_rows;
  constexpr arma::uword kTile = 64;
  for (arma::uword j0 = 0; j0 < n; j0 += kTile) {
    const arma::uword j_end = std::min(j0 + kTile, n);
    for (arma::uword i0 = j0; i0 < n; i0 += kTile) {
      const arma::uword i_end = std::min(i0 + kTile, n);
      for (arma::uword j = j0; j < j_end; ++j) {
        for (arma::uword i = std::max(i0, j + 1); i < i_end; ++i)
          if (std::bit_cast<Bits>(m.at(i, j)) != std::bit_cast<Bits>(m.at(j, i))) return false;
      }
    }
  }
  return true;
}

std::string normalise(const std::string& obj_path) {
  std::string out;
  for (const auto& p : split_path(obj_path)) out += "/" + p;
  return out.empty() ? "/" : out;
}

}  // namespace

Hdf5File::Hdf5File(std::filesystem::path path, std::int64_t file_id, bool writable)
    : path_(std::move(path)), file_id_(file_id), writable_(writable) {}

Hdf5File::Hdf5File(Hdf5File&& other) noexcept
    : path_(std::move(other.path_)),
      file_id_(std::exchange(other.file_id_, -1)),
      writable_(other.writable_),
      compression_level_(other.compression_level_) {}

Hdf5File& Hdf5File::operator=(Hdf5File&& other) noexcept {
  if (this != &other) {
    if (file_id_ >= 0) H5Fclose(file_id_);
    path_ = std::move(other.path_);
    file_id_ = std::exchange(other.file_id_, -1);
    writable_ = other.writable_;
    compression_level_ = other.compression_level_;
  }
  return *this;
}

Hdf5File::~Hdf5File() {
  if (file_id_ >= 0) H5Fclose(file_id_);
}

Hdf5File Hdf5File::create(const std::filesystem::path& path) {
  silence_hdf5_errors();
  const hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (id < 0) fail(path, "", "cannot create the HDF5 file", "Check that its directory exists and is writable");
  return Hdf5File(path, id, true);
}

static hid_t open_existing(const std::filesystem::path& path, unsigned flags) {
  silence_hdf5_errors();
  if (!std::filesystem::exists(path))
    throw IoError(path, "file not found (expected an HDF5 file)",
                  "Check the path; relative paths are resolved against " + std::filesystem::current_path().string());
  if (std::filesystem::is_directory(path))
    throw IoError(path, "is a directory, expected an HDF5 file", "Pass the path of the .h5 file itself");
  const htri_t is_hdf5 = H5Fis_hdf5(path.c_str());
  if (is_hdf5 <= 0) {
    H5Eclear2(H5E_DEFAULT);
    throw IoError(path, "not an HDF5 file (no HDF5 signature found)",
                  "Pass a file written by vclab or h5py; a file still being written ends in .partial");
  }
  const hid_t id = H5Fopen(path.c_str(), flags, H5P_DEFAULT);
  if (id < 0)
    fail(path, "", flags == H5F_ACC_RDWR ? "cannot open for reading and writing" : "cannot open for reading",
         "Check its permissions and that no other process holds it open for writing (on network file "
         "systems without locking, set HDF5_USE_FILE_LOCKING=FALSE)");
  return id;
}

Hdf5File Hdf5File::open_read(const std::filesystem::path& path) {
  return Hdf5File(path, open_existing(path, H5F_ACC_RDONLY), false);
}

Hdf5File Hdf5File::open_rw(const std::filesystem::path& path) {
  return Hdf5File(path, open_existing(path, H5F_ACC_RDWR), true);
}

std::int64_t Hdf5File::require_open(const std::string& what) const {
  if (file_id_ < 0) throw IoError(path_, "cannot " + what + ": the file has been closed", "This is a bug in the caller");
  return file_id_;
}

void Hdf5File::write_dataset(const std::string& obj_path_in, const void* data,
                             const std::vector<std::size_t>& dims, Element element) {
  const hid_t file = require_open("write '" + obj_path_in + "'");
  const std::string obj_path = normalise(obj_path_in);
  if (!writable_) fail(path_, obj_path, "cannot write: the file was opened read-only", "Use Hdf5File::open_rw");
  if (obj_path == "/") fail(path_, obj_path, "cannot write a dataset at the root", "Name the dataset");
  const std::vector<std::string> parts = split_path(obj_path);
  std::string parent;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    parent += "/" + parts[i];
    if (is_dataset(parent))
      fail(path_, obj_path, "cannot create it: its parent '" + parent + "' is a dataset, not a group", "Choose another name");
  }
  if (exists(obj_path) && H5Ldelete(file, obj_path.c_str(), H5P_DEFAULT) < 0)
    fail(path_, obj_path, "cannot replace the existing object", "Write to a new file");
  std::vector<hsize_t> hdims(dims.begin(), dims.end());
  std::size_t n_elem = 1;
  for (auto d : dims) n_elem *= d;

  Handle space(H5Screate_simple(static_cast<int>(hdims.size()), hdims.data(), nullptr), H5Sclose);
  Handle lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  if (!space.valid() || !lcpl.valid() || !dcpl.valid()) fail(path_, obj_path, "cannot set up the dataset", "");
  H5Pset_create_intermediate_group(lcpl.get(), 1);

  // The deflate policy: see set_compression in the header.
  const bool deflate = element != Element::u8 && compression_level_ > 0 && n_elem >= kCompressMinElements &&
                       n_elem <= kCompressMaxElements && H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0;
  if (deflate) set_chunked_deflate(dcpl.get(), hdims, static_cast<unsigned>(compression_level_));

  const hid_t file_type = element == Element::u8 ? H5T_STD_U8LE : element == Element::f32 ? H5T_IEEE_F32LE : H5T_IEEE_F64LE;
  const hid_t mem_type = element == Element::u8 ? H5T_NATIVE_UCHAR : element == Element::f32 ? H5T_NATIVE_FLOAT : H5T_NATIVE_DOUBLE;
  Handle dset(H5Dcreate2(file, obj_path.c_str(), file_type, space.get(), lcpl.get(), dcpl.get(), H5P_DEFAULT),
              H5Dclose);
  if (!dset.valid())
    fail(path_, obj_path, "cannot create the dataset", "Check that no parent of the path is a dataset and that the disk is not full");
  if (n_elem > 0 && H5Dwrite(dset.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
    fail(path_, obj_path, "cannot write the dataset's data", "Check free disk space");
}

void Hdf5File::write_matrix(const std::string& obj_path, const arma::mat& m) {
  // (n_cols, n_rows) column-major == (n_rows, n_cols) row-major. (Armadillo's transpose of an
  // empty matrix trips UBSan, hence the guard.)
  const arma::mat row_major = m.n_elem > 0 ? arma::mat(m.t()) : arma::mat();
  write_dataset(obj_path, row_major.memptr(), {m.n_rows, m.n_cols}, Element::f64);
}

void Hdf5File::write_matrix(const std::string& obj_path, const arma::fmat& m) {
  const arma::fmat row_major = m.n_elem > 0 ? arma::fmat(m.t()) : arma::fmat();
  write_dataset(obj_path, row_major.memptr(), {m.n_rows, m.n_cols}, Element::f32);
}

template <class T> bool Hdf5File::write_symmetric(const std::string& obj_path, const arma::Mat<T>& m) {
  if (!bitwise_symmetric(m)) {
    write_matrix(obj_path, m);
    return false;
  }
  const Element element = std::is_same_v<T, float> ? Element::f32 : Element::f64;
  write_dataset(obj_path, m.memptr(), {m.n_rows, m.n_cols}, element);  // m == mᵀ: column-major is row-major
  return true;
}

bool Hdf5File::write_symmetric_matrix(const std::string& obj_path, const arma::mat& m) { return write_symmetric(obj_path, m); }
bool Hdf5File::write_symmetric_matrix(const std::string& obj_path, const arma::fmat& m) { return write_symmetric(obj_path, m); }

void Hdf5File::write_vector(const std::string& obj_path, const arma::vec& v) {
  write_dataset(obj_path, v.memptr(), {v.n_elem}, Element::f64);
}

void Hdf5File::write_vector(const std::string& obj_path, const arma::fvec& v) {
  write_dataset(obj_path, v.memptr(), {v.n_elem}, Element::f32);
}

void Hdf5File::write_bytes(const std::string& obj_path, const std::vector<std::uint8_t>& bytes) {
  write_dataset(obj_path, bytes.data(), {bytes.size()}, Element::u8);
}

std::vector<std::uint8_t> Hdf5File::read_bytes(const std::string& obj_path_in) const {
  const hid_t file = require_open("read '" + obj_path_in + "'");
  const std::string obj_path = normalise(obj_path_in);
  const std::vector<std::size_t> dims = dataset_shape(obj_path);
  Handle dset(H5Dopen2(file, obj_path.c_str(), H5P_DEFAULT), H5Dclose);
  Handle type(H5Dget_type(dset.get()), H5Tclose);
  if (dims.size() != 1 || H5Tget_class(type.get()) != H5T_INTEGER || H5Tget_size(type.get()) != 1)
    fail(path_, obj_path, "expected a 1-D dataset of bytes (uint8)", "The file was not written by vclab");
  std::vector<std::uint8_t> bytes(dims[0]);
  if (!bytes.empty() && H5Dread(dset.get(), H5T_NATIVE_UCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data()) < 0)
    fail(path_, obj_path, "cannot read the dataset's data", "The file may be truncated or corrupt");
  return bytes;
}

std::vector<std::size_t> Hdf5File::dataset_shape(const std::string& obj_path_in) const {
  const hid_t file = require_open("read '" + obj_path_in + "'");
  const std::string obj_path = normalise(obj_path_in);
  if (!is_dataset(obj_path))
    fail(path_, obj_path, exists(obj_path) ? "is a group, expected a dataset" : "dataset not found",
         "List the file's contents with h5ls -r " + path_.string());
  Handle dset(H5Dopen2(file, obj_path.c_str(), H5P_DEFAULT), H5Dclose);
  if (!dset.valid()) fail(path_, obj_path, "cannot open the dataset", "");
  Handle space(H5Dget_space(dset.get()), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) fail(path_, obj_path, "cannot read the dataset's shape", "");
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  return std::vector<std::size_t>(dims.begin(), dims.end());
}

arma::mat Hdf5File::read_matrix(const std::string& obj_path_in) const {
  const hid_t file = require_open("read '" + obj_path_in + "'");
  const std::string obj_path = normalise(obj_path_in);
  const std::vector<std::size_t> dims = dataset_shape(obj_path);
  if (dims.size() > 2)
    fail(path_, obj_path, "has " + std::to_string(dims.size()) + " dimensions, expected 1 or 2", "Reshape it to a matrix before saving");
  Handle dset(H5Dopen2(file, obj_path.c_str(), H5P_DEFAULT), H5Dclose);
  Handle type(H5Dget_type(dset.get()), H5Tclose);
  const H5T_class_t cls = H5Tget_class(type.get());
  if (cls != H5T_FLOAT && cls != H5T_INTEGER)
    fail(path_, obj_path, "has a non-numeric element type, expected float or integer", "Store numbers as float32/float64/int");
  // Row-major (d1, d2) on disk == column-major (d2, d1); a 1-D dataset is a column, a scalar one element.
  arma::mat out(dims.size() == 2 ? dims[1] : dims.size() == 1 ? dims[0] : 1, dims.size() == 2 ? dims[0] : 1, arma::fill::none);
  if (out.n_elem > 0 && H5Dread(dset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.memptr()) < 0)
    fail(path_, obj_path, "cannot read the dataset's data", "The file may be truncated or corrupt");
  if (dims.size() == 2) return out.n_elem > 0 ? arma::mat(out.t()) : arma::mat(dims[0], dims[1]);
  return out;
}

bool Hdf5File::exists(const std::string& obj_path) const {
  const hid_t file = require_open("look up '" + obj_path + "'");
  std::string prefix;
  for (const auto& part : split_path(obj_path)) {
    prefix += "/" + part;
    // H5Oexists_by_name is false for dangling links; an intermediate dataset ends the walk.
    if (H5Lexists(file, prefix.c_str(), H5P_DEFAULT) <= 0 || H5Oexists_by_name(file, prefix.c_str(), H5P_DEFAULT) <= 0) {
      H5Eclear2(H5E_DEFAULT);
      return false;
    }
  }
  return true;
}

// Only the basic fields: the type is all vclab needs (all fields would also decode every storage message).
static H5O_type_t object_type(hid_t file, const std::string& obj_path) {
  H5O_info_t info;
  if (H5Oget_info_by_name2(file, obj_path.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) {
    H5Eclear2(H5E_DEFAULT);
    return H5O_TYPE_UNKNOWN;
  }
  return info.type;
}

bool Hdf5File::is_group(const std::string& obj_path) const {
  return exists(obj_path) && object_type(file_id_, normalise(obj_path)) == H5O_TYPE_GROUP;
}

bool Hdf5File::is_dataset(const std::string& obj_path) const {
  return exists(obj_path) && object_type(file_id_, normalise(obj_path)) == H5O_TYPE_DATASET;
}

std::vector<std::string> Hdf5File::list(const std::string& group_path_in) const {
  const hid_t file = require_open("list '" + group_path_in + "'");
  const std::string group_path = normalise(group_path_in);
  if (!is_group(group_path))
    fail(path_, group_path, exists(group_path) ? "is a dataset, expected a group" : "group not found",
         "List the file's contents with h5ls -r " + path_.string());
  Handle group(H5Gopen2(file, group_path.c_str(), H5P_DEFAULT), H5Gclose);
  if (!group.valid()) fail(path_, group_path, "cannot open the group", "");
  std::vector<std::string> names;
  hsize_t idx = 0;
  const herr_t rc = H5Literate(
      group.get(), H5_INDEX_NAME, H5_ITER_INC, &idx,
      [](hid_t, const char* name, const H5L_info_t*, void* out) -> herr_t {
        static_cast<std::vector<std::string>*>(out)->emplace_back(name);
        return 0;
      },
      &names);
  if (rc < 0) fail(path_, group_path, "cannot list the group's members", "");
  std::sort(names.begin(), names.end());
  return names;
}

void Hdf5File::create_group(const std::string& group_path_in) {
  const hid_t file = require_open("create group '" + group_path_in + "'");
  const std::string group_path = normalise(group_path_in);
  if (is_group(group_path)) return;
  if (!writable_) fail(path_, group_path, "cannot create a group: the file was opened read-only", "");
  Handle lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  Handle group(H5Gcreate2(file, group_path.c_str(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
  if (!group.valid()) fail(path_, group_path, "cannot create the group", "Check that no parent is a dataset");
}

namespace {

// Opens the object an attribute lives on, or throws naming it.
hid_t open_object(const std::filesystem::path& file_path, hid_t file, const std::string& obj_path) {
  const hid_t obj = H5Oopen(file, obj_path.c_str(), H5P_DEFAULT);
  if (obj < 0) fail(file_path, obj_path, "object not found", "List the file's contents with h5ls -r " + file_path.string());
  return obj;
}

}  // namespace

// Writes one scalar attribute, replacing any existing one with the same name.
static void write_scalar_attribute(const std::filesystem::path& file_path, hid_t file, bool writable,
                                   const std::string& obj_path, const std::string& name, hid_t file_type,
                                   hid_t mem_type, const void* value) {
  if (!writable) fail(file_path, obj_path, "cannot set attribute '" + name + "': opened read-only", "");
  Handle obj(open_object(file_path, file, obj_path), H5Oclose);
  if (H5Aexists(obj.get(), name.c_str()) > 0) H5Adelete(obj.get(), name.c_str());
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle attr(H5Acreate2(obj.get(), name.c_str(), file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (!attr.valid() || H5Awrite(attr.get(), mem_type, value) < 0) fail(file_path, obj_path, "cannot write attribute '" + name + "'", "");
}

void Hdf5File::set_attribute(const std::string& obj_path, const std::string& name, double value) {
  const hid_t file = require_open("set attribute '" + name + "'");
  write_scalar_attribute(path_, file, writable_, normalise(obj_path), name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
}

void Hdf5File::set_attribute(const std::string& obj_path, const std::string& name, std::int64_t value) {
  const hid_t file = require_open("set attribute '" + name + "'");
  write_scalar_attribute(path_, file, writable_, normalise(obj_path), name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value);
}

void Hdf5File::set_attribute(const std::string& obj_path, const std::string& name, const std::string& value) {
  const hid_t file = require_open("set attribute '" + name + "'");
  // Variable-length UTF-8: h5py returns it as a Python str.
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  const char* c_str = value.c_str();
  write_scalar_attribute(path_, file, writable_, normalise(obj_path), name, type.get(), type.get(), &c_str);
}

bool Hdf5File::has_attribute(const std::string& obj_path, const std::string& name) const {
  const hid_t file = require_open("look up attribute '" + name + "'");
  if (!exists(obj_path)) return false;
  Handle obj(open_object(path_, file, normalise(obj_path)), H5Oclose);
  const htri_t r = H5Aexists(obj.get(), name.c_str());
  H5Eclear2(H5E_DEFAULT);
  return r > 0;
}

namespace {

// Opens attribute `name` on obj_path, with errors naming the file, object and attribute.
struct OpenAttribute {
  Handle obj;
  Handle attr;
  Handle type;
  OpenAttribute(const std::filesystem::path& file_path, hid_t file, const std::string& obj_path,
                const std::string& name)
      : obj(open_object(file_path, file, obj_path), H5Oclose),
        attr(H5Aexists(obj.get(), name.c_str()) > 0 ? H5Aopen(obj.get(), name.c_str(), H5P_DEFAULT) : -1, H5Aclose),
        type(attr.valid() ? H5Aget_type(attr.get()) : -1, H5Tclose) {
    if (!attr.valid())
      fail(file_path, obj_path, "attribute '" + name + "' not found", "Inspect the attributes with h5dump -A " + file_path.string());
    // Every getter reads one value into one variable: an attribute holding several would overflow it.
    Handle space(H5Aget_space(attr.get()), H5Sclose);
    const hssize_t n = space.valid() ? H5Sget_simple_extent_npoints(space.get()) : -1;
    if (n != 1)
      fail(file_path, obj_path, "attribute '" + name + "' holds " + std::to_string(n) + " values, expected one",
           "The file was not written by vclab, or is damaged");
  }
};

}  // namespace

double Hdf5File::get_attribute_double(const std::string& obj_path_in, const std::string& name) const {
  const std::string obj_path = normalise(obj_path_in);
  OpenAttribute a(path_, require_open("read attribute '" + name + "'"), obj_path, name);
  const H5T_class_t cls = H5Tget_class(a.type.get());
  if (cls != H5T_FLOAT && cls != H5T_INTEGER) fail(path_, obj_path, "attribute '" + name + "' is not a number", "");
  double value = 0;
  if (H5Aread(a.attr.get(), H5T_NATIVE_DOUBLE, &value) < 0) fail(path_, obj_path, "cannot read attribute '" + name + "'", "");
  return value;
}

std::int64_t Hdf5File::get_attribute_int(const std::string& obj_path_in, const std::string& name) const {
  const std::string obj_path = normalise(obj_path_in);
  OpenAttribute a(path_, require_open("read attribute '" + name + "'"), obj_path, name);
  const H5T_class_t cls = H5Tget_class(a.type.get());
  if (cls == H5T_INTEGER) {
    std::int64_t value = 0;
    if (H5Aread(a.attr.get(), H5T_NATIVE_INT64, &value) < 0) fail(path_, obj_path, "cannot read attribute '" + name + "'", "");
    return value;
  }
  if (cls == H5T_FLOAT) {
    double value = 0;
    if (H5Aread(a.attr.get(), H5T_NATIVE_DOUBLE, &value) < 0) fail(path_, obj_path, "cannot read attribute '" + name + "'", "");
    if (value == std::floor(value) && std::abs(value) < 9.007199254740992e15) return static_cast<std::int64_t>(value);
    fail(path_, obj_path, "attribute '" + name + "' is " + std::to_string(value) + ", expected an integer", "");
  }
  fail(path_, obj_path, "attribute '" + name + "' is not a number, expected an integer", "");
}

std::string Hdf5File::get_attribute_string(const std::string& obj_path_in, const std::string& name) const {
  const std::string obj_path = normalise(obj_path_in);
  OpenAttribute a(path_, require_open("read attribute '" + name + "'"), obj_path, name);
  if (H5Tget_class(a.type.get()) != H5T_STRING) fail(path_, obj_path, "attribute '" + name + "' is not a string", "");
  if (H5Tis_variable_str(a.type.get()) > 0) {
    char* raw = nullptr;
    if (H5Aread(a.attr.get(), a.type.get(), &raw) < 0) fail(path_, obj_path, "cannot read attribute '" + name + "'", "");
    std::string value = raw != nullptr ? raw : "";
    H5free_memory(raw);
    return value;
  }
  const std::size_t size = H5Tget_size(a.type.get());
  std::string value(size, '\0');
  if (H5Aread(a.attr.get(), a.type.get(), value.data()) < 0) fail(path_, obj_path, "cannot read attribute '" + name + "'", "");
  value.resize(std::strlen(value.c_str()));  // fixed-length strings are NUL- or space-padded
  while (!value.empty() && value.back() == ' ') value.pop_back();
  return value;
}

std::vector<std::string> Hdf5File::attribute_names(const std::string& obj_path_in) const {
  const std::string obj_path = normalise(obj_path_in);
  Handle obj(open_object(path_, require_open("list attributes"), obj_path), H5Oclose);
  std::vector<std::string> names;
  hsize_t idx = 0;
  H5Aiterate2(
      obj.get(), H5_INDEX_NAME, H5_ITER_INC, &idx,
      [](hid_t, const char* name, const H5A_info_t*, void* out) -> herr_t {
        static_cast<std::vector<std::string>*>(out)->emplace_back(name);
        return 0;
      },
      &names);
  std::sort(names.begin(), names.end());
  return names;
}

void Hdf5File::flush() {
  const hid_t file = require_open("flush");
  if (H5Fflush(file, H5F_SCOPE_GLOBAL) < 0) fail(path_, "", "cannot flush to disk", "Check free disk space");
}

void Hdf5File::close() {
  if (file_id_ < 0) return;
  const hid_t file = std::exchange(file_id_, -1);
  if (H5Fclose(file) < 0) fail(path_, "", "closing the file failed", "Check free disk space");
}

}  // namespace vclab
