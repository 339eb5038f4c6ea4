// Periodic cell list for analysis pair searches with any cutoff, including cutoffs beyond half the cell:
// a neighbour cell reached through the periodic wrap carries the lattice translation, and when the cutoff
// exceeds the cell the offsets simply run over several periods, so every periodic image within the cutoff
// is visited exactly once (an explicit image loop folded into the cell loop). Works for triclinic cells:
// the number of cells searched along k follows the plane spacing, not the vector length.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>
#include <vector>

#include "engine/box.hpp"

namespace e3md::analysis {

class CellList {
 public:
  // Bins `members` (indices into positions) for searches up to `cutoff` Å. Cells are about cutoff/2 wide,
  // which searches ~15.6 cutoff³ instead of 27 cutoff³ with cutoff-wide cells.
  CellList(const Box& box, const std::vector<Vec3>& positions, const std::vector<int>& members,
           double cutoff);

  // Position of atom `atom` mapped into the cell along periodic directions (Å).
  Vec3 wrapped(const Vec3& x) const;

  // Calls f(j, dx, r2) for every member j and lattice image with |dx| <= cutoff, dx = x_j(image) - x,
  // where x is a position already passed through wrapped(). The pair of `self` with its own zero-shift
  // copy is skipped (pass -1 to keep everything).
  template <class F>
  void visit(const Vec3& x, int self, F&& f) const {
    visit_impl<false>(x, self, f);
  }
  // Flat cell index of a wrapped position, and the number of cells.
  int cell_index(const Vec3& wrapped_x) const {
    const auto c = cell_of(box_.to_fractional(wrapped_x));
    return (c[2] * m_[1] + c[1]) * m_[0] + c[0];
  }
  int cells() const { return m_[0] * m_[1] * m_[2]; }

  // Members sorted by cell: entries [begin(cell), end(cell)) are the members binned in `cell`, in the order
  // of `members`; sorted(k) is the wrapped k-th Cartesian coordinate of every entry (structure of arrays, so
  // that pair loops over a run of entries vectorise) and atom(e) the atom index of entry e.
  int begin(int cell) const { return start_[static_cast<std::size_t>(cell)]; }
  int end(int cell) const { return start_[static_cast<std::size_t>(cell) + 1]; }
  const double* sorted(int k) const { return sxs_[static_cast<std::size_t>(k)].data(); }
  int atom(int e) const { return sidx_[static_cast<std::size_t>(e)]; }

  // Calls f(e0, e1, shift) for every contiguous run [e0, e1) of entries in the cells within reach of `cell`,
  // with the lattice translation `shift` to add to their positions: neighbour cells adjacent along a are
  // merged into one run, so that loops are long. Every (cell, lattice image) within reach is visited once,
  // including `cell` itself with zero shift. With Half, only the neighbour offsets after zero in (c, b, a)
  // lexicographic order, and not `cell` itself: for a group paired with itself, these runs plus the pairs
  // within each cell give every unordered pair (and every pair of an atom with its own periodic images)
  // exactly once, since offset −d from the other cell would give the same pairs again.
  template <bool Half, class F>
  void for_each_run(int cell, F&& f) const;

  double cutoff() const { return cutoff_; }

 private:
  std::array<int, 3> cell_of(const Vec3& s) const;
  template <bool Upper, class F>
  void visit_impl(const Vec3& x, int self, F& f) const;

  Box box_;
  double cutoff_, cutoff2_;
  std::array<int, 3> m_{{1, 1, 1}};                         // cells per direction
  std::array<int, 3> reach_{{1, 1, 1}};                     // cells searched on each side
  std::array<double, 3> lo_{{0, 0, 0}}, width_{{1, 1, 1}};  // fractional origin and cell width
  // Per direction, for v = c + d + reach: (cell index or -1 outside a non-periodic edge, lattice image).
  std::array<std::vector<std::pair<int, int>>, 3> wrap_;
  std::vector<int> start_;                  // first sorted entry of each cell (size ncell + 1)
  std::vector<Vec3> sx_;                    // wrapped positions, sorted by cell
  std::array<std::vector<double>, 3> sxs_;  // the same, one array per Cartesian component
  std::vector<int> sidx_;                   // atom index of each sorted entry
};

template <bool Upper, class F>
void CellList::visit_impl(const Vec3& x, int self, F& f) const {
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
        for (int e = start_[static_cast<std::size_t>(cell)]; e < start_[static_cast<std::size_t>(cell) + 1];
             ++e) {
          const int j = sidx_[static_cast<std::size_t>(e)];
          if (Upper && j < self) continue;
          const Vec3 d = sx_[static_cast<std::size_t>(e)] + base;
          const double r2 = d.squaredNorm();
          if (r2 > cutoff2_) continue;
          if (j == self && zero_shift) continue;
          f(j, d, r2);
        }
      }
    }
  }
}

template <bool Half, class F>
void CellList::for_each_run(int cell, F&& f) const {
  const int c0 = cell % m_[0], c1 = (cell / m_[0]) % m_[1], c2 = cell / (m_[0] * m_[1]);
  const Vec3 a = box_.vector(0), b = box_.vector(1), cv = box_.vector(2);
  // Neighbour cell indices and lattice images come from per-direction tables (no divisions here).
  for (int dz = Half ? 0 : -reach_[2]; dz <= reach_[2]; ++dz) {
    const auto& wz = wrap_[2][static_cast<std::size_t>(c2 + dz + reach_[2])];
    if (wz.first < 0) continue;
    const Vec3 sz = wz.second * cv;
    for (int dy = (Half && dz == 0) ? 0 : -reach_[1]; dy <= reach_[1]; ++dy) {
      const auto& wy = wrap_[1][static_cast<std::size_t>(c1 + dy + reach_[1])];
      if (wy.first < 0) continue;
      const Vec3 syz = sz + wy.second * b;
      const int row = (wz.first * m_[1] + wy.first) * m_[0];
      // Runs of consecutive cells along a with one lattice image.
      int lo = -1, hi = -1, img = 0;
      auto flush = [&]() {
        if (lo >= 0)
          f(start_[static_cast<std::size_t>(row + lo)], start_[static_cast<std::size_t>(row + hi) + 1],
            Vec3(syz + img * a));
        lo = -1;
      };
      for (int dx = (Half && dz == 0 && dy == 0) ? 1 : -reach_[0]; dx <= reach_[0]; ++dx) {
        const auto& wx = wrap_[0][static_cast<std::size_t>(c0 + dx + reach_[0])];
        if (wx.first < 0) {
          flush();
          continue;
        }
        if (lo >= 0 && wx.second == img && wx.first == hi + 1) {
          hi = wx.first;
          continue;
        }
        flush();
        lo = hi = wx.first;
        img = wx.second;
      }
      flush();
    }
  }
}

}  // namespace e3md::analysis
