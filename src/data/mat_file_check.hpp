// Structural pre-check of MATLAB level-5 .mat files before libmatio reads them: every data element's declared
// size must fit in what contains it. libmatio 1.5 allocates whatever a damaged header declares (found by fuzzing).
#pragma once
#include <filesystem>

namespace vclab {

// Requires a level-5 or v7.3 header (DataError otherwise; level 4 is not an SVHN format), then walks the
// top-level data elements of a level-5 file (v7.3 files are HDF5 and are left to libmatio) and, for
// each variable, its array-flags, dimensions and name sub-elements (inflating the first bytes of compressed
// variables). Throws DataError naming the file and the byte offset of the first element that claims more
// bytes than the file (or its enclosing element) holds.
void check_mat5_structure(const std::filesystem::path& path);

}  // namespace vclab
