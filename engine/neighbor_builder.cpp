// Linked cells in fractional coordinates. Binning in s rather than x makes a general triclinic cell no
// harder than an orthogonal one: two atoms closer than r differ in s_k by at most r / plane_spacing(k)
// (the reciprocal vector b_k has length 1 / plane_spacing(k)), so with bins at least that wide every
// neighbour lies in the 3×3×3 block around an atom's bin. Ghosts already carry every periodic image the
// list may need, so the bins cover the ghost-extended region and never wrap.
#include "engine/neighbor_builder.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace e3md {

namespace {

// The half-list ownership rule of engine/neighbor_list.hpp: each physical pair is kept once over all
// ranks and images. i is always an owned atom (ghost_shift zero).
bool keep_in_half_list(AtomId id_i, AtomId id_j, const Vec3i& shift_j) {
  if (id_i != id_j) return id_i < id_j;
  for (int k = 0; k < 3; ++k) {
    if (shift_j[k] != 0) return shift_j[k] > 0;
  }
  return false;  // the atom itself
}

}  // namespace

void NeighborBuilder::build(const Box& box, const Atoms& atoms, NeighborKind kind, NeighborList& list) {
  const double rc = cutoff_ + skin_;
  if (!(cutoff_ >= 0.0) || !(skin_ >= 0.0) || !std::isfinite(rc)) {
    throw std::runtime_error("NeighborBuilder: cutoff " + std::to_string(cutoff_) + " Å and skin " +
                             std::to_string(skin_) +
                             " Å must be finite and non-negative; fix the potential "
                             "cutoff or the neighbor skin in the deck");
  }
  const int n = atoms.ntotal();
  const int nlocal = atoms.nlocal;
  if (static_cast<int>(atoms.x.size()) < n || static_cast<int>(atoms.id.size()) < n ||
      static_cast<int>(atoms.ghost_shift.size()) < n) {
    throw std::runtime_error("NeighborBuilder::build: atom arrays hold fewer than nlocal + nghost = " +
                             std::to_string(n) + " entries; resize Atoms consistently (Atoms::push_local)");
  }
  list.kind = kind;
  list.cutoff = cutoff_;
  list.skin = skin_;
  list.offsets.resize(static_cast<std::size_t>(nlocal) + 1);
  list.neighbors.clear();  // keeps capacity: no allocation unless the list grows
  ++builds_;
  x_ref_.resize(static_cast<std::size_t>(nlocal));
  std::copy(atoms.x.begin(), atoms.x.begin() + nlocal, x_ref_.begin());
  list.offsets[0] = 0;
  if (n == 0 || rc <= 0.0) {
    std::fill(list.offsets.begin(), list.offsets.end(), 0);
    return;
  }

  // Fractional coordinates and their range over local + ghost atoms.
  s_.resize(static_cast<std::size_t>(n));
  Vec3 smin = Vec3::Constant(std::numeric_limits<double>::infinity());
  Vec3 smax = -smin;
  for (int i = 0; i < n; ++i) {
    const Vec3 s = box.to_fractional(atoms.x[static_cast<std::size_t>(i)]);
    s_[static_cast<std::size_t>(i)] = s;
    smin = smin.cwiseMin(s);
    smax = smax.cwiseMax(s);
  }
  if (!smin.allFinite() || !smax.allFinite()) {
    throw std::runtime_error(
        "NeighborBuilder::build: non-finite atom position; check the time step and "
        "the forces");
  }

  // Bins at least rc / plane_spacing wide (a hair more, so round-off in s never splits a pair by two
  // bins). Vacuum or a stray atom could ask for a huge, mostly empty grid; cap the bin count near the
  // atom count by widening bins, which stays correct.
  std::array<int, 3> nb{};
  std::array<double, 3> width{};
  double total_bins = 1.0;
  for (int k = 0; k < 3; ++k) {
    const double min_width = rc / box.plane_spacing(k) * (1.0 + 1e-10);
    const double range = smax[k] - smin[k];
    nb[static_cast<std::size_t>(k)] = static_cast<int>(std::max(1.0, std::floor(range / min_width)));
    total_bins *= nb[static_cast<std::size_t>(k)];
  }
  const double max_bins = 8.0 * n + 64.0;
  if (total_bins > max_bins) {
    const double scale = std::cbrt(total_bins / max_bins);
    for (auto& b : nb) b = std::max(1, static_cast<int>(b / scale));
    // cbrt spreads the reduction evenly; an axis stuck at 1 can leave the product above the cap.
    while (static_cast<double>(nb[0]) * nb[1] * nb[2] > max_bins) {
      auto* largest = &*std::max_element(nb.begin(), nb.end());
      *largest = std::max(1, *largest / 2);
    }
  }
  for (int k = 0; k < 3; ++k) {
    const double range = smax[k] - smin[k];
    width[static_cast<std::size_t>(k)] = range > 0.0 ? range / nb[static_cast<std::size_t>(k)] : 1.0;
  }
  const int nbins = nb[0] * nb[1] * nb[2];

  // Counting sort of atoms by bin: cell_head_ holds bin offsets, cell_next_ the atoms in bin order.
  atom_bin_.resize(static_cast<std::size_t>(n));
  cell_head_.assign(static_cast<std::size_t>(nbins) + 1, 0);
  for (int i = 0; i < n; ++i) {
    const Vec3& s = s_[static_cast<std::size_t>(i)];
    int b[3];
    for (int k = 0; k < 3; ++k) {
      const auto uk = static_cast<std::size_t>(k);
      b[k] = std::min(nb[uk] - 1, std::max(0, static_cast<int>(std::floor((s[k] - smin[k]) / width[uk]))));
    }
    const int bin = (b[0] * nb[1] + b[1]) * nb[2] + b[2];
    atom_bin_[static_cast<std::size_t>(i)] = bin;
    ++cell_head_[static_cast<std::size_t>(bin) + 1];
  }
  for (int b = 0; b < nbins; ++b)
    cell_head_[static_cast<std::size_t>(b) + 1] += cell_head_[static_cast<std::size_t>(b)];
  cell_next_.resize(static_cast<std::size_t>(n));
  // Fill from the back with decrementing cursors so each bin keeps ascending atom order.
  for (int i = n - 1; i >= 0; --i) {
    const auto bin = static_cast<std::size_t>(atom_bin_[static_cast<std::size_t>(i)]);
    cell_next_[static_cast<std::size_t>(--cell_head_[bin + 1])] = i;
  }
  // The cursors left cell_head_[b + 1] at the start of bin b; shift them down one slot.
  for (int b = 0; b < nbins; ++b)
    cell_head_[static_cast<std::size_t>(b)] = cell_head_[static_cast<std::size_t>(b) + 1];
  cell_head_[static_cast<std::size_t>(nbins)] = n;

  const double rc2 = rc * rc;
  const bool half = kind == NeighborKind::Half;
  for (int i = 0; i < nlocal; ++i) {
    const auto ui = static_cast<std::size_t>(i);
    const Vec3& xi = atoms.x[ui];
    const int bin = atom_bin_[ui];
    const int bx = bin / (nb[1] * nb[2]);
    const int by = (bin / nb[2]) % nb[1];
    const int bz = bin % nb[2];
    for (int ix = std::max(0, bx - 1); ix <= std::min(nb[0] - 1, bx + 1); ++ix) {
      for (int iy = std::max(0, by - 1); iy <= std::min(nb[1] - 1, by + 1); ++iy) {
        for (int iz = std::max(0, bz - 1); iz <= std::min(nb[2] - 1, bz + 1); ++iz) {
          const auto b = static_cast<std::size_t>((ix * nb[1] + iy) * nb[2] + iz);
          for (int q = cell_head_[b]; q < cell_head_[b + 1]; ++q) {
            const int j = cell_next_[static_cast<std::size_t>(q)];
            if (j == i) continue;
            const auto uj = static_cast<std::size_t>(j);
            if (half && !keep_in_half_list(atoms.id[ui], atoms.id[uj], atoms.ghost_shift[uj])) continue;
            if ((atoms.x[uj] - xi).squaredNorm() < rc2) list.neighbors.push_back(j);
          }
        }
      }
    }
    list.offsets[ui + 1] = static_cast<int>(list.neighbors.size());
  }
}

bool NeighborBuilder::needs_rebuild(const Atoms& atoms, MPI_Comm comm) const {
  int moved = 0;
  if (builds_ == 0 || static_cast<int>(x_ref_.size()) != atoms.nlocal) {
    moved = 1;  // never built, or atoms were added/removed/migrated since
  } else {
    const double limit2 = 0.25 * skin_ * skin_;
    for (int i = 0; i < atoms.nlocal; ++i) {
      const auto ui = static_cast<std::size_t>(i);
      if ((atoms.x[ui] - x_ref_[ui]).squaredNorm() > limit2) {
        moved = 1;
        break;
      }
    }
  }
  int any = 0;
  MPI_Allreduce(&moved, &any, 1, MPI_INT, MPI_LOR, comm);
  return any != 0;
}

}  // namespace e3md
