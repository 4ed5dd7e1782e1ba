// RecordingWriter / RecordingsReader over Hdf5File. See recordings.hpp for the layout.
#include "io/recordings.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <system_error>

#include "io/io_error.hpp"
#include "io/sha256_sidecar.hpp"

namespace vclab {

namespace {

constexpr std::string_view kLayerPrefix = "layer";

// Parses a non-empty all-digit string; nullopt otherwise.
std::optional<std::size_t> parse_index(const std::string& s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  std::size_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::size_t>(c - '0');
  }
  return v;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "(none)" : out;
}

}  // namespace

std::string recording_path(const std::string& quantity, std::size_t layer, std::size_t checkpoint) {
  char k[32];
  std::snprintf(k, sizeof k, "%06zu", checkpoint);
  return "/" + quantity + "/" + std::string(kLayerPrefix) + std::to_string(layer) + "/" + k;
}

// ---------------------------------------------------------------------------------------- writer

RecordingWriter::RecordingWriter(const std::filesystem::path& final_path, StoredPrecision precision)
    : final_path_(final_path), partial_path_(final_path.string() + ".partial"), precision_(precision) {
  file_.emplace(Hdf5File::create(partial_path_));
  file_->set_attribute("/", "format", std::string("vclab-recordings"));
  file_->set_attribute("/", "format_version", std::int64_t{1});
}

Hdf5File& RecordingWriter::file() {
  if (closed_ || !file_ || !file_->is_open())
    throw IoError(final_path_, "the recording writer is already closed", "Write every recording before close()");
  return *file_;
}

void RecordingWriter::add(const std::string& quantity, std::size_t layer, std::size_t checkpoint,
                          const CheckpointMeta& meta, const arma::mat& data, bool diag, Symmetry symmetry) {
  if (quantity.empty() || quantity.find('/') != std::string::npos || quantity == "." || quantity == "..")
    throw std::invalid_argument("RecordingWriter::add: quantity name '" + quantity +
                                "' must be non-empty and contain no '/'");
  if (diag && data.n_cols != 1)
    throw std::invalid_argument("RecordingWriter::add: diag-mode data for " + quantity + " must be (d, 1), got (" +
                                std::to_string(data.n_rows) + ", " + std::to_string(data.n_cols) + ")");
  Hdf5File& f = file();
  const std::string path = recording_path(quantity, layer, checkpoint);
  const bool f32 = precision_ == StoredPrecision::Float32;
  if (diag) {
    if (f32) f.write_vector(path, arma::conv_to<arma::fvec>::from(data.col(0)));
    else f.write_vector(path, arma::vec(data.col(0)));
  } else if (symmetry == Symmetry::symmetric) {
    if (f32) f.write_symmetric_matrix(path, arma::conv_to<arma::fmat>::from(data));
    else f.write_symmetric_matrix(path, data);
  } else {
    if (f32) f.write_matrix(path, arma::conv_to<arma::fmat>::from(data));
    else f.write_matrix(path, data);
  }
  f.set_attribute(path, "step", meta.step);
  f.set_attribute(path, "epoch", meta.epoch);
  f.set_attribute(path, "lr", meta.lr);
  f.set_attribute(path, "mode", std::string(diag ? "diag" : "full"));
}

void RecordingWriter::set_root_attribute(const std::string& name, const std::string& value) {
  file().set_attribute("/", name, value);
}
void RecordingWriter::set_root_attribute(const std::string& name, double value) { file().set_attribute("/", name, value); }
void RecordingWriter::set_root_attribute(const std::string& name, std::int64_t value) {
  file().set_attribute("/", name, value);
}

void RecordingWriter::flush() { file().flush(); }

std::vector<std::uint8_t> RecordingWriter::snapshot() {
  file().flush();
  std::ifstream in(partial_path_, std::ios::binary);
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) throw IoError(partial_path_, "cannot read it back for a training checkpoint", "Check the disk");
  return bytes;
}

