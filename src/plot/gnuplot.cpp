// Low-level figure renderer: data + self-contained gnuplot script + pdf/png/svg renders.
// gnuplot runs as a child process (fork/exec, no shell) in the figure's directory.
#include "plot/gnuplot.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "io/atomic_write.hpp"
#include "io/whole_file.hpp"

namespace vclab {
namespace {

namespace fs = std::filesystem;

// Figure names become file names and appear inside a gnuplot string: keep them plain.
void check_name(const std::string& name, const char* what) {
  if (name.empty()) throw std::invalid_argument(std::string(what) + " must not be empty");
  for (const char ch : name) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '.';
    if (!ok) throw std::invalid_argument(std::string(what) + " '" + name + "' may only contain letters, digits, '_', '-' and '.'");
  }
  if (name.front() == '.') throw std::invalid_argument(std::string(what) + " must not start with '.'");
}

std::string gnuplot_executable() {
  if (const char* env = std::getenv("VCLAB_GNUPLOT"); env != nullptr && *env != '\0')
    return ::access(env, X_OK) == 0 ? std::string(env) : std::string();
  const char* path_env = std::getenv("PATH");
  if (path_env == nullptr) return {};
  std::stringstream path(path_env);
  std::string entry;
  while (std::getline(path, entry, ':')) {
    if (entry.empty()) continue;
    const fs::path candidate = fs::path(entry) / "gnuplot";
    if (::access(candidate.c_str(), X_OK) == 0 && !fs::is_directory(candidate)) return candidate.string();
  }
  return {};
}

struct ProcessResult {
  int exit_code = -1;
  std::string stderr_text;
};

// Runs `argv` in `cwd` with stdout discarded; returns exit code and everything written to stderr.
ProcessResult run_process(const std::vector<std::string>& argv, const fs::path& cwd) {
  // Everything the child needs is prepared before fork: allocating after fork is unsafe.
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::array<int, 2> pipe_fds{};
  if (::pipe2(pipe_fds.data(), O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe failed: ") + std::strerror(errno));
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
  }
  if (pid == 0) {  // child: only async-signal-safe calls until exec
    ::dup2(pipe_fds[1], STDERR_FILENO);
    const int devnull = ::open("/dev/null", O_RDWR);
    if (devnull >= 0) {
      ::dup2(devnull, STDOUT_FILENO);
      ::dup2(devnull, STDIN_FILENO);
    }
    if (::chdir(cwd.c_str()) != 0) {
      static const char msg[] = "vclab: cannot chdir into the figure directory\n";
      [[maybe_unused]] auto n = ::write(STDERR_FILENO, msg, sizeof msg - 1);
      ::_exit(126);
    }
    ::execv(args[0], args.data());
    static const char msg[] = "vclab: cannot execute gnuplot\n";
    [[maybe_unused]] auto n = ::write(STDERR_FILENO, msg, sizeof msg - 1);
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  ProcessResult result;
  std::array<char, 4096> buffer{};
  for (;;) {
    const ssize_t n = ::read(pipe_fds[0], buffer.data(), buffer.size());
    if (n > 0)
      result.stderr_text.append(buffer.data(), static_cast<std::size_t>(n));
    else if (n == 0 || errno != EINTR)
      break;
  }
  ::close(pipe_fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status))
    result.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status))
    result.exit_code = 128 + WTERMSIG(status);
  return result;
}

// gnuplot's svg terminal embeds `with image` data as a small PNG that browsers would smooth
// when scaling it up; heatmap pixels are data, so ask for nearest-neighbour scaling instead.
void mark_svg_images_pixelated(const fs::path& svg_path) {
  std::string svg = read_whole_file(svg_path, "SVG file");
  const std::string tag = "<image ";
  const std::string marked = "<image style='image-rendering:crisp-edges;image-rendering:pixelated' ";
  std::size_t changed = 0;
  for (std::size_t pos = svg.find(tag); pos != std::string::npos; pos = svg.find(tag, pos + marked.size())) {
    svg.replace(pos, tag.size(), marked);
    ++changed;
  }
  if (changed == 0) return;
  std::ofstream out(svg_path, std::ios::binary | std::ios::trunc);
  out << svg;
  if (!out) throw std::runtime_error("cannot rewrite " + svg_path.string());
}

