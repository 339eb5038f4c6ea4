// MPI brick domain decomposition with LAMMPS-style six-swap ghost exchange.
//
// The cell is split in fractional coordinates into a Px×Py×Pz grid of subdomains (an MPI Cartesian
// communicator). Ghost atoms are copies, within `ghost_cutoff` of a subdomain face, of atoms owned by the
// neighbouring subdomains or periodic images of any atom. They are found by swaps in −x, +x, −y, +y, −z,
// +z order (each later swap also forwards ghosts received earlier, which fills edges and corners), with
// as many swaps per direction as the cutoff spans subdomains — a cutoff larger than the whole cell gives
// several periodic images. One rank is the same code path: every swap is a periodic self-swap.
//
//   exchange():  migrate owned atoms to the rank whose subdomain holds them (wrapping periodic ones)
//   borders():   rebuild the ghost lists and ghost atoms (ids, types, positions, ghost_shift)
//   forward_positions(): refresh ghost x from owners (x_owner + box.shift(ghost_shift))
//   forward(): copy any per-atom field (width values per atom) from owners to ghosts
//   reverse(): sum any per-atom field from ghosts back into owners (ghost entries are left unchanged)
//   forward_start()/forward_finish(), reverse_start()/reverse_finish(): the same in two halves, the messages
//     in flight in between (halo_features.cpp says which swaps can go early), progress() lets them move
//   forward(space, ...)/reverse(space, ...): the same for a field in device memory (halo_space.cpp)
#pragma once

#include <mpi.h>

#include <array>
#include <cstdint>
#include <vector>

#include "engine/atoms.hpp"
#include "engine/box.hpp"

namespace e3md {

class FieldSpace;  // engine/field_space.hpp

class HaloExchange {
 public:
  // grid: {0,0,0} chooses the grid that minimises the ghost surface for this box; otherwise the
  // product must equal the communicator size.
  HaloExchange(MPI_Comm comm, const Box& box, std::array<int, 3> grid = {0, 0, 0});
  ~HaloExchange();
  HaloExchange(const HaloExchange&) = delete;
  HaloExchange& operator=(const HaloExchange&) = delete;

  MPI_Comm comm() const { return cart_; }
  int rank() const { return rank_; }
  int size() const { return size_; }
  const std::array<int, 3>& grid() const { return grid_; }
  const std::array<int, 3>& coords() const { return coords_; }
  // Fractional bounds of this rank's subdomain along each axis.
  double lo(int k) const { return lo_[static_cast<std::size_t>(k)]; }
  double hi(int k) const { return hi_[static_cast<std::size_t>(k)]; }

  // Must be called when the box changes shape (barostat) and before borders().
  void set_box(const Box& box);
  void set_ghost_cutoff(double cutoff) { ghost_cutoff_ = cutoff; }
  double ghost_cutoff() const { return ghost_cutoff_; }

  // Hands out the atoms of a whole structure (given on every rank) to their owners.
  // types are indices into the species table; velocities may be empty.
  void distribute(const std::vector<AtomId>& ids, const std::vector<int>& types,
                  const std::vector<Vec3>& positions, const std::vector<Vec3>& velocities,
                  const std::vector<Vec3i>& images, Atoms& atoms) const;

  void exchange(Atoms& atoms);
  void borders(Atoms& atoms);
  void forward_positions(Atoms& atoms);
  void forward(double* data, int width);
  void forward(float* data, int width);
  void reverse(double* data, int width);
  void reverse(float* data, int width);
  void reverse_forces(Atoms& atoms) { reverse(atoms.f.data()->data(), 3); }
  // The non-blocking halves; finish takes the same array and width, and no other exchange may start in
  // between. Between forward_start and forward_finish the caller may read the owned rows of `data` but write
  // none of it (the finish may still pack owned rows; ghost rows are arriving). Between reverse_start and
  // reverse_finish it may add into owned rows (the finish adds the ghosts' sums on top) but must leave the
  // ghost rows alone. forward() = forward_start() + forward_finish(), reverse() likewise.
  void forward_start(double* data, int width);
  void forward_start(float* data, int width);
  void forward_finish(double* data, int width);
  void forward_finish(float* data, int width);
  void reverse_start(double* data, int width);
  void reverse_start(float* data, int width);
  void reverse_finish(double* data, int width);
  void reverse_finish(float* data, int width);
  // Lets MPI move the messages of a started exchange (MPI_Testall); call it now and then while computing.
  void progress();
  // forward()/reverse() of a field whose rows live in `space` (a GPU's memory): rows are packed and added
  // back by the space's kernels, and MPI is handed the space's buffers or host copies of them
  // (FieldSpace::mpi_direct). Blocking; the same swaps, order and sums as the host exchange.
  void forward(FieldSpace& space, double* data, int width);
  void forward(FieldSpace& space, float* data, int width);
  void reverse(FieldSpace& space, double* data, int width);
  void reverse(FieldSpace& space, float* data, int width);

  // Sum over ranks.
  double allreduce_sum(double value) const;
  void allreduce_sum(double* values, int n) const;
  // Bytes sent by this rank to other ranks in forward()/reverse() since the last reset (communication
  // model checks); periodic self-swaps copy in memory and count nothing.
  std::uint64_t bytes_sent() const { return bytes_sent_; }
  void reset_bytes_sent() { bytes_sent_ = 0; }
  // Wall time (s) this rank spent in forward_positions()/forward()/reverse() since the last reset: packing,
  // messages and waiting for the neighbours (the communication share of a step).
  double halo_seconds() const { return halo_seconds_; }
  void reset_halo_seconds() { halo_seconds_ = 0.0; }

  // The swaps recorded by the last borders(), in execution order (diagnostics and tests): atoms sent
  // and ghosts received by each.
  int num_swaps() const;
  int swap_send_count(int swap) const;
  int swap_recv_count(int swap) const;

  struct Impl;  // engine/halo_exchange_impl.hpp

 private:
  template <typename Real>
  void forward_start_impl(Real* data, int width);
  template <typename Real>
  void forward_finish_impl(Real* data, int width);
  template <typename Real>
  void reverse_start_impl(Real* data, int width);
  template <typename Real>
  void reverse_finish_impl(Real* data, int width);
  template <typename Real>
  void forward_space_impl(FieldSpace& space, Real* data, int width);
  template <typename Real>
  void reverse_space_impl(FieldSpace& space, Real* data, int width);

  Impl* impl_ = nullptr;
  MPI_Comm cart_ = MPI_COMM_NULL;
  int rank_ = 0;
  int size_ = 1;
  std::array<int, 3> grid_{{1, 1, 1}};
  std::array<int, 3> coords_{{0, 0, 0}};
  std::array<double, 3> lo_{{0, 0, 0}};
  std::array<double, 3> hi_{{1, 1, 1}};
  double ghost_cutoff_ = 0.0;
  Box box_;
  std::uint64_t bytes_sent_ = 0;
  double halo_seconds_ = 0.0;
};

}  // namespace e3md
