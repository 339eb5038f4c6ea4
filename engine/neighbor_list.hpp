// Neighbor lists in compressed-row form over local + ghost atoms.
//
// Row i (0 <= i < nlocal) lists indices j into the local+ghost arrays with |x_j − x_i| < cutoff + skin.
// Full lists hold every such j. Half lists hold each physical pair exactly once across all ranks and all
// periodic images: the pair (i, j) is kept on the owner of i iff id(i) < id(j), or id(i) == id(j) (an
// atom and its own periodic image) and ghost_shift(j) is lexicographically positive. Forces on ghost
// atoms are then summed back to their owners by reverse communication.
#pragma once

#include <vector>

#include "engine/atoms.hpp"
#include "engine/box.hpp"

namespace e3md {

enum class NeighborKind { Full, Half };

struct NeighborList {
  NeighborKind kind = NeighborKind::Full;
  double cutoff = 0.0;   // interaction cutoff (Å)
  double skin = 0.0;     // Verlet skin (Å)
  std::vector<int> offsets;    // size nlocal + 1
  std::vector<int> neighbors;  // size offsets.back()

  int nlocal() const { return offsets.empty() ? 0 : static_cast<int>(offsets.size()) - 1; }
  int begin(int i) const { return offsets[static_cast<std::size_t>(i)]; }
  int end(int i) const { return offsets[static_cast<std::size_t>(i) + 1]; }
};

}  // namespace e3md
