// Per-rank atom storage, structure of arrays. Indices [0, nlocal) are atoms this rank owns, indices
// [nlocal, nlocal + nghost) are ghost copies of atoms owned elsewhere (or periodic images of own atoms).
// Ghost entries of x are owner position + box.shift(ghost_shift): the shift is an exact integer
// lattice translation, which is what lets NequIP edges and virials use ghosts like any neighbour.
#pragma once

#include <string>
#include <vector>

#include "engine/types.hpp"

namespace e3md {

struct Atoms {
  int nlocal = 0;
  int nghost = 0;

  // Per-atom data, sized nlocal + nghost. Owned entries are authoritative; ghost entries are copies.
  std::vector<AtomId> id;
  std::vector<int> type;   // index into the species table of the System
  std::vector<Vec3> x;     // Å
  std::vector<Vec3> v;     // Å/ps (ghost entries not maintained)
  std::vector<Vec3> f;     // eV/Å
  std::vector<Vec3i> image;        // image counters of owned atoms (unwrapped = x + box.shift(image))
  std::vector<Vec3i> ghost_shift;  // lattice translation of each ghost relative to its owner (zero for owned)

  int ntotal() const { return nlocal + nghost; }

  // Sizes every array for n owned atoms and no ghosts.
  void resize_local(int n);
  // Drops ghosts, keeping owned atoms.
  void clear_ghosts();
  // Appends one owned atom (called before any ghosts exist).
  void push_local(AtomId gid, int t, const Vec3& pos, const Vec3& vel, const Vec3i& img);
};

// Species table: names and masses by type index.
struct SpeciesTable {
  std::vector<std::string> names;
  std::vector<double> masses;  // amu
  int size() const { return static_cast<int>(names.size()); }
  // Type index of a name, or -1.
  int find(const std::string& name) const;
};

}  // namespace e3md
