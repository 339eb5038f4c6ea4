// Space-group operations for the crystal builder: each supported group is stored as a few generators in
// the ITA coordinate-triplet notation ("-y,x+1/2,z+1/4") plus its lattice centring; the full set of
// general-position operations is the closure of the generators under composition (translations mod 1).
// Settings are the standard ones spglib reports (monoclinic unique axis b, cell choice 1; I4_1/acd origin
// choice 1), so the Wyckoff representatives spglib prints can be used as they are.
#pragma once

#include <string>
#include <vector>

#include "engine/types.hpp"

namespace e3md {

// x' = R x + t on fractional coordinates (column vectors).
struct SymOp {
  Eigen::Matrix3i rotation = Eigen::Matrix3i::Identity();
  Vec3 translation = Vec3::Zero();
  Vec3 apply(const Vec3& x) const { return rotation.cast<double>() * x + translation; }
};

// Parses "x,y,z"-style triplets: each component a signed sum of x, y, z and a fraction or decimal.
// Throws std::invalid_argument naming the text.
SymOp parse_symop(const std::string& triplet);

struct SpaceGroupInfo {
  int number;
  std::string symbol;                   // Hermann–Mauguin, e.g. "P6_3/mmc"
  char centring;                        // P, I, F, C
  std::vector<std::string> generators;  // coordinate triplets (besides identity and the centring)
  int order;                            // number of general-position operations in the conventional cell
};

// Groups with stored generators, ascending by number.
const std::vector<SpaceGroupInfo>& supported_space_groups();
// Throws std::invalid_argument listing the supported numbers.
const SpaceGroupInfo& space_group_info(int number);
// All operations of the conventional cell (centring included), translations in [0, 1).
std::vector<SymOp> space_group_operations(int number);

// Images of fractional point x under `ops`, wrapped into [0, 1), duplicates (closer than `tolerance` Å under
// the periodic metric of `cell_rows`) merged. The orbit of a Wyckoff representative.
std::vector<Vec3> expand_orbit(const std::vector<SymOp>& ops, const Vec3& x, const Mat3& cell_rows,
                               double tolerance = 0.01);

}  // namespace e3md
