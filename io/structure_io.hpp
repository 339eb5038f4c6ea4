// Structure files: one entry point that picks the format (extended XYZ, POSCAR/CONTCAR, LAMMPS data) from
// an explicit name or the file name, plus the small helpers every format and builder shares: element
// masses, mass density, and a periodic pair search (closest pair, pairs within a cutoff).
//
// Errors in files are StructureFileError with "file:line: what is wrong; how to fix it" in one line.
#pragma once

#include <functional>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/structure.hpp"

namespace e3md {

class StructureFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class StructureFormat { ExtXYZ, Poscar, LammpsData };

// Format from an explicit name: extxyz|xyz, poscar|vasp|contcar, lammps-data|lammps|data|lmp.
StructureFormat parse_structure_format(const std::string& name);
// Explicit name when given, otherwise from the file name (*.xyz/*.extxyz; POSCAR*/CONTCAR*/*.vasp/*.poscar;
// *.data/*.lmp/*.lammps/data.*). Throws naming the path and the accepted names when neither decides.
StructureFormat detect_structure_format(const std::string& path, const std::string& format = "");
std::string format_name(StructureFormat f);

struct StructureReadOptions {
  std::string format;  // empty = from the file name
  // Species of LAMMPS atom types 1, 2, ... (overrides the Masses section) or of the count groups of a
  // VASP 4 POSCAR (which has no species line).
  std::vector<std::string> species;
  // Frame of a multi-frame extended XYZ file for read_structure: 0, 1, ... from the start, -1 = last
  // (ASE's default), -2 = second to last, ...
  long frame = -1;
};

struct StructureWriteOptions {
  std::string format;  // empty = from the file name
  std::vector<std::string>
      species_order;           // LAMMPS data: species of types 1, 2, ...; empty = first appearance
  bool append = false;         // extended XYZ: add frames to an existing file
  bool poscar_direct = false;  // POSCAR: fractional ("Direct") instead of Cartesian coordinates
};

Structure read_structure(const std::string& path, const StructureReadOptions& opt = {});
// Every frame (extended XYZ datasets); one element for the single-frame formats.
std::vector<Structure> read_structures(const std::string& path, const StructureReadOptions& opt = {});
void write_structure(const std::string& path, const Structure& s, const StructureWriteOptions& opt = {});
void write_structures(const std::string& path, const std::vector<Structure>& frames,
                      const StructureWriteOptions& opt = {});

// --- element data (IUPAC 2016 standard atomic weights, amu) ---
bool is_element(const std::string& symbol);
// Throws std::invalid_argument naming the symbol when it is not an element.
double atomic_mass(const std::string& symbol);
// Element whose mass is within `tolerance` amu of `mass`; empty when none or ambiguous.
std::string element_for_mass(double mass, double tolerance = 0.1);
// Total mass / cell volume in g/cm³ (every species must be an element).
double mass_density(const Structure& s);
// Atom count per species, in order of first appearance.
std::vector<std::pair<std::string, long>> composition(const Structure& s);
// Hill-like formula in order of first appearance, e.g. "Li3PO4" for counts {Li:3,P:1,O:4}.
std::string formula(const Structure& s);

// --- periodic pair search (whole structure, one process) ---
struct ClosestPair {
  long i = -1, j = -1;  // atom indices; i == j means an atom and its own periodic image
  double distance = std::numeric_limits<double>::infinity();  // Å
  Vec3i image = Vec3i::Zero();  // lattice translation n with r_j + n·H - r_i the closest displacement
  bool found() const { return i >= 0; }
};

// Calls f(i, j, d, r) once per pair i <= j (and per lattice image) with |d| = r < cutoff, where
// d = r_j + n·H - r_i is the displacement to image n of atom j. Exact for any cell shape and any cutoff
// (images beyond the nearest are visited when the cell is small). Non-periodic directions have no images.
void for_each_pair_within(const Structure& s, double cutoff,
                          const std::function<void(long i, long j, const Vec3& d, double r)>& f);

// Closest pair of atoms over all periodic images (the engine refuses to start when it is below its limit).
// `min_distance` (Å) sets where the search starts; the result is the true closest pair whatever it is.
ClosestPair min_distance_check(const Structure& s, double min_distance);

// --- shared parsing helpers for the format readers ---
namespace structure_io_detail {
// "file:line" prefix for messages.
std::string where(const std::string& file, long line);
double parse_real(const std::string& token, const std::string& file, long line, const std::string& what);
long parse_integer(const std::string& token, const std::string& file, long line, const std::string& what);
std::vector<std::string> split_ws(const std::string& line);
std::string format_real(double v);  // 17 significant digits: exact round trip
}  // namespace structure_io_detail

}  // namespace e3md
