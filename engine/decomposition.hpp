// Geometry of the brick decomposition, free of MPI so that tests and the grid chooser share it:
// which Px×Py×Pz grid to use, where subdomain faces lie in fractional coordinates, which subdomain owns a
// fractional coordinate, and how many swaps per direction a ghost cutoff needs.
#pragma once

#include <array>

#include "engine/box.hpp"
#include "engine/types.hpp"

namespace e3md {

// Grid with product nranks minimising the ghost surface Σ_k P_k / d_k (d_k = box.plane_spacing(k)): a
// subdomain's face normal to k has area V_sub / (d_k / P_k), so this is the ghost-shell volume per
// unit cutoff. Ties go to the first grid in (Px, Py) ascending order.
std::array<int, 3> choose_grid(const Box& box, int nranks);

// Throws std::runtime_error unless every entry is positive and the product equals nranks.
void validate_grid(const std::array<int, 3>& grid, int nranks);

// Fractional coordinate of face c of a grid with p subdomains along an axis (face p is exactly 1).
inline double subdomain_bound(int c, int p) { return c == p ? 1.0 : static_cast<double>(c) / p; }

// Index of the subdomain along an axis of p subdomains that owns fractional coordinate s, consistent
// with subdomain_bound (lo <= s < hi); coordinates below 0 or at/above 1 go to the edge subdomains.
int owner_coord(double s, int p);

// Swaps per direction for a ghost shell of `cutfrac` (ghost cutoff / plane spacing) along an axis split
// into p subdomains: enough to reach every subdomain within the shell, at most p − 1 when the axis is
// not periodic (nothing lies beyond the last subdomain), none for one non-periodic subdomain.
int swaps_needed(double cutfrac, int p, bool periodic);

// Throws std::runtime_error naming the atom when a non-periodic fractional coordinate is not finite or
// lies more than one cell length outside [0, 1): such an atom is clamped to an edge subdomain, but so
// far out it means the cell does not span the atoms (or the system blew up).
void check_nonperiodic_extent(const Box& box, const Vec3& s, AtomId id);

}  // namespace e3md
