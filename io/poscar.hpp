// VASP POSCAR / CONTCAR (VASP 5 with a species line; VASP 4 when the species are given by the caller).
//
// Read: comment, scale factor (one positive number; a negative one is the target cell volume in Å³; three
// numbers scale each lattice vector), three lattice vectors (rows), species line, counts, optional
// "Selective dynamics" (flags are accepted and dropped), "Direct" or "Cartesian" coordinates (Cartesian are
// multiplied by the scale too), optional velocity block (Å/fs in the file, converted to Å/ps).
// Species may carry a POTCAR suffix (Li_sv, O/...): the part before '_' or '/' must be an element.
// Write: the comment (info "comment" or the formula), scale 1.0, lattice and Cartesian coordinates with 17
// significant digits (exact round trip), species in runs of consecutive atoms so the atom order is kept
// (a species can appear in several runs, as ASE writes without sorting).
#pragma once

#include <string>
#include <vector>

#include "engine/structure.hpp"

namespace e3md {

// `species`: the species of each count group, needed only for VASP 4 files (no species line); when given
// for a VASP 5 file it must match the file's species line.
Structure read_poscar(const std::string& path, const std::vector<std::string>& species = {});
void write_poscar(const std::string& path, const Structure& s, bool direct = false);

}  // namespace e3md
