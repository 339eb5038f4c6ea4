// A whole structure as read from or written to a file, or made by a builder: the global, undecomposed
// view (one process). Engine runs distribute it into Atoms; io and driver/builders work on this type.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "engine/box.hpp"
#include "engine/types.hpp"

namespace e3md {

struct Structure {
  Box box;
  std::vector<std::string> species;  // chemical symbol (or type name) of each atom
  std::vector<Vec3> positions;       // Å
  std::vector<Vec3> velocities;      // Å/ps; empty when unknown
  std::vector<Vec3i> images;         // image counters; empty means all zero
  // Free-form per-structure metadata (extended XYZ info: config_type, energy, stress, ...).
  std::map<std::string, std::string> info;
  // Optional labels carried by datasets (extended XYZ `energy`, `forces`, `stress`).
  bool has_energy = false;
  double energy = 0.0;               // eV
  std::vector<Vec3> forces;          // eV/Å; empty when absent
  bool has_stress = false;
  Mat3 stress = Mat3::Zero();        // eV/Å³, ASE sign (positive = tensile)

  std::size_t size() const { return positions.size(); }
};

}  // namespace e3md
