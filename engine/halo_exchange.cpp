// Brick decomposition and six-swap ghost exchange (the scheme of docs/architecture.md, "Domain
// decomposition"): grid, migration, ghost lists and ghost positions. Swap lists recorded by borders() are
// replayed by every forward/reverse call (halo_features.cpp), so the ghost layout of one neighbor-list
// lifetime is fixed and per-layer feature exchange costs one message pair per swap with no allocation once
// the buffers have grown.
#include "engine/halo_exchange.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>

#include "engine/decomposition.hpp"
#include "engine/halo_exchange_impl.hpp"

namespace e3md {

using namespace halo_detail;

HaloExchange::HaloExchange(MPI_Comm comm, const Box& box, std::array<int, 3> grid)
    : impl_(new Impl), box_(box) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    delete impl_;
    throw std::runtime_error("HaloExchange: MPI is not initialized; call MPI_Init before building the halo");
  }
  int nranks = 1;
  MPI_Comm_size(comm, &nranks);
  try {
    grid_ = grid == std::array<int, 3>{{0, 0, 0}} ? choose_grid(box, nranks) : grid;
    validate_grid(grid_, nranks);
  } catch (...) {
    delete impl_;
    throw;
  }
  int dims[3] = {grid_[0], grid_[1], grid_[2]};
  int periods[3] = {box.periodic(0) ? 1 : 0, box.periodic(1) ? 1 : 0, box.periodic(2) ? 1 : 0};
  // No reordering: rank r of `comm` stays rank r, so callers can match ranks across communicators.
  MPI_Cart_create(comm, 3, dims, periods, 0, &cart_);
  MPI_Comm_rank(cart_, &rank_);
  MPI_Comm_size(cart_, &size_);
  int c[3] = {0, 0, 0};
  MPI_Cart_coords(cart_, rank_, 3, c);
  for (int k = 0; k < 3; ++k) {
    const auto uk = static_cast<std::size_t>(k);
    coords_[uk] = c[k];
    lo_[uk] = subdomain_bound(c[k], grid_[uk]);
    hi_[uk] = subdomain_bound(c[k] + 1, grid_[uk]);
    MPI_Cart_shift(cart_, k, 1, &impl_->neighbor[uk][0], &impl_->neighbor[uk][1]);
  }
}

HaloExchange::~HaloExchange() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized && cart_ != MPI_COMM_NULL) MPI_Comm_free(&cart_);
  delete impl_;
}

void HaloExchange::set_box(const Box& box) {
  for (int k = 0; k < 3; ++k) {
    if (box.periodic(k) != box_.periodic(k)) {
      throw std::runtime_error("HaloExchange::set_box: periodicity of axis " + std::to_string(k) +
                               " changed; build a new HaloExchange when the boundary conditions change");
    }
  }
  box_ = box;
}

void HaloExchange::distribute(const std::vector<AtomId>& ids, const std::vector<int>& types,
                              const std::vector<Vec3>& positions, const std::vector<Vec3>& velocities,
                              const std::vector<Vec3i>& images, Atoms& atoms) const {
  const std::size_t n = positions.size();
  if (ids.size() != n || types.size() != n || (!velocities.empty() && velocities.size() != n) ||
      (!images.empty() && images.size() != n)) {
    throw std::runtime_error("HaloExchange::distribute: ids (" + std::to_string(ids.size()) + "), types (" +
                             std::to_string(types.size()) + "), velocities (" +
                             std::to_string(velocities.size()) + ") and images (" +
                             std::to_string(images.size()) + ") must match positions (" + std::to_string(n) +
                             "); pass empty velocities/images for zeros");
  }
  atoms.resize_local(0);
  for (std::size_t i = 0; i < n; ++i) {
    // Checked before wrapping: a non-finite coordinate must not reach Box::wrap's floor().
    check_nonperiodic_extent(box_, box_.to_fractional(positions[i]), ids[i]);
    Vec3i image = images.empty() ? Vec3i::Zero() : images[i];
    const Vec3 x = box_.wrap(positions[i], image);
    const Vec3 s = box_.to_fractional(x);
    bool mine = true;
    for (int k = 0; k < 3 && mine; ++k) {
      mine = owner_coord(s[k], grid_[static_cast<std::size_t>(k)]) == coords_[static_cast<std::size_t>(k)];
    }
    if (mine) atoms.push_local(ids[i], types[i], x, velocities.empty() ? Vec3::Zero() : velocities[i], image);
  }
  impl_->ghosts_valid = false;
}

