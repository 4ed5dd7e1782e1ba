// SVHN "cropped digits" reader (http://ufldl.stanford.edu/housenumbers/, Format 2) through libmatio:
// X uint8 (32, 32, 3, N) in MATLAB column-major order X(row, col, channel, n); y double (N, 1)
// with labels 1..10 where 10 means the digit 0.
#pragma once
#include <filesystem>

#include "data/raw_images.hpp"

namespace vclab {

// Reads train_32x32.mat / test_32x32.mat (plain .mat, v5 or v7.3). Images come back in vclab's
// flattening c*H*W + row*W + col; labels 0..9 (10 -> 0). Throws DataError naming the file when it
// is missing, not a .mat file, lacks X or y, or holds shapes, types or labels other than above.
// The .mat file is trusted input: libmatio parses it and believes the sizes it declares, so a
// damaged or hostile file can make it allocate or read out of bounds (README, "Trusted input";
// `vclab datasets verify` compares the files with their published MD5s).
RawImages read_svhn_mat(const std::filesystem::path& path);

}  // namespace vclab
