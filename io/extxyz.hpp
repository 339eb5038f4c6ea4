// Extended XYZ (ASE / QUIP conventions), single- and multi-frame.
//
// Comment line: key=value pairs, values bare or in "..." / {...}; a key alone means T.
//   Lattice="ax ay az bx by bz cx cy cz"   rows of the cell (lattice vectors), Å
//   Properties=species:S:1:pos:R:3[:vel:R:3][:forces:R:3][:image:I:3]   per-atom columns
//   pbc="T T F"      periodic flags (T T T when Lattice is given and pbc is not)
//   energy=...       eV (Structure::energy)
//   stress="9 values" (row-major 3×3) or 6 Voigt values xx yy zz yz xz xy, eV/Å³, ASE sign
//   anything else    kept as text in Structure::info (config_type, free strings)
// Columns read: species, pos (Å), vel/velo/velocities (Å/ps), momenta (ASE units, converted to Å/ps with
// the element masses), forces/force (eV/Å), image/images (I:3); other columns are skipped.
// Numbers are written with 17 significant digits so that reading back gives identical doubles; velocities
// are written as vel:R:3 in Å/ps (metal units).
// A frame without Lattice (plain XYZ) gets a non-periodic box spanning the atoms plus 10 Å.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "engine/structure.hpp"

namespace e3md {

std::vector<Structure> read_extxyz(const std::string& path);
// `name` is used in error messages (file name).
std::vector<Structure> parse_extxyz(std::istream& in, const std::string& name);

// Writes all frames; with append=false the file is written to a temporary name and renamed at the end, so a
// failed write never leaves a complete-looking file.
void write_extxyz(const std::string& path, const std::vector<Structure>& frames, bool append = false);
void write_extxyz_frame(std::ostream& out, const Structure& s);

}  // namespace e3md
