// Strain series for training sets: the crystal's fractional coordinates are kept, only the cell changes.
//
//  hydrostatic   all lattice vectors scaled by (1+ε)^(1/3): volume V0·(1+ε), angles unchanged
//  orthorhombic  one lattice vector scaled by (1+ε): volume V0·(1+ε), angles unchanged
//  monoclinic    one cell angle θ → θ·(1+ε), then all lengths scaled uniformly so the volume stays V0
//                (the cell is re-expressed with a along x, b in the xy plane)
// ε runs from `min` to `max` in steps of `step` (default −10 % … +9 % in 1 % steps, i.e. 20 frames,
// ε = 0 included); |ε| must stay below 50 %. Frames carry config_type=strain_<kind> and strain=<ε>.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "engine/structure.hpp"

namespace e3md {

enum class StrainKind { Hydrostatic, Orthorhombic, Monoclinic };

// "hydrostatic", "orthorhombic", "monoclinic"; throws std::invalid_argument listing them.
StrainKind parse_strain_kind(const std::string& name);
std::string strain_kind_name(StrainKind k);

struct StrainSeriesOptions {
  StrainKind kind = StrainKind::Hydrostatic;
  double min = -0.10;
  double max = 0.09;
  double step = 0.01;
  int axis = 0;   // orthorhombic: lattice vector 0=a, 1=b, 2=c
  int angle = 1;  // monoclinic: 0=alpha (b,c), 1=beta (a,c), 2=gamma (a,b)
};

// One strained copy. Throws std::invalid_argument when |ε| >= 0.5 or the strained cell is impossible.
Structure apply_strain(const Structure& s, StrainKind kind, double eps, int axis = 0, int angle = 1);
std::vector<double> strain_values(const StrainSeriesOptions& o);
std::vector<Structure> strain_series(const Structure& s, const StrainSeriesOptions& o);

// a, b, c (Å) and alpha, beta, gamma (degrees) of a cell.
std::array<double, 6> cell_parameters(const Mat3& cell_rows);

}  // namespace e3md