void RecordingWriter::restore(const std::vector<std::uint8_t>& bytes) {
  file().close();
  {
    std::ofstream out(partial_path_, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!out.good()) throw IoError(partial_path_, "cannot write the recordings restored from a checkpoint", "Check free disk space");
  }
  file_.emplace(Hdf5File::open_rw(partial_path_));
}

void RecordingWriter::close() {
  if (closed_) return;
  file().close();
  closed_ = true;
  write_sha256_sidecar(final_path_, partial_path_);
  std::error_code ec;
  std::filesystem::rename(partial_path_, final_path_, ec);
  if (ec) {
    throw IoError(final_path_, "cannot rename the finished " + partial_path_.string() + " onto it (" + ec.message() + ")",
                  "The data is complete in the .partial file; rename it by hand");
  }
}

// ---------------------------------------------------------------------------------------- reader

struct RecordingsReader::Index {
  std::map<std::string, std::map<std::size_t, std::vector<std::size_t>>> entries;  // quantity -> layer -> ks
};

RecordingsReader RecordingsReader::load(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) {
    const std::filesystem::path partial = path.string() + ".partial";
    if (std::filesystem::exists(partial))
      throw IoError(path, "file not found, but " + partial.string() + " exists (the run did not finish)",
                    "Pass the .partial file to read what was recorded up to the last flush");
    throw IoError(path, "file not found (expected an HDF5 recording file)", "Check the path");
  }
  // A finished recording must match its sidecar; a .partial one (a run still writing, or killed) has none.
  if (path.extension() != ".partial") verify_sha256_sidecar(path, Sidecar::required);
  auto file = std::make_shared<Hdf5File>(Hdf5File::open_read(path));
  auto index = std::make_shared<Index>();
  for (const auto& quantity : file->list("/")) {
    const std::string qpath = "/" + quantity;
    if (!file->is_group(qpath)) continue;  // e.g. a dataset someone added at the root
    auto& layers = index->entries[quantity];
    for (const auto& layer_name : file->list(qpath)) {
      const auto layer = layer_name.rfind(kLayerPrefix, 0) == 0 ? parse_index(layer_name.substr(kLayerPrefix.size())) : std::nullopt;
      if (!layer || !file->is_group(qpath + "/" + layer_name)) {
        throw IoError(path, "unexpected object '" + qpath + "/" + layer_name + "'; expected groups layer<l>",
                      "The file is not a vclab recording (layout /<quantity>/layer<l>/<000000>)");
      }
      auto& ks = layers[*layer];
      for (const auto& k_name : file->list(qpath + "/" + layer_name)) {
        const auto k = parse_index(k_name);
        // Names must be exactly as recording_path() writes them ("000012", not "12").
        if (!k || recording_path(quantity, *layer, *k) != qpath + "/" + layer_name + "/" + k_name) {
          throw IoError(path, "unexpected object '" + qpath + "/" + layer_name + "/" + k_name +
                                  "'; expected checkpoint datasets named by 6 digits",
                        "The file is not a vclab recording (layout /<quantity>/layer<l>/<000000>)");
        }
        ks.push_back(*k);
      }
      std::sort(ks.begin(), ks.end());
    }
  }
  RecordingsReader reader;
  reader.file_ = std::move(file);
  reader.index_ = std::move(index);
  return reader;
}

const std::filesystem::path& RecordingsReader::path() const { return file_->path(); }

std::vector<std::string> RecordingsReader::quantities() const {
  std::vector<std::string> out;
  for (const auto& [q, layers] : index_->entries) out.push_back(q);
  return out;
}

bool RecordingsReader::has(const std::string& quantity) const { return index_->entries.count(quantity) > 0; }

std::vector<std::size_t> RecordingsReader::layers(const std::string& quantity) const {
  const auto it = index_->entries.find(quantity);
  if (it == index_->entries.end()) {
    throw IoError(path(), "no quantity '" + quantity + "' recorded; available: " + join(quantities()),
                  "Record it during training (vclab train --record " + quantity + ")");
  }
  std::vector<std::size_t> out;
  for (const auto& [l, ks] : it->second) out.push_back(l);
  return out;
}

