// Runs tools/plot_e3md.py (matplotlib, Agg) on a CSV written by the analyses, producing PNG and SVG next to
// it. Python: $E3MD_PYTHON if set, else python3 on PATH. Script: $E3MD_PLOT_SCRIPT if set, else
// tools/plot_e3md.py found by walking up from the executable's directory (build trees and installs).
#pragma once

#include <string>
#include <vector>

namespace e3md::analysis {

// kind: rdf, msd, arrhenius, profile. Throws with the command and its output tail when the script fails.
void run_plot(const std::string& kind, const std::vector<std::string>& csvs, const std::string& out_stem,
              const std::vector<std::string>& extra_args = {});

// The script path that run_plot would use (throws with the fix when not found).
std::string plot_script_path();

}  // namespace e3md::analysis
