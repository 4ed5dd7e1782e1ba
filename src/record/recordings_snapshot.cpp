// RecordingsSnapshot: the whole .partial recordings file as one byte dataset of the checkpoint.
#include "record/recordings_snapshot.hpp"

#include "io/state_archive.hpp"

namespace vclab {

template <class T> void RecordingsSnapshot<T>::save_state(StateArchive& file, const std::string& prefix) const {
  file.write_bytes(prefix + "/recordings", writer_.snapshot());
}

template <class T> void RecordingsSnapshot<T>::load_state(const StateArchive& file, const std::string& prefix) {
  writer_.restore(file.read_bytes(prefix + "/recordings"));
}

template class RecordingsSnapshot<float>;
template class RecordingsSnapshot<double>;

}  // namespace vclab