const std::vector<std::size_t>& RecordingsReader::checkpoint_list(const std::string& quantity, std::size_t layer) const {
  const std::vector<std::size_t> ls = layers(quantity);  // throws for a missing quantity
  const auto& by_layer = index_->entries.at(quantity);
  const auto it = by_layer.find(layer);
  if (it == by_layer.end()) {
    std::vector<std::string> names;
    for (auto l : ls) names.push_back(std::to_string(l));
    throw IoError(path(), "quantity '" + quantity + "' has no layer " + std::to_string(layer) +
                              "; recorded layers: " + join(names),
                  "Choose one of the recorded layers");
  }
  return it->second;
}

std::vector<std::size_t> RecordingsReader::checkpoints(const std::string& quantity, std::size_t layer) const {
  return checkpoint_list(quantity, layer);
}

Recording RecordingsReader::read(const std::string& quantity, std::size_t layer, std::size_t checkpoint) const {
  const std::string obj = recording_path(quantity, layer, checkpoint);
  Recording r;
  r.quantity = quantity;
  r.layer = layer;
  r.checkpoint = checkpoint;
  r.data = file_->read_matrix(obj);
  r.meta.step = file_->get_attribute_int(obj, "step");
  r.meta.epoch = file_->get_attribute_double(obj, "epoch");
  r.meta.lr = file_->get_attribute_double(obj, "lr");
  if (file_->has_attribute(obj, "mode")) {
    const std::string mode = file_->get_attribute_string(obj, "mode");
    if (mode != "diag" && mode != "full")
      throw IoError(path(), "object '" + obj + "': attribute mode is '" + mode + "', expected 'diag' or 'full'",
                    "Fix the attribute");
    r.diag = mode == "diag";
  } else {
    r.diag = file_->dataset_shape(obj).size() == 1;  // files written by hand: infer from the rank
  }
  return r;
}

std::vector<Recording> RecordingsReader::series(const std::string& quantity, std::size_t layer) const {
  std::vector<Recording> out;
  for (auto k : checkpoint_list(quantity, layer)) out.push_back(read(quantity, layer, k));
  return out;
}

Recording RecordingsReader::last(const std::string& quantity, std::size_t layer) const {
  const auto& ks = checkpoint_list(quantity, layer);
  if (ks.empty())
    throw IoError(path(), "quantity '" + quantity + "' layer " + std::to_string(layer) + " has no checkpoints",
                  "The run stopped before the first checkpoint");
  return read(quantity, layer, ks.back());
}

std::optional<Recording> RecordingsReader::at(const std::string& quantity, std::size_t layer,
                                              std::size_t checkpoint) const {
  const auto& ks = checkpoint_list(quantity, layer);
  if (!std::binary_search(ks.begin(), ks.end(), checkpoint)) return std::nullopt;
  return read(quantity, layer, checkpoint);
}

bool RecordingsReader::has_root_attribute(const std::string& name) const { return file_->has_attribute("/", name); }
double RecordingsReader::root_attribute_double(const std::string& name) const {
  return file_->get_attribute_double("/", name);
}
std::int64_t RecordingsReader::root_attribute_int(const std::string& name) const {
  return file_->get_attribute_int("/", name);
}
std::vector<std::size_t> RecordingsReader::root_attribute_sizes(const std::string& name) const {
  std::vector<std::size_t> sizes;
  if (!has_root_attribute(name)) return sizes;
  std::stringstream ss(root_attribute_string(name));
  std::string item;
  while (std::getline(ss, item, ',')) {
    try {
      sizes.push_back(std::stoul(item));
    } catch (const std::exception&) {
      throw IoError(path(), "root attribute '" + name + "' is not a comma-separated list of sizes: '" + root_attribute_string(name) + "'");
    }
  }
  return sizes;
}

std::string RecordingsReader::root_attribute_string(const std::string& name) const {
  return file_->get_attribute_string("/", name);
}

}  // namespace vclab
