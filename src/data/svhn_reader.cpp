// SVHN cropped-digit reader: libmatio loads X and y; X(row, col, c, n) is transposed to vclab's layout.
#include "data/svhn_reader.hpp"

#include <matio.h>

#include <cmath>
#include <memory>
#include <mutex>
#include <string>

#include "data/data_error.hpp"
#include "data/file_bytes.hpp"

namespace vclab {
namespace {

// matio reports problems through a global log hook; keep its last message so errors can quote it
// instead of matio printing to stderr on its own.
std::string& last_matio_message() {
  static thread_local std::string message;
  return message;
}

void capture_matio_log(int /*log_level*/, char* message) { last_matio_message() = message ? message : ""; }

void install_matio_log() {
  static std::once_flag once;
  std::call_once(once, [] { Mat_LogInitFunc("vclab", capture_matio_log); });
}

std::string matio_detail() {
  const std::string& m = last_matio_message();
  return m.empty() ? std::string() : " (matio: " + m + ")";
}

struct MatCloser {
  void operator()(mat_t* mat) const { Mat_Close(mat); }
};
struct VarFreer {
  void operator()(matvar_t* var) const { Mat_VarFree(var); }
};

std::string dims_text(const matvar_t* var) {
  std::string text = "(";
  for (int i = 0; i < var->rank; ++i) text += (i ? ", " : "") + std::to_string(var->dims[i]);
  return text + ")";
}

// Value k of a real numeric matio array as double (labels may be stored as double or integers).
bool numeric_at(const matvar_t* var, std::size_t k, double& value) {
  const void* d = var->data;
  switch (var->class_type) {
    case MAT_C_DOUBLE: value = static_cast<const double*>(d)[k]; return true;
    case MAT_C_SINGLE: value = static_cast<const float*>(d)[k]; return true;
    case MAT_C_UINT8: value = static_cast<const std::uint8_t*>(d)[k]; return true;
    case MAT_C_INT8: value = static_cast<const std::int8_t*>(d)[k]; return true;
    case MAT_C_UINT16: value = static_cast<const std::uint16_t*>(d)[k]; return true;
    case MAT_C_INT16: value = static_cast<const std::int16_t*>(d)[k]; return true;
    case MAT_C_UINT32: value = static_cast<const std::uint32_t*>(d)[k]; return true;
    case MAT_C_INT32: value = static_cast<const std::int32_t*>(d)[k]; return true;
    case MAT_C_UINT64: value = static_cast<double>(static_cast<const std::uint64_t*>(d)[k]); return true;
    case MAT_C_INT64: value = static_cast<double>(static_cast<const std::int64_t*>(d)[k]); return true;
    default: return false;
  }
}

void require_svhn_x_shape(const matvar_t* x, const std::string& file) {
  if (x->class_type != MAT_C_UINT8 || x->isComplex || x->rank != 4 || x->dims[0] != 32 || x->dims[1] != 32 ||
      x->dims[2] != 3 || x->dims[3] == 0) {
    throw DataError(file + ": expected X as real uint8 of shape (32, 32, 3, N>0), found class " +
                    std::to_string(static_cast<int>(x->class_type)) + " with shape " + dims_text(x) +
                    ". Use the cropped-digits files train_32x32.mat / test_32x32.mat.");
  }
}

void require_svhn_y_shape(const matvar_t* y, std::size_t n, const std::string& file) {
  const bool column_or_row = y->rank == 2 && ((y->dims[0] == n && y->dims[1] == 1) || (y->dims[0] == 1 && y->dims[1] == n));
  const bool numeric = y->class_type >= MAT_C_DOUBLE && y->class_type <= MAT_C_UINT64;  // the classes numeric_at reads
  if (!column_or_row || y->isComplex || !numeric)
    throw DataError(file + ": expected y as a real numeric (" + std::to_string(n) + ", 1) array matching X's " +
                    std::to_string(n) + " images, found class " + std::to_string(static_cast<int>(y->class_type)) +
                    " with shape " + dims_text(y) + ".");
}

// X (32, 32, 3, N) uint8 column-major and y (N labels 1..10, 10 = digit 0) as vclab's images: channel-major rows.
RawImages svhn_images(const matvar_t* x, const matvar_t* y, const std::string& file) {
  constexpr std::size_t kH = 32, kW = 32, kC = 3, kDim = kC * kH * kW;
  const std::size_t n = x->dims[3];
  RawImages images{.channels = kC, .height = kH, .width = kW, .pixels = std::vector<std::uint8_t>(n * kDim),
                   .labels = std::vector<std::uint8_t>(n)};
  const auto* src = static_cast<const std::uint8_t*>(x->data);
  for (std::size_t i = 0; i < n; ++i) {
    double label = 0;
    numeric_at(y, i, label);
    if (!(label >= 1 && label <= 10) || label != std::floor(label))
      throw DataError(file + ": label y(" + std::to_string(i + 1) + ") is " + std::to_string(label) +
                      ", expected an integer in 1..10 (10 means digit 0). Corrupt or different file?");
    images.labels[i] = static_cast<std::uint8_t>(static_cast<int>(label) % 10);
    // X(row, col, c, i) sits at row + 32 col + 1024 c + 3072 i (column-major); vclab wants c*1024 + row*32 + col.
    const std::uint8_t* image = src + i * kDim;
    std::uint8_t* dst = images.pixels.data() + i * kDim;
    for (std::size_t c = 0; c < kC; ++c)
      for (std::size_t row = 0; row < kH; ++row)
        for (std::size_t col = 0; col < kW; ++col)
          dst[c * kH * kW + row * kW + col] = image[row + kH * col + kH * kW * c];
  }
  return images;
}

}  // namespace

RawImages read_svhn_mat(const std::filesystem::path& path) {
  const std::string file = path.string();
  require_readable_file(path);
  if (std::filesystem::file_size(path) == 0)
    throw DataError(file + ": empty file; expected an SVHN .mat file (train_32x32.mat / test_32x32.mat). "
                    "Re-download it.");
  install_matio_log();
  last_matio_message().clear();
  std::unique_ptr<mat_t, MatCloser> mat(Mat_Open(file.c_str(), MAT_ACC_RDONLY));
  if (!mat)
    throw DataError(file + ": expected a MATLAB .mat file, matio could not open it" + matio_detail() +
                    ". Re-download it (and do not gzip it: SVHN files are read as plain .mat).");

  // Shapes first, from the headers alone (Mat_VarReadInfo), so a corrupt header declaring billions of
  // images is rejected against the file size before matio allocates anything for the data.
  const std::uintmax_t file_size = std::filesystem::file_size(path);
  std::unique_ptr<matvar_t, VarFreer> x_info(Mat_VarReadInfo(mat.get(), "X"));
  if (!x_info)
    throw DataError(file + ": expected a variable X (32x32x3xN uint8 images), found none" + matio_detail() +
                    ". Is this the cropped-digits (Format 2) file, complete?");
  require_svhn_x_shape(x_info.get(), file);
  constexpr std::size_t kMaxDeflateRatio = 1032;  // zlib's bound: MAT v5 variables may be compressed
  if (static_cast<unsigned __int128>(x_info->dims[3]) * 3072 > static_cast<unsigned __int128>(file_size) * kMaxDeflateRatio)
    throw DataError(file + ": X declares " + std::to_string(x_info->dims[3]) + " images, more than a file of " +
                    std::to_string(file_size) + " bytes can hold even compressed (corrupt header; re-download it).");
  std::unique_ptr<matvar_t, VarFreer> y_info(Mat_VarReadInfo(mat.get(), "y"));
  if (!y_info) throw DataError(file + ": expected a variable y (N x 1 labels 1..10), found none" + matio_detail() + ".");
  require_svhn_y_shape(y_info.get(), x_info->dims[3], file);

  std::unique_ptr<matvar_t, VarFreer> x(Mat_VarRead(mat.get(), "X"));
  if (!x || !x->data)
    throw DataError(file + ": expected a variable X (32x32x3xN uint8 images), found none or unreadable data" +
                    matio_detail() + ". Is this the cropped-digits (Format 2) file, complete?");
  require_svhn_x_shape(x.get(), file);
  const std::size_t n = x->dims[3];
  constexpr std::size_t kDim = 3 * 32 * 32;  // C·H·W bytes per image
  if (x->nbytes < n * kDim)
    throw DataError(file + ": X declares " + std::to_string(n) + " images (" + std::to_string(n * kDim) +
                    " bytes) but holds " + std::to_string(x->nbytes) + " bytes (truncated file; re-download it).");

  std::unique_ptr<matvar_t, VarFreer> y(Mat_VarRead(mat.get(), "y"));
  if (!y || !y->data)
    throw DataError(file + ": expected a variable y (N x 1 labels 1..10), found none or unreadable data" +
                    matio_detail() + ".");
  require_svhn_y_shape(y.get(), n, file);
  double probe = 0;
  if (y->nbytes < n * Mat_SizeOfClass(y->class_type) || !numeric_at(y.get(), 0, probe))
    throw DataError(file + ": y declares " + std::to_string(n) + " labels but holds " + std::to_string(y->nbytes) +
                    " bytes (truncated file; re-download it).");

  return svhn_images(x.get(), y.get(), file);
}

}  // namespace vclab
