// Crystal builder: a crystal definition (inputs/structures/<name>.yaml: space group, cell parameters,
// Wyckoff representatives) expanded with the group's operations into the conventional cell, and supercells.
//
// Definition file keys: name, source (e.g. Materials Project id), space_group (number; settings as in
// builder_symmetry.hpp), symbol (optional, informational), cell {a, b, c (Å), alpha, beta, gamma (°)},
// density (g/cm³, literature, optional), atoms (expected count in the conventional cell, optional),
// sites: list of {species, wyckoff (e.g. "4b": the multiplicity is checked), xyz: [x, y, z]} where each
// coordinate is a number or a fraction string such as "1/3" (exact special positions).
#pragma once

#include <string>
#include <vector>

#include "engine/structure.hpp"

namespace e3md {

struct CrystalSite {
  std::string species;
  std::string wyckoff;  // e.g. "4b"; empty = multiplicity not checked
  Vec3 xyz = Vec3::Zero();
  long line = 0;  // line in the definition file (messages)
};

struct CrystalSpec {
  std::string name, source, symbol, file;
  int space_group = 1;
  double a = 0, b = 0, c = 0, alpha = 90, beta = 90, gamma = 90;  // Å, degrees
  double density = 0.0;                                           // g/cm³ from the literature; 0 = not given
  long atoms = 0;  // expected atoms in the conventional cell; 0 = not given
  std::vector<CrystalSite> sites;
};

// Lattice vectors (rows) from a, b, c, α, β, γ: a along x, b in the xy plane (ASE's cellpar_to_cell).
// Throws std::invalid_argument for impossible angles.
Mat3 cell_from_parameters(double a, double b, double c, double alpha, double beta, double gamma);

// Folder of the shipped definitions: $E3MD_STRUCTURES when set, else <source tree>/inputs/structures.
std::string crystal_library_dir();
// Names of the definitions in `dir` (default: the library), sorted.
std::vector<std::string> known_crystals(const std::string& dir = "");
// `name_or_path`: a *.yaml file, or a name looked up (case-insensitively) in `dir`. Unknown names throw
// std::invalid_argument listing the known ones.
CrystalSpec load_crystal_spec(const std::string& name_or_path, const std::string& dir = "");

// Conventional cell, atoms grouped by site in definition order; info: config_type=crystal,
// crystal=<name>, source=<source>. Throws std::runtime_error naming the file and site line when an orbit
// does not have the multiplicity of its Wyckoff label, or two sites overlap (< 0.5 Å).
Structure build_crystal(const CrystalSpec& spec);
Structure build_crystal(const std::string& name_or_path, const std::string& dir = "");

// n_a × n_b × n_c supercell (each count >= 1); atoms ordered atom-major (all images of atom 0 first), so
// species stay grouped as in the input. Velocities, forces and info are carried over.
Structure make_supercell(const Structure& s, int na, int nb, int nc);

}  // namespace e3md
