// LAMMPS data files (read_data / write_data), atom style atomic (charge and full are read too, the charge
// and molecule columns dropped), orthogonal or triclinic boxes, metal units.
//
// Read: header counts and box (xlo xhi, ylo yhi, zlo zhi, xy xz yz), Masses, Atoms (sorted by atom id,
// optional image flags), Velocities (Å/ps). Positions are taken relative to the box origin (xlo, ylo, zlo),
// so the cell rows are a = (lx,0,0), b = (xy,ly,0), c = (xz,yz,lz). Types become species from, in order of
// preference: the species list given (type 1 = first), the element symbol after '#' in the Masses
// section (as LAMMPS and ASE write it), or the element whose standard mass matches within 0.1 amu.
//
// Write: LAMMPS only accepts a "restricted triclinic" cell (a along x, b in the xy plane, c with lz > 0)
// with tilts |xy| <= lx/2, |xz| <= lx/2, |yz| <= ly/2 (older versions refuse larger skew). A general cell is
// therefore rotated rigidly into that orientation (fractional coordinates kept) and, when a tilt is too
// large, b and c are replaced by equivalent lattice vectors (b - k a, c - k b - l a): the same crystal,
// described by a different but equivalent cell. Positions are written wrapped into that cell with image
// flags so that unwrapped positions are preserved. Types follow `species_order` (or first appearance),
// masses are the standard element masses, each with its symbol as a comment.
#pragma once

#include <string>
#include <vector>

#include "engine/structure.hpp"

namespace e3md {

Structure read_lammps_data(const std::string& path, const std::vector<std::string>& species = {});
void write_lammps_data(const std::string& path, const Structure& s,
                       const std::vector<std::string>& species_order = {});

// Restricted-triclinic cell (rows) equivalent to `cell_rows`: rigid rotation to a along x and b in xy, then
// tilt reduction by lattice-vector combinations. Periodic structure unchanged; volume unchanged.
Mat3 lammps_restricted_cell(const Mat3& cell_rows);

}  // namespace e3md
