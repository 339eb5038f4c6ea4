// Loads the e3nn / nequip reference values written by e3nn_reference.py. The file is generated once per build
// tree (and again when the script changes), written to a temporary name and renamed, so tests running in
// parallel never read a half-written file.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace e3md::kernels::test {

inline const nlohmann::json& reference() {
  static const nlohmann::json j = [] {
    namespace fs = std::filesystem;
    const fs::path out = E3MD_KERNELS_REFERENCE_JSON;
    const fs::path script = fs::path(E3MD_SOURCE_DIR) / "tests/kernels/e3nn_reference.py";
    if (!fs::exists(out) || fs::last_write_time(script) > fs::last_write_time(out)) {
      const std::string tmp = out.string() + ".tmp." + std::to_string(getpid());
      const std::string cmd =
          std::string(E3MD_PYTHON) + " " + script.string() + " " + tmp + " > " + tmp + ".log 2>&1";
      if (std::system(cmd.c_str()) != 0) {
        throw std::runtime_error("reference generation failed: `" + cmd + "`; see " + tmp +
                                 ".log (run tools/setup.sh to install e3nn/nequip in .venv)");
      }
      fs::rename(tmp, out);
    }
    std::ifstream f(out);
    return nlohmann::json::parse(f);
  }();
  return j;
}

template <class Real>
std::vector<Real> get(const nlohmann::json& j, const char* key) {
  const auto v = j.at(key).get<std::vector<double>>();
  return std::vector<Real>(v.begin(), v.end());
}

}  // namespace e3md::kernels::test
