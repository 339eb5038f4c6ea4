// Forward and reverse exchange of per-atom fields over the swaps recorded by borders(), blocking or in two
// halves (start ... finish) so that a caller can compute on owned rows while the messages travel.
//
// Which swaps a start may put in flight: swaps run in a fixed order and a later swap may forward ghosts that
// an earlier one received (edges and corners, thin subdomains). Forward: a swap can go as soon as none of its
// sendlist lies in the ghost block of a swap still in flight, so the start posts swaps in order until the
// first one that would read such a block. Reverse runs the swaps backwards; a swap sends its ghost block,
// which is complete once every later swap is done, and adds what comes back into its sendlist rows. The start
// posts swaps in that order as long as they add into owned rows only (then no ghost block waits for them),
// and does self-swaps (plain copies) on the way. Everything else is done by the finish, in order, as the
// blocking exchange does. The blocking forward()/reverse() are start + finish.
#include <algorithm>
#include <stdexcept>
#include <string>

#include "engine/halo_exchange_impl.hpp"
#include "kernels/rows.hpp"

namespace e3md {

using namespace halo_detail;

namespace {

// Records what a start left for its finish.
void begin_flight(HaloExchange::Impl& m, int kind, const void* data, int width, int next_swap) {
  m.next_swap = next_swap;
  m.inflight = kind;
  m.inflight_data = data;
  m.inflight_width = width;
}

// The finish's first step: the exchange must be the one started, and its messages must have arrived.
void end_flight(HaloExchange::Impl& m, int kind, const void* data, int width, const char* what) {
  if (m.inflight != kind || m.inflight_data != data || m.inflight_width != width) {
    throw std::logic_error(std::string("HaloExchange::") + what +
                           ": no matching exchange was started on this field (same array, same width)");
  }
  MPI_Waitall(static_cast<int>(m.requests.size()), m.requests.data(), MPI_STATUSES_IGNORE);
  m.requests.clear();
}

// Gathers the sendlist rows of a swap into its buffer, or for a self-swap straight into its ghost block (the
// sendlist rows all lie before it). Returns where they went.
template <typename Real>
const Real* pack_swap(const Swap& sw, int rank, Real* data, std::size_t uw, std::vector<Real>& buf) {
  const std::size_t nsend = sw.sendlist.size();
  Real* dst = data + static_cast<std::size_t>(sw.first_recv) * uw;
  if (sw.sendproc != rank) {
    if (buf.size() < nsend * uw) buf.resize(nsend * uw);
    dst = buf.data();
  }
  kernels::gather_rows_cpu(static_cast<long>(nsend), static_cast<int>(uw), sw.sendlist.data(), data, dst);
  return dst;
}

}  // namespace

template <typename Real>
void HaloExchange::forward_start_impl(Real* data, int width) {
  ScopeTimer timer(halo_seconds_);
  Impl& m = *impl_;
  check_ready(m, "forward_start");
  const auto uw = static_cast<std::size_t>(width);
  auto& bufs = m.swap_buffers(data);
  if (bufs.size() < static_cast<std::size_t>(m.nswap)) bufs.resize(static_cast<std::size_t>(m.nswap));
  m.requests.clear();
  m.posted.clear();
  int pending_from = m.nlocal_built + m.nghost_built;  // first ghost row of a swap in flight
  int w = 0;
  for (; w < m.nswap; ++w) {
    const Swap& sw = m.swaps[static_cast<std::size_t>(w)];
    if (sw.max_send >= pending_from) break;  // it would forward ghosts that have not arrived
    const std::size_t nsend = sw.sendlist.size();
    const Real* sbuf = pack_swap(sw, rank_, data, uw, bufs[static_cast<std::size_t>(w)]);
    if (sw.sendproc == rank_) continue;
    Real* dst = data + static_cast<std::size_t>(sw.first_recv) * uw;
    MPI_Request r[2];
    MPI_Irecv(dst, sw.nrecv * width, mpi_type(data), sw.recvproc, kTagForward + w, cart_, &r[0]);
    MPI_Isend(sbuf, static_cast<int>(nsend * uw), mpi_type(data), sw.sendproc, kTagForward + w, cart_, &r[1]);
    m.requests.insert(m.requests.end(), r, r + 2);
    m.posted.push_back(w);
    pending_from = std::min(pending_from, sw.first_recv);
    if (sw.sendproc != MPI_PROC_NULL) bytes_sent_ += nsend * uw * sizeof(Real);
  }
  begin_flight(m, 1, data, width, w);
}

template <typename Real>
void HaloExchange::forward_finish_impl(Real* data, int width) {
  ScopeTimer timer(halo_seconds_);
  Impl& m = *impl_;
  end_flight(m, 1, data, width, "forward_finish");
  const auto uw = static_cast<std::size_t>(width);
  auto& bufs = m.swap_buffers(data);
  for (int w = m.next_swap; w < m.nswap; ++w) {
    const Swap& sw = m.swaps[static_cast<std::size_t>(w)];
    const std::size_t nsend = sw.sendlist.size();
    const Real* sbuf = pack_swap(sw, rank_, data, uw, bufs[static_cast<std::size_t>(w)]);
    if (sw.sendproc == rank_) continue;
    Real* dst = data + static_cast<std::size_t>(sw.first_recv) * uw;
    MPI_Sendrecv(sbuf, static_cast<int>(nsend * uw), mpi_type(data), sw.sendproc, kTagForward + w, dst,
                 sw.nrecv * width, mpi_type(data), sw.recvproc, kTagForward + w, cart_, MPI_STATUS_IGNORE);
    if (sw.sendproc != MPI_PROC_NULL) bytes_sent_ += nsend * uw * sizeof(Real);
  }
  m.inflight = 0;
}

// Adds the rows `in` (one per sendlist entry) into their atoms: owned rows of data, relayed ghosts in acc.
template <typename Real>
static void add_back(const Swap& sw, const Real* in, std::size_t uw, std::size_t nlocal, Real* data,
                     Real* acc) {
  kernels::add_back_rows_cpu(static_cast<long>(sw.sendlist.size()), static_cast<int>(uw), sw.sendlist.data(),
                             in, static_cast<long>(nlocal), data, acc);
}

template <typename Real>
void HaloExchange::reverse_start_impl(Real* data, int width) {
  ScopeTimer timer(halo_seconds_);
  Impl& m = *impl_;
  check_ready(m, "reverse_start");
  const auto uw = static_cast<std::size_t>(width);
  const auto nlocal = static_cast<std::size_t>(m.nlocal_built);
  // Ghosts that were forwarded on (edges, corners, multi-hop shells) relay the sums of their own copies. The
  // relaying happens in a scratch copy of the ghost block so that the caller's ghost entries stay as they
  // were.
  std::vector<Real>& acc = m.ghost_sums(data);
  const std::size_t nghost_values = static_cast<std::size_t>(m.nghost_built) * uw;
  if (acc.size() < nghost_values) acc.resize(nghost_values);
  std::copy(data + nlocal * uw, data + nlocal * uw + nghost_values, acc.data());
  auto& bufs = m.swap_buffers(data);
  if (bufs.size() < static_cast<std::size_t>(m.nswap)) bufs.resize(static_cast<std::size_t>(m.nswap));
  m.requests.clear();
  m.posted.clear();
  int w = m.nswap - 1;
  for (; w >= 0; --w) {
    const Swap& sw = m.swaps[static_cast<std::size_t>(w)];
    const Real* in = acc.data() + (static_cast<std::size_t>(sw.first_recv) - nlocal) * uw;
    // A self-swap reads its own ghost block, which lies after every atom it adds into: no aliasing.
    if (sw.sendproc == rank_) {
      add_back(sw, in, uw, nlocal, data, acc.data());
      continue;
    }
    if (sw.max_send >= static_cast<int>(nlocal)) break;  // what comes back adds into ghost rows: finish
    const std::size_t nsend = sw.sendlist.size();
    std::vector<Real>& rbuf = bufs[static_cast<std::size_t>(w)];
    if (rbuf.size() < nsend * uw) rbuf.resize(nsend * uw);
    MPI_Request r[2];
    MPI_Irecv(rbuf.data(), static_cast<int>(nsend * uw), mpi_type(data), sw.sendproc, kTagReverse + w, cart_,
              &r[0]);
    MPI_Isend(in, sw.nrecv * width, mpi_type(data), sw.recvproc, kTagReverse + w, cart_, &r[1]);
    m.requests.insert(m.requests.end(), r, r + 2);
    m.posted.push_back(w);
    if (sw.recvproc != MPI_PROC_NULL) bytes_sent_ += static_cast<std::size_t>(sw.nrecv) * uw * sizeof(Real);
  }
  begin_flight(m, 2, data, width, w);
}

template <typename Real>
void HaloExchange::reverse_finish_impl(Real* data, int width) {
  ScopeTimer timer(halo_seconds_);
  Impl& m = *impl_;
  end_flight(m, 2, data, width, "reverse_finish");
  const auto uw = static_cast<std::size_t>(width);
  const auto nlocal = static_cast<std::size_t>(m.nlocal_built);
  std::vector<Real>& acc = m.ghost_sums(data);
  auto& bufs = m.swap_buffers(data);
  for (int w : m.posted) {
    const Swap& sw = m.swaps[static_cast<std::size_t>(w)];
    if (sw.sendproc != MPI_PROC_NULL)
      add_back(sw, bufs[static_cast<std::size_t>(w)].data(), uw, nlocal, data, acc.data());
  }
  for (int w = m.next_swap; w >= 0; --w) {
    const Swap& sw = m.swaps[static_cast<std::size_t>(w)];
    const std::size_t nsend = sw.sendlist.size();
    const Real* in = acc.data() + (static_cast<std::size_t>(sw.first_recv) - nlocal) * uw;
    if (sw.sendproc != rank_) {
      std::vector<Real>& rbuf = bufs[static_cast<std::size_t>(w)];
      if (rbuf.size() < nsend * uw) rbuf.resize(nsend * uw);
      MPI_Sendrecv(in, sw.nrecv * width, mpi_type(data), sw.recvproc, kTagReverse + w, rbuf.data(),
                   static_cast<int>(nsend * uw), mpi_type(data), sw.sendproc, kTagReverse + w, cart_,
                   MPI_STATUS_IGNORE);
      if (sw.recvproc != MPI_PROC_NULL) bytes_sent_ += static_cast<std::size_t>(sw.nrecv) * uw * sizeof(Real);
      if (sw.sendproc == MPI_PROC_NULL) continue;
      in = rbuf.data();
    }
    add_back(sw, in, uw, nlocal, data, acc.data());
  }
  m.inflight = 0;
}

void HaloExchange::progress() {
  Impl& m = *impl_;
  if (m.requests.empty()) return;
  int done = 0;
  MPI_Testall(static_cast<int>(m.requests.size()), m.requests.data(), &done, MPI_STATUSES_IGNORE);
}

void HaloExchange::forward(double* data, int width) {
  forward_start_impl(data, width);
  forward_finish_impl(data, width);
}
void HaloExchange::forward(float* data, int width) {
  forward_start_impl(data, width);
  forward_finish_impl(data, width);
}
void HaloExchange::reverse(double* data, int width) {
  reverse_start_impl(data, width);
  reverse_finish_impl(data, width);
}
void HaloExchange::reverse(float* data, int width) {
  reverse_start_impl(data, width);
  reverse_finish_impl(data, width);
}
void HaloExchange::forward_start(double* data, int width) { forward_start_impl(data, width); }
void HaloExchange::forward_start(float* data, int width) { forward_start_impl(data, width); }
void HaloExchange::forward_finish(double* data, int width) { forward_finish_impl(data, width); }
void HaloExchange::forward_finish(float* data, int width) { forward_finish_impl(data, width); }
void HaloExchange::reverse_start(double* data, int width) { reverse_start_impl(data, width); }
void HaloExchange::reverse_start(float* data, int width) { reverse_start_impl(data, width); }
void HaloExchange::reverse_finish(double* data, int width) { reverse_finish_impl(data, width); }
void HaloExchange::reverse_finish(float* data, int width) { reverse_finish_impl(data, width); }

}  // namespace e3md