std::string format_inches(double value) {
  std::ostringstream s;
  s.precision(10);
  s << value;
  return s.str();
}

}  // namespace

bool gnuplot_available() { return !gnuplot_executable().empty(); }

std::string escape_enhanced(const std::string& text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (const char ch : text) {
    switch (ch) {
      case '_': case '^': case '{': case '}': case '@': case '&': case '~': case '\\':
        out += '\\';
        break;
      default:
        break;
    }
    out += ch;
  }
  return out;
}

std::string gnuplot_text(const std::string& text) {
  // Inside single quotes gnuplot keeps backslashes literally, so the enhanced-text escapes
  // survive; the only special character left is the quote itself, written twice. A line break
  // becomes the string expression '...'."\n".'...'.
  std::string out = "'";
  for (const char ch : escape_enhanced(text)) {
    if (ch == '\n') {
      out += "'.\"\\n\".'";
      continue;
    }
    if (ch == '\'') out += '\'';
    out += ch;
  }
  out += '\'';
  return out;
}

std::string gnuplot_number(double value) {
  if (!std::isfinite(value)) return "NaN";
  std::array<char, 32> buffer{};
  const auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  if (ec != std::errc()) throw std::runtime_error("gnuplot_number: formatting failed");
  return std::string(buffer.data(), end);
}

std::string gnuplot_preamble(const std::string& name, FigureSize size) {
  check_name(name, "figure name");
  if (!(size.height_in > 0.0) || size.height_in > 30.0) throw std::invalid_argument("figure height must be in (0, 30] inches");
  if (!(size.font_pt >= 3.0) || size.font_pt > 40.0) throw std::invalid_argument("figure font size must be in [3, 40] points");
  std::ostringstream s;
  s << "# vclab figure '" << name << "': a self-contained gnuplot script; it reads its data\n"
    << "# files by relative name, so run it from this directory:\n"
    << "#   gnuplot -e \"fmt='pdf'\" " << name << ".gp      (fmt: pdf | png | svg)\n"
    << "# Restyle with more -e settings: width_in, height_in, font_name, font_pt, dpi (png), out.\n"
    << "if (!exists(\"fmt\")) fmt = 'pdf'\n"
    << "if (!exists(\"width_in\")) width_in = " << format_inches(size.width_in()) << "\n"
    << "if (!exists(\"height_in\")) height_in = " << format_inches(size.height_in) << "\n"
    << "if (!exists(\"font_name\")) font_name = 'DejaVu Sans'\n"
    << "if (!exists(\"font_pt\")) font_pt = " << format_inches(size.font_pt) << "\n"
    << "if (!exists(\"dpi\")) dpi = " << format_inches(kPngDpi) << "\n"
    << "if (!exists(\"out\")) out = '" << name << ".'.fmt\n"
    << "set encoding utf8\n"
    << "font_spec = sprintf('%s,%g', font_name, font_pt)\n"
    << "small_font = sprintf(',%g', font_pt - 1)\n"
    << "# Font sizes are true points of the physical size: the cairo terminals draw a font of size s\n"
    << "# as s px at 96 px per inch, hence fontscale 0.75 (pdf, 72 pt per inch) and dpi/96 (png);\n"
    << "# svg sizes are in px at 96 px per inch, so 1 pt = 96/72 px.\n"
    << "if (fmt eq 'pdf') {\n"
    << "  set terminal pdfcairo enhanced color rounded font font_spec fontscale 0.75 linewidth 1 \\\n"
    << "      size width_in, height_in\n"
    << "} else {\n"
    << "  if (fmt eq 'png') {\n"
    << "    set terminal pngcairo enhanced color truecolor rounded font font_spec \\\n"
    << "        fontscale dpi/96.0 linewidth dpi/144.0 size int(width_in*dpi+0.5), int(height_in*dpi+0.5)\n"
    << "  } else {\n"
    << "    if (fmt eq 'svg') {\n"
    << "      set terminal svg enhanced rounded font font_spec fontscale 96.0/72 linewidth 96.0/144 \\\n"
    << "          size int(width_in*96+0.5), int(height_in*96+0.5) fixed background rgb 'white'\n"
    << "    } else {\n"
    << "      print sprintf(\"unknown fmt '%s': use pdf, png or svg\", fmt)\n"
    << "      exit status 2\n"
    << "    }\n"
    << "  }\n"
    << "}\n"
    << "set output out\n"
    << "set datafile missing 'NaN'\n"
    << "# Okabe-Ito palette: distinguishable with every common colour-vision deficiency.\n"
    << "set linetype 1 lc rgb '#0072B2' lw 1.5 pt 7 ps 0.5 dt solid\n"
    << "set linetype 2 lc rgb '#D55E00' lw 1.5 pt 5 ps 0.5 dt solid\n"
    << "set linetype 3 lc rgb '#009E73' lw 1.5 pt 9 ps 0.6 dt solid\n"
    << "set linetype 4 lc rgb '#CC79A7' lw 1.5 pt 13 ps 0.6 dt solid\n"
    << "set linetype 5 lc rgb '#E69F00' lw 1.5 pt 11 ps 0.6 dt solid\n"
    << "set linetype 6 lc rgb '#56B4E9' lw 1.5 pt 15 ps 0.6 dt solid\n"
    << "set linetype 7 lc rgb '#000000' lw 1.5 pt 3 ps 0.6 dt solid\n"
    << "set linetype 8 lc rgb '#999999' lw 1.5 pt 1 ps 0.6 dt solid\n"
    << "set linetype cycle 8\n"
    << "set border 3 lw 0.8 lc rgb '#333333'\n"
    << "set tics nomirror out scale 0.5 font small_font textcolor rgb '#333333'\n"
    << "set key noautotitle\n"
    << "set title font font_spec\n"
    << "# ---- figure body ----\n";
  return s.str();
}

