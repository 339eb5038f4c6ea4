// Internals shared by the halo's files (halo_exchange.cpp: decomposition, migration, ghosts, positions;
// halo_features.cpp: forward and reverse exchange of per-atom fields). Not part of the engine's interface.
#pragma once

#include <mpi.h>

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/halo_exchange.hpp"

namespace e3md {
namespace halo_detail {

// One ghost as it travels in borders(): the owner's position and the accumulated lattice translation,
// so that the receiver forms x = x_owner + box.shift(shift) exactly as the header promises.
struct GhostRecord {
  std::int64_t id;
  std::int32_t type;
  std::int32_t shift[3];
  double x_owner[3];
};

// One owned atom leaving its rank in exchange().
struct MigrantRecord {
  std::int64_t id;
  std::int32_t type;
  std::int32_t image[3];
  double x[3];
  double v[3];
  double f[3];  // kept so that an integrator may migrate between its two half-steps
};

inline MPI_Datatype mpi_type(const double*) { return MPI_DOUBLE; }
inline MPI_Datatype mpi_type(const float*) { return MPI_FLOAT; }

// Tags keep borders, forward and reverse messages apart if a caller interleaves them; the field exchanges add
// the swap's number, so that swaps in flight together never match each other's messages.
constexpr int kTagCount = 301;
constexpr int kTagGhost = 302;
constexpr int kTagForward = 1000;
constexpr int kTagReverse = 2000;

// Largest number of swaps per direction; beyond this the cutoff spans so many cells that the ghost
// count, not the communication, is the problem.
constexpr int kMaxNeed = 64;

// Adds the wall time of its scope to a counter.
struct ScopeTimer {
  explicit ScopeTimer(double& total) : total_(total), t0_(MPI_Wtime()) {}
  ~ScopeTimer() { total_ += MPI_Wtime() - t0_; }
  ScopeTimer(const ScopeTimer&) = delete;
  ScopeTimer& operator=(const ScopeTimer&) = delete;
  double& total_;
  double t0_;
};

// One of the recorded swaps: atoms in sendlist go to sendproc (shifted by `shift`); nrecv ghosts come
// from recvproc and are stored at [first_recv, first_recv + nrecv).
struct Swap {
  int dim = 0;
  int dir = 0;  // 0: towards the lower neighbour (−), 1: towards the upper neighbour (+)
  int sendproc = MPI_PROC_NULL;
  int recvproc = MPI_PROC_NULL;
  Vec3i shift = Vec3i::Zero();
  std::vector<int> sendlist;
  int first_recv = 0;
  int nrecv = 0;
  int max_send = -1;  // largest index in sendlist (>= nlocal: the swap forwards ghosts of earlier swaps)
};

}  // namespace halo_detail

struct HaloExchange::Impl {
  std::array<std::array<int, 2>, 3> neighbor{};  // [dim][0] lower, [dim][1] upper rank
  std::vector<halo_detail::Swap> swaps;          // storage reused between borders() calls
  int nswap = 0;
  bool ghosts_valid = false;  // borders() ran since the last exchange()
  int nlocal_built = 0;
  int nghost_built = 0;
  // Of the swap lists, unique across halos: device copies of the lists are uploaded again when it changes.
  std::uint64_t generation = 0;
  std::vector<Vec3> x_owner;  // owner position of each ghost, indexed by ghost index − nlocal
  std::vector<halo_detail::GhostRecord> gsend, grecv;
  std::vector<halo_detail::MigrantRecord> msend, mrecv;
  std::vector<int> mdest, scount, rcount, sdispl, rdispl, keep;
  std::vector<double> dsend, drecv;  // forward_positions()

  // Field exchanges: a buffer per swap (messages of several swaps are in flight at once), the ghost rows
  // being summed by a reverse exchange, and what a started exchange has left for its finish.
  std::vector<std::vector<double>> dswap;
  std::vector<std::vector<float>> fswap;
  std::vector<double> dacc;
  std::vector<float> facc;
  std::vector<MPI_Request> requests;
  std::vector<int> posted;  // swaps whose messages are in flight, in the order they were posted
  int next_swap = 0;        // forward: first swap left to the finish; reverse: the last one (counting down)
  int inflight = 0;         // 0 none, 1 forward, 2 reverse
  const void* inflight_data = nullptr;
  int inflight_width = 0;

  std::vector<std::vector<double>>& swap_buffers(double*) { return dswap; }
  std::vector<std::vector<float>>& swap_buffers(float*) { return fswap; }
  std::vector<double>& ghost_sums(double*) { return dacc; }
  std::vector<float>& ghost_sums(float*) { return facc; }
};

namespace halo_detail {

// A field exchange needs the ghost lists of the current atoms and no other exchange in flight.
inline void check_ready(const HaloExchange::Impl& m, const char* what) {
  if (!m.ghosts_valid) {
    throw std::runtime_error(std::string("HaloExchange::") + what +
                             ": no ghost lists; call borders() after exchange()");
  }
  if (m.inflight != 0) {
    throw std::logic_error(std::string("HaloExchange::") + what +
                           ": an exchange is in flight; finish it before starting another");
  }
}

}  // namespace halo_detail
}  // namespace e3md
