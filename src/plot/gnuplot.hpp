// Low-level figure renderer: writes a figure's data files and a self-contained gnuplot script,
// then runs gnuplot (an external program) to render <name>.pdf, <name>.png and <name>.svg.
#pragma once
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "plot/figure_size.hpp"

namespace vclab {

// True when a gnuplot executable is found ($VCLAB_GNUPLOT if set, else `gnuplot` on $PATH).
bool gnuplot_available();

// Writes <dir>/<file> for every (file name, contents) in data_files, then <dir>/<name>.gp (a
// standard preamble choosing the terminal from the variable `fmt`, the size, font and a
// colour-blind-safe line palette, followed by script_body), then renders <name>.pdf/.png/.svg by
// running `gnuplot -e "fmt='pdf'" <name>.gp` (etc.) in dir. The script must read its data by the
// relative names given here. Every file appears complete or not at all (written under a temporary
// name, then renamed). Throws std::invalid_argument for a bad name, std::runtime_error when
// gnuplot is missing (the data and script are still written) or fails (message has its stderr
// and the script path).
void render_figure(const std::filesystem::path& dir, const std::string& name,
                   const std::vector<std::pair<std::string, std::string>>& data_files,
                   const std::string& script_body, FigureSize size);

// The standard preamble render_figure puts before script_body (exposed for tests and reuse).
std::string gnuplot_preamble(const std::string& name, FigureSize size);

// Escapes text for gnuplot's enhanced-text mode so it prints literally: _ ^ { } @ & ~ and
// backslash get a backslash. UTF-8 (ρ, Δ, γ) passes through unchanged.
std::string escape_enhanced(const std::string& text);

// A single-quoted gnuplot string literal whose enhanced-text rendering is exactly `text`
// (escape_enhanced plus '' for each single quote; a '\n' becomes a line break through gnuplot's
// string concatenation). Use it for titles, labels and key entries.
std::string gnuplot_text(const std::string& text);

// A number for a data file: shortest round-trip form; any non-finite value as NaN, which the
// preamble declares missing (gnuplot skips it and breaks lines there).
std::string gnuplot_number(double value);

}  // namespace vclab