void HaloExchange::exchange(Atoms& atoms) {
  if (impl_->inflight != 0) {
    throw std::logic_error(
        "HaloExchange: exchange()/borders() while a field exchange is in flight; finish it first");
  }
  Impl& m = *impl_;
  atoms.clear_ghosts();
  m.ghosts_valid = false;
  const int nlocal = atoms.nlocal;
  m.mdest.assign(static_cast<std::size_t>(nlocal), rank_);
  // A bad atom must not make one rank throw while the others wait in the all-to-all below: the
  // verdict is agreed on collectively first.
  long long first_bad = -1;
  std::string bad_reason;
  for (int i = 0; i < nlocal; ++i) {
    const auto ui = static_cast<std::size_t>(i);
    try {
      check_nonperiodic_extent(box_, box_.to_fractional(atoms.x[ui]), atoms.id[ui]);
    } catch (const std::runtime_error& e) {
      if (first_bad < 0) {
        first_bad = atoms.id[ui];
        bad_reason = std::string("HaloExchange::exchange: ") + e.what();
      }
      continue;
    }
    atoms.x[ui] = box_.wrap(atoms.x[ui], atoms.image[ui]);
    const Vec3 s = box_.to_fractional(atoms.x[ui]);
    int c[3];
    for (int k = 0; k < 3; ++k) c[k] = owner_coord(s[k], grid_[static_cast<std::size_t>(k)]);
    if (c[0] != coords_[0] || c[1] != coords_[1] || c[2] != coords_[2]) {
      MPI_Cart_rank(cart_, c, &m.mdest[ui]);
    }
  }
  long long any_bad = first_bad >= 0 ? 1 : 0;
  MPI_Allreduce(MPI_IN_PLACE, &any_bad, 1, MPI_LONG_LONG, MPI_MAX, cart_);
  if (any_bad) {
    throw std::runtime_error(first_bad >= 0 ? bad_reason
                                            : "HaloExchange::exchange: an atom on another rank left the "
                                              "non-periodic extent (see that rank's message)");
  }
  if (size_ == 1) return;

  const auto usize = static_cast<std::size_t>(size_);
  m.scount.assign(usize, 0);
  for (int i = 0; i < nlocal; ++i) {
    const int d = m.mdest[static_cast<std::size_t>(i)];
    if (d != rank_) ++m.scount[static_cast<std::size_t>(d)];
  }
  m.sdispl.assign(usize + 1, 0);
  for (std::size_t r = 0; r < usize; ++r) m.sdispl[r + 1] = m.sdispl[r] + m.scount[r];
  m.msend.resize(static_cast<std::size_t>(m.sdispl[usize]));
  m.rdispl = m.sdispl;  // reused as fill cursors
  std::size_t kept = 0;
  for (int i = 0; i < nlocal; ++i) {
    const auto ui = static_cast<std::size_t>(i);
    const int d = m.mdest[ui];
    if (d == rank_) {
      if (kept != ui) {
        atoms.id[kept] = atoms.id[ui];
        atoms.type[kept] = atoms.type[ui];
        atoms.x[kept] = atoms.x[ui];
        atoms.v[kept] = atoms.v[ui];
        atoms.f[kept] = atoms.f[ui];
        atoms.image[kept] = atoms.image[ui];
      }
      ++kept;
      continue;
    }
    MigrantRecord& r = m.msend[static_cast<std::size_t>(m.rdispl[static_cast<std::size_t>(d)]++)];
    r.id = atoms.id[ui];
    r.type = atoms.type[ui];
    for (int k = 0; k < 3; ++k) {
      r.image[k] = atoms.image[ui][k];
      r.x[k] = atoms.x[ui][k];
      r.v[k] = atoms.v[ui][k];
      r.f[k] = atoms.f[ui][k];
    }
  }
  m.rcount.assign(usize, 0);
  MPI_Alltoall(m.scount.data(), 1, MPI_INT, m.rcount.data(), 1, MPI_INT, cart_);
  m.rdispl.assign(usize + 1, 0);
  for (std::size_t r = 0; r < usize; ++r) m.rdispl[r + 1] = m.rdispl[r] + m.rcount[r];
  m.mrecv.resize(static_cast<std::size_t>(m.rdispl[usize]));
  // Counts and displacements in bytes: records are plain structs sent as MPI_BYTE.
  const int rec = static_cast<int>(sizeof(MigrantRecord));
  for (std::size_t r = 0; r < usize; ++r) {
    m.scount[r] *= rec;
    m.rcount[r] *= rec;
    m.sdispl[r] *= rec;
    m.rdispl[r] *= rec;
  }
  MPI_Alltoallv(m.msend.data(), m.scount.data(), m.sdispl.data(), MPI_BYTE, m.mrecv.data(), m.rcount.data(),
                m.rdispl.data(), MPI_BYTE, cart_);

  const int nnew = static_cast<int>(kept + m.mrecv.size());
  atoms.nlocal = static_cast<int>(kept);
  atoms.clear_ghosts();  // truncates every array to the kept atoms
  atoms.id.resize(static_cast<std::size_t>(nnew));
  atoms.type.resize(static_cast<std::size_t>(nnew));
  atoms.x.resize(static_cast<std::size_t>(nnew));
  atoms.v.resize(static_cast<std::size_t>(nnew));
  atoms.f.resize(static_cast<std::size_t>(nnew));
  atoms.image.resize(static_cast<std::size_t>(nnew));
  atoms.ghost_shift.assign(static_cast<std::size_t>(nnew), Vec3i::Zero());
  for (std::size_t j = 0; j < m.mrecv.size(); ++j) {
    const MigrantRecord& r = m.mrecv[j];
    const std::size_t i = kept + j;
    atoms.id[i] = r.id;
    atoms.type[i] = r.type;
    atoms.x[i] = Vec3(r.x[0], r.x[1], r.x[2]);
    atoms.v[i] = Vec3(r.v[0], r.v[1], r.v[2]);
    atoms.f[i] = Vec3(r.f[0], r.f[1], r.f[2]);
    atoms.image[i] = Vec3i(r.image[0], r.image[1], r.image[2]);
  }
  atoms.nlocal = nnew;
}

