// Simulation cell: three lattice vectors (rows of `cell`, ASE convention), periodic or not per direction.
//
// Cartesian x and fractional s are related by x = s·H (row vectors), H = cell. Non-periodic directions keep
// a finite extent (the cell vector spans the region atoms live in) so that the domain decomposition can
// split them like any other direction.
#pragma once

#include <array>

#include "engine/types.hpp"

namespace e3md {

class Box {
 public:
  Box();
  Box(const Mat3& cell_rows, const std::array<bool, 3>& periodic);

  const Mat3& cell() const { return cell_; }
  const Mat3& inverse() const { return inverse_; }
  const std::array<bool, 3>& periodic() const { return periodic_; }
  bool periodic(int k) const { return periodic_[static_cast<std::size_t>(k)]; }
  Vec3 vector(int k) const { return cell_.row(k).transpose(); }

  // Replaces the lattice vectors (barostats, strain). Throws if the cell is singular or left-handed.
  void set_cell(const Mat3& cell_rows);

  double volume() const;
  // Distance between neighbouring lattice planes spanned by the two other vectors (Å): V / |a_i × a_j|.
  // A sphere of radius r fits in the cell iff r <= plane_spacing(k)/2 for every k.
  double plane_spacing(int k) const;

  Vec3 to_fractional(const Vec3& x) const { return inverse_.transpose() * x; }
  Vec3 to_cartesian(const Vec3& s) const { return cell_.transpose() * s; }
  // Cartesian displacement of an integer lattice translation n (n·H).
  Vec3 shift(const Vec3i& n) const { return cell_.transpose() * n.cast<double>(); }

  // Maps x into the cell along periodic directions (fractional coordinate in [0, 1)) and updates the
  // image counters so that x + shift(image) is unchanged.
  Vec3 wrap(const Vec3& x, Vec3i& image) const;
  Vec3 unwrap(const Vec3& x, const Vec3i& image) const { return x + shift(image); }
  // Shortest periodic image of a displacement; only valid when every cutoff of interest is below half
  // the plane spacings (used by tests and analysis, never by the neighbor lists).
  Vec3 minimum_image(const Vec3& dx) const;

 private:
  Mat3 cell_;
  Mat3 inverse_;
  std::array<bool, 3> periodic_{{true, true, true}};
};

}  // namespace e3md
