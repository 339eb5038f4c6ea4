// Builds NeighborLists with linked cells over local + ghost atoms and decides when to rebuild them
// (Verlet skin: any atom moved more than skin/2 since the last build, checked across all ranks).
#pragma once

#include <mpi.h>

#include <vector>

#include "engine/atoms.hpp"
#include "engine/box.hpp"
#include "engine/neighbor_list.hpp"

namespace e3md {

class NeighborBuilder {
 public:
  NeighborBuilder(double cutoff, double skin) : cutoff_(cutoff), skin_(skin) {}
  double cutoff() const { return cutoff_; }
  double skin() const { return skin_; }
  // Ghost shell the halo must provide for lists built by this builder (Å).
  double ghost_cutoff() const { return cutoff_ + skin_; }

  // Builds `list` of the given kind for the current local + ghost atoms and records the reference
  // positions of owned atoms for needs_rebuild().
  void build(const Box& box, const Atoms& atoms, NeighborKind kind, NeighborList& list);
  // True on every rank if any owned atom anywhere moved more than skin/2 since the last build (collective).
  bool needs_rebuild(const Atoms& atoms, MPI_Comm comm) const;
  // Number of builds so far.
  long builds() const { return builds_; }

 private:
  double cutoff_;
  double skin_;
  long builds_ = 0;
  std::vector<Vec3> x_ref_;
  // Binning scratch, reused between builds: fractional coordinates, bin of each atom, and the atoms
  // sorted by bin (bin b holds cell_next_[cell_head_[b] .. cell_head_[b+1])).
  std::vector<Vec3> s_;
  std::vector<int> atom_bin_;
  std::vector<int> cell_head_, cell_next_;
};

}  // namespace e3md
