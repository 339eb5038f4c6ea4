// Periodic cell list for analysis pair searches with any cutoff, including cutoffs beyond half the cell:
// a neighbour cell reached through the periodic wrap carries the lattice translation, and when the cutoff
// exceeds the cell the offsets simply run over several periods, so every periodic image within the cutoff
// is visited exactly once (an explicit image loop folded into the cell loop). Works for triclinic cells:
// the number of cells searched along k follows the plane spacing, not the vector length.
#pragma once

#include <array>
#include <cmath>
#include <vector>

#include "engine/box.hpp"

namespace e3md::analysis {

class CellList {
 public:
  // Bins `members` (indices into positions) for searches up to `cutoff` Å. Cells are about cutoff/2 wide,
  // which searches ~15.6 cutoff³ instead of 27 cutoff³ with cutoff-wide cells.
  CellList(const Box& box, const std::vector<Vec3>& positions, const std::vector<int>& members, double cutoff);

  // Position of atom `atom` mapped into the cell along periodic directions (Å).
  Vec3 wrapped(const Vec3& x) const;

  // Calls f(j, dx, r2) for every member j and lattice image with |dx| <= cutoff, dx = x_j(image) - x,
  // where x is a position already passed through wrapped(). The pair of `self` with its own zero-shift
  // copy is skipped (pass -1 to keep everything).
  template <class F>
  void visit(const Vec3& x, int self, F&& f) const;

  double cutoff() const { return cutoff_; }

 private:
  std::array<int, 3> cell_of(const Vec3& s) const;

  Box box_;
  double cutoff_, cutoff2_;
  std::array<int, 3> m_{{1, 1, 1}};      // cells per direction
  std::array<int, 3> reach_{{1, 1, 1}};  // cells searched on each side
  std::array<double, 3> lo_{{0, 0, 0}}, width_{{1, 1, 1}};  // fractional origin and cell width
  std::vector<int> start_;     // first sorted entry of each cell (size ncell + 1)
  std::vector<Vec3> sx_;       // wrapped positions, sorted by cell
  std::vector<int> sidx_;      // atom index of each sorted entry
};

template <class F>
void CellList::visit(const Vec3& x, int self, F&& f) const {
  const Vec3 s = box_.to_fractional(x);
  const auto c = cell_of(s);
  const Mat3& h = box_.cell();
  for (int dz = -reach_[2]; dz <= reach_[2]; ++dz) {
    int cz = c[2] + dz, nz = 0;
    if (box_.periodic(2)) {
      nz = static_cast<int>(std::floor(static_cast<double>(cz) / m_[2]));
      cz -= nz * m_[2];
    } else if (cz < 0 || cz >= m_[2]) {
      continue;
    }
    for (int dy = -reach_[1]; dy <= reach_[1]; ++dy) {
      int cy = c[1] + dy, ny = 0;
      if (box_.periodic(1)) {
        ny = static_cast<int>(std::floor(static_cast<double>(cy) / m_[1]));
        cy -= ny * m_[1];
      } else if (cy < 0 || cy >= m_[1]) {
        continue;
      }
      for (int dx = -reach_[0]; dx <= reach_[0]; ++dx) {
        int cx = c[0] + dx, nx = 0;
        if (box_.periodic(0)) {
          nx = static_cast<int>(std::floor(static_cast<double>(cx) / m_[0]));
          cx -= nx * m_[0];
        } else if (cx < 0 || cx >= m_[0]) {
          continue;
        }
        // Lattice translation of this neighbour cell relative to the wrapped copy: n·H (row vectors).
        const Vec3 shift = nx * h.row(0).transpose() + ny * h.row(1).transpose() + nz * h.row(2).transpose();
        const Vec3 base = shift - x;
        const bool zero_shift = nx == 0 && ny == 0 && nz == 0;
        const int cell = (cz * m_[1] + cy) * m_[0] + cx;
        for (int e = start_[static_cast<std::size_t>(cell)]; e < start_[static_cast<std::size_t>(cell) + 1]; ++e) {
          const Vec3 d = sx_[static_cast<std::size_t>(e)] + base;
          const double r2 = d.squaredNorm();
          if (r2 > cutoff2_) continue;
          const int j = sidx_[static_cast<std::size_t>(e)];
          if (j == self && zero_shift) continue;
          f(j, d, r2);
        }
      }
    }
  }
}

}  // namespace e3md::analysis
