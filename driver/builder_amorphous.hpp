// Random packing of a composition at a mass density, as the starting point of a melt-quench.
//
// Composition: a formula with integer or decimal subscripts ("Li3PO3.3N0.5", "Li87P30O99N13"). It is
// scaled by the smallest integer that makes every count whole (Li3PO3.3N0.5 → Li30P10O33N5), then by
// `formula_units` (or by the fewest units reaching `min_atoms`). The box is a cube (or the given lateral
// lengths with the height set by the density) whose volume gives the density exactly:
// V = Σ m_i / ρ. Atoms are placed one by one at uniform random points, rejecting any point closer than the
// minimum distance of its species pair to an atom already placed (all periodic images); a failed packing
// restarts with the next sub-seed. Impossible requests are refused up front: a packing fraction of spheres
// of radius d_ii/2 above 0.64 (random close packing) cannot be reached by random insertion.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "engine/structure.hpp"

namespace e3md {

// Counts from a formula with decimal subscripts, scaled to integers as above; order of appearance kept.
std::vector<std::pair<std::string, long>> parse_composition(const std::string& formula,
                                                            long formula_units = 1);

struct AmorphousOptions {
  std::string composition;  // formula (see above)
  long formula_units = 0;   // multiplier of the integer formula; 0 = from min_atoms (or 1)
  long min_atoms = 0;
  double density = 2.3;                     // g/cm³
  double lateral_a = 0.0, lateral_b = 0.0;  // Å; both > 0 = orthorhombic box a × b × (height from density)
  std::uint64_t seed = 1;
  // Minimum distance per species pair ("Li-O" or "O-Li"), Å; pairs not listed use default_min_distance().
  std::map<std::string, double> min_distance;
  long max_trials_per_atom = 20000;
  int restarts = 5;
};

// Defaults chosen ~0.75–0.85 × typical bond or contact lengths in Li–P–O–N solids (P–O 1.52, Li–O 1.95,
// O–O 2.45 within PO4), so random starts are free of overlaps yet dense packings remain possible.
double default_min_distance(const std::string& a, const std::string& b);

// Throws std::invalid_argument for an impossible density (refused up front or no packing found).
Structure build_amorphous(const AmorphousOptions& o);

}  // namespace e3md