void HaloExchange::borders(Atoms& atoms) {
  if (impl_->inflight != 0) {
    throw std::logic_error(
        "HaloExchange: exchange()/borders() while a field exchange is in flight; finish it first");
  }
  if (!(ghost_cutoff_ >= 0.0) || !std::isfinite(ghost_cutoff_)) {
    throw std::runtime_error("HaloExchange::borders: ghost cutoff " + std::to_string(ghost_cutoff_) +
                             " Å is not a finite non-negative length; set it with set_ghost_cutoff()");
  }
  Impl& m = *impl_;
  atoms.clear_ghosts();
  m.x_owner.clear();
  m.nswap = 0;
  const int nlocal = atoms.nlocal;
  for (int k = 0; k < 3; ++k) {
    const auto uk = static_cast<std::size_t>(k);
    const double cutfrac = ghost_cutoff_ / box_.plane_spacing(k);
    const int need = swaps_needed(cutfrac, grid_[uk], box_.periodic(k));
    if (need > kMaxNeed) {
      throw std::runtime_error("HaloExchange::borders: ghost cutoff " + std::to_string(ghost_cutoff_) +
                               " Å spans " + std::to_string(need) + " subdomains along axis " +
                               std::to_string(k) + "; use fewer ranks along that axis or a larger cell");
    }
    const Vec3 recip = box_.inverse().col(k);  // s_k = recip · x
    const int dim_end = atoms.ntotal();
    int prev_begin[2] = {0, 0};
    int prev_end[2] = {dim_end, dim_end};
    for (int n = 0; n < need; ++n) {
      for (int dir = 0; dir < 2; ++dir) {
        if (m.nswap == static_cast<int>(m.swaps.size())) m.swaps.emplace_back();
        Swap& sw = m.swaps[static_cast<std::size_t>(m.nswap++)];
        sw.dim = k;
        sw.dir = dir;
        sw.sendproc = m.neighbor[uk][static_cast<std::size_t>(dir)];
        sw.recvproc = m.neighbor[uk][static_cast<std::size_t>(1 - dir)];
        sw.shift = Vec3i::Zero();
        if (box_.periodic(k)) {
          if (dir == 0 && coords_[uk] == 0) sw.shift[k] = 1;
          if (dir == 1 && coords_[uk] == grid_[uk] - 1) sw.shift[k] = -1;
        }
        // The first swap of a direction scans owned atoms and the ghosts of earlier dimensions (which
        // fills edges and corners); later ones forward what the previous swap of the same direction
        // brought in, so the shell grows one subdomain per swap.
        const int scan_begin = n == 0 ? 0 : prev_begin[dir];
        const int scan_end = n == 0 ? dim_end : prev_end[dir];
        sw.sendlist.clear();
        if (sw.sendproc != MPI_PROC_NULL) {
          const double bound = dir == 0 ? lo_[uk] + cutfrac : hi_[uk] - cutfrac;
          for (int i = scan_begin; i < scan_end; ++i) {
            const double s = recip.dot(atoms.x[static_cast<std::size_t>(i)]);
            if (dir == 0 ? s < bound : s >= bound) sw.sendlist.push_back(i);
          }
        }
        const int nsend = static_cast<int>(sw.sendlist.size());
        sw.max_send = sw.sendlist.empty() ? -1 : *std::max_element(sw.sendlist.begin(), sw.sendlist.end());
        m.gsend.resize(static_cast<std::size_t>(nsend));
        for (int q = 0; q < nsend; ++q) {
          const auto i = static_cast<std::size_t>(sw.sendlist[static_cast<std::size_t>(q)]);
          GhostRecord& r = m.gsend[static_cast<std::size_t>(q)];
          const Vec3& xo =
              static_cast<int>(i) < nlocal ? atoms.x[i] : m.x_owner[i - static_cast<std::size_t>(nlocal)];
          const Vec3i total = atoms.ghost_shift[i] + sw.shift;
          r.id = atoms.id[i];
          r.type = atoms.type[i];
          for (int d = 0; d < 3; ++d) {
            r.shift[d] = total[d];
            r.x_owner[d] = xo[d];
          }
        }
        int nrecv = 0;
        const GhostRecord* incoming = nullptr;
        if (sw.sendproc == rank_) {
          nrecv = nsend;
          incoming = m.gsend.data();
        } else {
          MPI_Sendrecv(&nsend, 1, MPI_INT, sw.sendproc, kTagCount, &nrecv, 1, MPI_INT, sw.recvproc, kTagCount,
                       cart_, MPI_STATUS_IGNORE);
          if (sw.recvproc == MPI_PROC_NULL) nrecv = 0;
          m.grecv.resize(static_cast<std::size_t>(nrecv));
          const int rec = static_cast<int>(sizeof(GhostRecord));
          MPI_Sendrecv(m.gsend.data(), nsend * rec, MPI_BYTE, sw.sendproc, kTagGhost, m.grecv.data(),
                       nrecv * rec, MPI_BYTE, sw.recvproc, kTagGhost, cart_, MPI_STATUS_IGNORE);
          incoming = m.grecv.data();
        }
        sw.first_recv = atoms.ntotal();
        sw.nrecv = nrecv;
        for (int q = 0; q < nrecv; ++q) {
          const GhostRecord& r = incoming[q];
          const Vec3 xo(r.x_owner[0], r.x_owner[1], r.x_owner[2]);
          const Vec3i shift(r.shift[0], r.shift[1], r.shift[2]);
          atoms.id.push_back(r.id);
          atoms.type.push_back(r.type);
          atoms.x.push_back(xo + box_.shift(shift));
          atoms.v.push_back(Vec3::Zero());
          atoms.f.push_back(Vec3::Zero());
          atoms.image.push_back(Vec3i::Zero());
          atoms.ghost_shift.push_back(shift);
          m.x_owner.push_back(xo);
          ++atoms.nghost;
        }
        prev_begin[dir] = sw.first_recv;
        prev_end[dir] = sw.first_recv + nrecv;
      }
    }
  }
  m.ghosts_valid = true;
  static std::atomic<std::uint64_t> next_generation{1};
  m.generation = next_generation++;
  m.nlocal_built = atoms.nlocal;
  m.nghost_built = atoms.nghost;
}

