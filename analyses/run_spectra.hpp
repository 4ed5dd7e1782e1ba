// Spectra of a run over training (issue 8): singular values of W_l and their outliers beyond the
// Marchenko–Pastur bulk edge of the initial weights; eigenvalues of G_l, ΔG_l, V_l and the AGOP
// (full-mode recordings); principal angles between their top-k eigenspaces — a comparison of whole
// matrices, stronger than the VCL paper's Pearson ρ of diagonals.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "io/recordings.hpp"

namespace vclab {

struct SpectraOptions {
  std::size_t top = 20;  // leading eigenvalues / singular values kept per matrix
  std::size_t k = 10;    // dimension of the compared top eigenspaces
};

struct SpectrumRow {  // one matrix at one checkpoint
  std::size_t layer = 0, checkpoint = 0;
  std::int64_t step = 0;
  double epoch = 0;
  std::string quantity;         // sv (singular values of W_l) | gram | dgram | vc | agop | egop (eigenvalues)
  std::vector<double> leading;  // descending (algebraically largest first for eigenvalues)
  std::size_t n_negative = 0;   // eigenvalues < −1e-12·max|λ| (indefinite V, ΔG); 0 for sv
};

struct OutlierRow {  // singular values of W_l against the bulk of W_l(0)
  std::size_t layer = 0, checkpoint = 0;
  std::int64_t step = 0;
  double epoch = 0;
  double mp_edge = 0;        // σ̂²(√m + √n)², σ̂² = ‖W_l(0)‖²_F/(mn): asymptotic edge of the squared singular values
  double init_max = 0;       // largest squared singular value of W_l(0) (the finite-size edge)
  double top = 0;            // largest squared singular value now
  std::size_t outliers_mp = 0, outliers_init = 0;  // squared singular values above each edge
};

struct AngleRow {  // top-k eigenspaces of two matrices at one checkpoint
  std::size_t layer = 0, checkpoint = 0;
  std::int64_t step = 0;
  double epoch = 0;
  std::string a, b;
  std::size_t k = 0, d = 0;
  double mean_cos2 = 0;       // (1/k) Σ cos² θ_i = ‖Q_aᵀQ_b‖²_F / k: 1 identical, k/d for random subspaces
  double min_angle_deg = 0, max_angle_deg = 0;
};

struct RunSpectra {
  std::vector<SpectrumRow> spectra;
  std::vector<OutlierRow> outliers;
  std::vector<AngleRow> angles;
};

// n_rows × n_cols of W_l for the MP edge: from the root attribute "layer_widths" ("d_0,d_1,...,C")
// when present. Without it (older runs) the outlier rows are omitted.
RunSpectra run_spectra(const RecordingsReader& recordings, const SpectraOptions& options = {});

// Writes <dir>/spectra.csv (long format: layer, checkpoint, step, epoch, quantity, rank, value),
// outliers.csv, subspace_angles.csv (each only when it has rows). Returns the names written.
std::vector<std::string> write_spectra(const std::filesystem::path& dir, const RunSpectra& spectra);

}  // namespace vclab
