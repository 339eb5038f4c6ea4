// Surface slabs: the (hkl) planes of a bulk cell (Miller indices with respect to its lattice vectors)
// become the xy plane and the surface normal is c (along z).
//
// Construction: two shortest integer lattice vectors u1, u2 with h·u = 0 that span the plane lattice
// (u1 × u2 = (h,k,l)/gcd), a third u3 with (h,k,l)·u3 = 1 (one interplanar spacing d out of the plane),
// reduced against u1, u2 to be as upright as possible; [u1;u2;u3] is unimodular, so one slab period holds
// exactly the atoms of one bulk cell. The cell is rotated so u1 is along x and u2 in the xy plane.
// Terminations: the distinct atomic planes within one period (closer than 0.05 Å count as one plane);
// termination t cuts just below plane t. A slab of n periods keeps the bulk stoichiometry exactly.
// The slab's atomic extent along z is its thickness; c = (0, 0, thickness + vacuum), so the vacuum is the
// atom-to-atom gap between the top surface and the periodic image of the bottom one.
#pragma once

#include <string>
#include <vector>

#include "engine/structure.hpp"

namespace e3md {

struct SlabOptions {
  Vec3i miller = Vec3i(0, 0, 1);
  int layers = 0;  // periods (interplanar spacings d_hkl of the unimodular cell); 0 = use min_thickness
  double min_thickness = 0.0;  // Å: fewest periods whose atomic extent reaches this
  double vacuum = 15.0;        // Å
  int termination = 0;         // index into the distinct planes of one period
};

struct SlabResult {
  Structure slab;
  Eigen::Matrix3i transform;  // rows u1, u2, u3 (bulk lattice coordinates)
  double d_spacing = 0.0;     // Å, one period along the normal
  int terminations = 0;       // distinct planes in one period
  int layers = 0;             // periods used
  double thickness = 0.0;     // Å, atomic extent along z
};

// Throws std::invalid_argument for Miller index 0 0 0, a termination out of range, or impossible options.
SlabResult build_slab(const Structure& bulk, const SlabOptions& o);

// Distinct planes (fractional positions along u3 in [0, 1)) of the bulk for these Miller indices.
int count_terminations(const Structure& bulk, const Vec3i& miller);

// In-plane reduced lattice for (hkl): rows u1, u2, u3 as above.
Eigen::Matrix3i surface_transform(const Mat3& bulk_cell, const Vec3i& miller);

}  // namespace e3md