void HaloExchange::forward_positions(Atoms& atoms) {
  ScopeTimer timer(halo_seconds_);
  Impl& m = *impl_;
  if (!m.ghosts_valid || atoms.nlocal != m.nlocal_built || atoms.nghost != m.nghost_built) {
    throw std::runtime_error(
        "HaloExchange::forward_positions: the atoms changed since the last borders() "
        "(exchange() or a resize); call borders() before refreshing ghosts");
  }
  const int nlocal = atoms.nlocal;
  for (int w = 0; w < m.nswap; ++w) {
    const Swap& sw = m.swaps[static_cast<std::size_t>(w)];
    const int nsend = static_cast<int>(sw.sendlist.size());
    m.dsend.resize(std::max(m.dsend.size(), static_cast<std::size_t>(3 * nsend)));
    for (int q = 0; q < nsend; ++q) {
      const int i = sw.sendlist[static_cast<std::size_t>(q)];
      const Vec3& xo =
          i < nlocal ? atoms.x[static_cast<std::size_t>(i)] : m.x_owner[static_cast<std::size_t>(i - nlocal)];
      for (int d = 0; d < 3; ++d) m.dsend[static_cast<std::size_t>(3 * q + d)] = xo[d];
    }
    const double* in = m.dsend.data();
    if (sw.sendproc != rank_) {
      m.drecv.resize(std::max(m.drecv.size(), static_cast<std::size_t>(3 * sw.nrecv)));
      MPI_Sendrecv(m.dsend.data(), 3 * nsend, MPI_DOUBLE, sw.sendproc, kTagForward + w, m.drecv.data(),
                   3 * sw.nrecv, MPI_DOUBLE, sw.recvproc, kTagForward + w, cart_, MPI_STATUS_IGNORE);
      in = m.drecv.data();
    }
    for (int q = 0; q < sw.nrecv; ++q) {
      const auto j = static_cast<std::size_t>(sw.first_recv + q);
      const Vec3 xo(in[3 * q], in[3 * q + 1], in[3 * q + 2]);
      m.x_owner[j - static_cast<std::size_t>(nlocal)] = xo;
      atoms.x[j] = xo + box_.shift(atoms.ghost_shift[j]);
    }
  }
}

double HaloExchange::allreduce_sum(double value) const {
  double out = 0.0;
  MPI_Allreduce(&value, &out, 1, MPI_DOUBLE, MPI_SUM, cart_);
  return out;
}

void HaloExchange::allreduce_sum(double* values, int n) const {
  MPI_Allreduce(MPI_IN_PLACE, values, n, MPI_DOUBLE, MPI_SUM, cart_);
}

int HaloExchange::num_swaps() const { return impl_->nswap; }

int HaloExchange::swap_send_count(int swap) const {
  return static_cast<int>(impl_->swaps.at(static_cast<std::size_t>(swap)).sendlist.size());
}

int HaloExchange::swap_recv_count(int swap) const {
  return impl_->swaps.at(static_cast<std::size_t>(swap)).nrecv;
}

}  // namespace e3md
