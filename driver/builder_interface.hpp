// Li-metal | solid-electrolyte interface: a bcc Li slab with (110) or (111) normal to c stacked against a
// block (amorphous LiPON from a file or the amorphous builder), laterally matched.
//
// Matching: the block keeps its lateral cell (rows a, b in the xy plane; its c must be perpendicular to
// them), optionally repeated m_a × m_b times. The Li surface lattice (rows v1, v2 of the primitive in-plane
// cell of the slab, found from its translations) is replaced by the supercell P = S·V for an integer 2×2
// matrix S (entries within ±max_multiple, det S > 0) and mapped onto the block's lateral cell L by the
// in-plane deformation F = P⁻¹L (any in-plane rotation is free). S is chosen to minimise the largest
// principal strain of F (|eig √(F Fᵀ) − 1|), ties broken by fewer atoms. All lateral strain is put on the Li
// (the soft phase); the block is unstrained. Stacking along z: Li slab [0, t_Li], gap, block [t_Li + gap,
// t_Li + gap + t_B]; then either the same gap again (periodic along c: two Li|block contacts) or vacuum.
#pragma once

#include <array>
#include <string>

#include "engine/structure.hpp"

namespace e3md {

struct InterfaceOptions {
  Vec3i li_miller = Vec3i(1, 1, 0);  // (110) or (111) (any Miller index is accepted)
  int li_layers = 0;                 // periods of the Li slab; 0 = use li_min_thickness
  double li_min_thickness = 12.0;    // Å
  double gap = 2.5;                  // Å between the Li surface plane and the lowest block atom
  double vacuum = 0.0;               // Å; 0 = periodic along c with a second gap
  int max_multiple = 6;              // |S_ij| <= max_multiple
  int block_repeat_max = 1;          // also try m_a, m_b in 1..block_repeat_max
  double max_strain = 0.06;          // refuse matches with a larger Li principal strain
};

struct InterfaceResult {
  Structure structure;
  Eigen::Matrix2i li_supercell = Eigen::Matrix2i::Identity();     // S
  Eigen::Matrix2d li_surface_cell = Eigen::Matrix2d::Identity();  // V (rows, Å)
  std::array<int, 2> block_repeat{{1, 1}};
  Eigen::Matrix2d li_deformation = Eigen::Matrix2d::Identity();  // F (rows: x' = x F in the xy plane)
  std::array<double, 2> li_strain{{0, 0}};                       // principal strains of the Li side (sorted)
  std::array<double, 2> block_strain{{0, 0}};  // principal strains of the block (zero: it is not strained)
  double li_thickness = 0, block_thickness = 0, gap = 0;
  long li_atoms = 0, block_atoms = 0;
};

// Principal strains (sorted) of an in-plane deformation x' = x F.
std::array<double, 2> principal_strains(const Eigen::Matrix2d& f);

// Throws std::invalid_argument when the block's c is not perpendicular to its a, b plane, the gap is not
// positive, or no supercell reaches max_strain.
InterfaceResult build_interface(const Structure& li_bulk, const Structure& block, const InterfaceOptions& o);

}  // namespace e3md