void render_figure(const std::filesystem::path& dir, const std::string& name,
                   const std::vector<std::pair<std::string, std::string>>& data_files, const std::string& script_body, FigureSize size) {
  const std::string preamble = gnuplot_preamble(name, size);  // validates name and size
  for (const auto& [file_name, contents] : data_files) check_name(file_name, "data file name");
  fs::create_directories(dir);
  for (const auto& [file_name, contents] : data_files) write_file_atomically(dir / file_name, contents);
  const fs::path script_path = dir / (name + ".gp");
  write_file_atomically(script_path, preamble + script_body + "\nunset output\n");

  const std::string gnuplot = gnuplot_executable();
  if (gnuplot.empty())
    throw std::runtime_error("gnuplot not found (looked for $VCLAB_GNUPLOT, then `gnuplot` on $PATH); install it with "
                             "`apt-get install gnuplot-nox`. The figure's data and script were written to " + script_path.string() +
                             "; render them later with: cd " + dir.string() + " && gnuplot -e \"fmt='pdf'\" " + name + ".gp");
  for (const std::string fmt : {"pdf", "png", "svg"}) {
    const std::string final_name = name + "." + fmt;
    const std::string partial_name = "." + final_name + ".partial";
    fs::remove(dir / partial_name);
    const ProcessResult result = run_process({gnuplot, "-e", "fmt='" + fmt + "'; out='" + partial_name + "'", name + ".gp"}, dir);
    std::error_code ec;
    const bool produced = fs::exists(dir / partial_name, ec) && fs::file_size(dir / partial_name, ec) > 0;
    if (result.exit_code != 0 || !produced) {
      fs::remove(dir / partial_name, ec);
      throw std::runtime_error("gnuplot failed rendering " + fmt + " (exit code " + std::to_string(result.exit_code) + ") for script " +
                               fs::absolute(script_path).string() + "\ngnuplot stderr:\n" + result.stderr_text);
    }
    if (fmt == "svg") mark_svg_images_pixelated(dir / partial_name);
    fs::rename(dir / partial_name, dir / final_name);
  }
}

}  // namespace vclab
