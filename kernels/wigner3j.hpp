// Real Wigner-3j tensors C^{(l1,l2,l3)} in e3nn 0.5's convention (spec §7.5): the Condon-Shortley
// Clebsch-Gordan table (Racah's formula) rotated to e3nn's real basis, real part taken, scaled to unit
// Frobenius norm. Computed in extended precision at first use, stored sparsely, cached per (l1,l2,l3).
#pragma once

#include <array>
#include <map>
#include <vector>

namespace e3md::kernels {

struct W3jEntry {
  int i, j, k;  // component indices 0..2l1, 0..2l2, 0..2l3 (e3nn order)
  double value;
};

struct Wigner3jTable {
  int l1 = 0, l2 = 0, l3 = 0;
  std::vector<W3jEntry> entries;  // non-zeros only

  // Dense (2l1+1)(2l2+1)(2l3+1) array, row-major [i][j][k].
  std::vector<double> dense() const;
  // A table given densely (e.g. the float32-rounded `_w3j_*` buffers of a model); exact zeros are dropped.
  // Throws std::invalid_argument when the size does not match (2l1+1)(2l2+1)(2l3+1).
  static Wigner3jTable from_dense(int l1, int l2, int l3, const std::vector<double>& c);
};

// Tables that replace the computed ones, keyed by (l1, l2, l3).
using Wigner3jOverrides = std::map<std::array<int, 3>, Wigner3jTable>;

// Standard Clebsch-Gordan coefficient <l1 m1; l2 m2 | l3 m3> (Condon-Shortley phase), integer l.
long double clebsch_gordan(int l1, int m1, int l2, int m2, int l3, int m3);

// The cached table; thread-safe. Throws std::invalid_argument when the triangle rule fails or l > 12.
const Wigner3jTable& wigner_3j(int l1, int l2, int l3);

// The override when one is given for (l1,l2,l3), else the computed table.
const Wigner3jTable& wigner_3j(int l1, int l2, int l3, const Wigner3jOverrides* overrides);

}  // namespace e3md::kernels
