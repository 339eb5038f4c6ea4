#include "analysis/plot.hpp"

#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "analysis/analysis_error.hpp"

namespace e3md::analysis {
namespace {

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

}  // namespace

std::string plot_script_path() {
  namespace fs = std::filesystem;
  if (const char* env = std::getenv("E3MD_PLOT_SCRIPT")) {
    if (fs::exists(env)) return env;
    throw AnalysisError(std::string("E3MD_PLOT_SCRIPT=") + env + " does not exist; point it at tools/plot_e3md.py");
  }
  std::error_code ec;
  fs::path dir = fs::read_symlink("/proc/self/exe", ec).parent_path();
  for (int up = 0; up < 5 && !ec && !dir.empty(); ++up) {
    for (const char* rel : {"tools/plot_e3md.py", "share/e3md/plot_e3md.py"}) {
      if (fs::exists(dir / rel)) return (dir / rel).string();
    }
    dir = dir.parent_path();
  }
  throw AnalysisError("cannot find tools/plot_e3md.py next to the e3md executable; set E3MD_PLOT_SCRIPT to its path");
}

void run_plot(const std::string& kind, const std::vector<std::string>& csvs, const std::string& out_stem,
              const std::vector<std::string>& extra_args) {
  const char* py = std::getenv("E3MD_PYTHON");
  std::string cmd = quote(py && *py ? py : "python3") + " " + quote(plot_script_path()) + " " + kind;
  for (const auto& c : csvs) cmd += " " + quote(c);
  cmd += " --out " + quote(out_stem);
  for (const auto& a : extra_args) cmd += " " + quote(a);
  cmd += " 2>&1";
  std::string output;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) throw AnalysisError("cannot start the plot script: " + cmd);
  std::array<char, 512> buf{};
  while (fgets(buf.data(), static_cast<int>(buf.size()), p)) output += buf.data();
  const int status = pclose(p);
  if (status != 0) {
    if (output.size() > 2000) output = output.substr(output.size() - 2000);
    throw AnalysisError("plotting failed (" + cmd + "): " + output +
                        " — install matplotlib for that Python or set E3MD_PYTHON to one that has it");
  }
}

}  // namespace e3md::analysis
