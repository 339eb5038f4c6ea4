// Shared helpers for the structure I/O and builder tests: scratch folders, random structures, running the
// reference Python.
#pragma once

#include <unistd.h>

#include <Eigen/LU>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "engine/structure.hpp"

namespace e3md::test {

// A fresh folder under the system temp dir, unique per test binary and name.
inline std::string scratch_dir(const std::string& name) {
  namespace fs = std::filesystem;
  const fs::path p = fs::temp_directory_path() / ("e3md_builders_" + std::to_string(::getpid()) + "_" + name);
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

inline void write_text(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

inline std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs the reference Python on a script from tests/builders with arguments; returns the exit code.
inline int run_python(const std::string& script, const std::string& args) {
  const std::string cmd =
      std::string(E3MD_PYTHON) + " " + E3MD_SOURCE_DIR + "/tests/builders/" + script + " " + args;
  return std::system(cmd.c_str());
}

// A random right-handed triclinic cell (lengths 4..9 Å, angles 60..120°, randomly rotated) with n atoms.
inline Structure random_structure(std::mt19937_64& rng, int n, bool extras) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Structure s;
  Mat3 h;
  for (;;) {
    for (int r = 0; r < 3; ++r) {
      for (int c = 0; c < 3; ++c) h(r, c) = (r == c ? 6.0 : 0.0) + 3.0 * (u(rng) - 0.5);
    }
    if (h.determinant() > 50.0) break;
  }
  s.box = Box(h, {{true, true, u(rng) < 0.5}});
  const char* names[] = {"Li", "P", "O", "N"};
  for (int i = 0; i < n; ++i) {
    s.species.push_back(names[i % 4]);
    s.positions.push_back(s.box.to_cartesian(Vec3(u(rng), u(rng), u(rng))));
    if (extras) {
      s.velocities.push_back(Vec3(u(rng) - 0.5, u(rng) - 0.5, u(rng) - 0.5) * 10.0);
      s.forces.push_back(Vec3(u(rng) - 0.5, u(rng) - 0.5, u(rng) - 0.5));
    }
  }
  if (extras) {
    s.has_energy = true;
    s.energy = -123.456789 * u(rng);
    s.has_stress = true;
    for (int r = 0; r < 3; ++r) {
      for (int c = r; c < 3; ++c) s.stress(r, c) = s.stress(c, r) = u(rng) - 0.5;
    }
    s.info["config_type"] = "random";
    s.info["comment_text"] = "free text with spaces";
  }
  return s;
}

}  // namespace e3md::test
