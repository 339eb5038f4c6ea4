// Forward and reverse exchange of a per-atom field that lives in a FieldSpace (device memory), over the
// swaps recorded by borders(), in the order and with the sums of the host exchange (halo_features.cpp).
//
// Per swap, forward: a self-swap gathers the sendlist rows straight onto its ghost block; otherwise the
// space gathers them into the swap's buffer, and MPI sends the buffer and receives straight into the ghost
// block (direct), or the buffer is copied to host memory, sent, received into host memory and copied onto
// the ghost block (staged). Reverse runs the swaps backwards on a copy of the ghost block in the space
// (relayed ghosts sum their copies there, the caller's ghost rows stay as they were) and adds what comes
// back with the space's add-back kernel. Sendlists are uploaded to the space once per borders().
#include <mpi.h>

#include "engine/field_space.hpp"
#include "engine/halo_exchange_impl.hpp"

namespace e3md {

using namespace halo_detail;

namespace {

// Sends `send_count` values of `send` to rank `to` and receives `recv_count` into `recv` from rank `from`,
// both in the space's memory: handed to MPI as they are, or staged through the swap's two host buffers. On
// return the message is in `recv` (written by MPI, or copied in from the host).
template <typename Real>
void sendrecv(FieldSpace& space, std::size_t slot, const Real* send, int send_count, int to, Real* recv,
              int recv_count, int from, int tag, MPI_Comm comm) {
  const MPI_Datatype type = mpi_type(send);
  if (space.mpi_direct()) {
    space.synchronize();  // the kernels that wrote `send` are done before MPI reads it
    MPI_Sendrecv(send, send_count, type, to, tag, recv, recv_count, type, from, tag, comm, MPI_STATUS_IGNORE);
    return;
  }
  const std::size_t send_bytes =
      to == MPI_PROC_NULL ? 0 : static_cast<std::size_t>(send_count) * sizeof(Real);
  const std::size_t recv_bytes =
      from == MPI_PROC_NULL ? 0 : static_cast<std::size_t>(recv_count) * sizeof(Real);
  char* hs = space.host_buffer(2 * slot, send_bytes);
  char* hr = space.host_buffer(2 * slot + 1, recv_bytes);
  space.to_host(hs, send, send_bytes);
  MPI_Sendrecv(hs, send_count, type, to, tag, hr, recv_count, type, from, tag, comm, MPI_STATUS_IGNORE);
  space.to_space(recv, hr, recv_bytes);
  space.count_staged(send_bytes + recv_bytes);
}

}  // namespace

template <typename Real>
void HaloExchange::forward_space_impl(FieldSpace& space, Real* data, int width) {
  ScopeTimer timer(halo_seconds_);
  Impl& m = *impl_;
  check_ready(m, "forward");
  const auto uw = static_cast<std::size_t>(width);
  for (int w = 0; w < m.nswap; ++w) {
    const Swap& sw = m.swaps[static_cast<std::size_t>(w)];
    const auto slot = static_cast<std::size_t>(w);
    const std::size_t nsend = sw.sendlist.size();
    const int* index = space.index(slot, m.generation, sw.sendlist);
    Real* dst = data + static_cast<std::size_t>(sw.first_recv) * uw;
    if (sw.sendproc == rank_) {  // straight into the ghost block (the sendlist rows all lie before it)
      space.gather_rows(static_cast<long>(nsend), width, index, data, dst);
      continue;
    }
    auto* buf = static_cast<Real*>(space.buffer(slot, nsend * uw * sizeof(Real)));
    space.gather_rows(static_cast<long>(nsend), width, index, data, buf);
    sendrecv(space, slot, static_cast<const Real*>(buf), static_cast<int>(nsend * uw), sw.sendproc, dst,
             sw.nrecv * width, sw.recvproc, kTagForward + w, cart_);
    if (sw.sendproc != MPI_PROC_NULL) bytes_sent_ += nsend * uw * sizeof(Real);
  }
  space.synchronize();
}

template <typename Real>
void HaloExchange::reverse_space_impl(FieldSpace& space, Real* data, int width) {
  ScopeTimer timer(halo_seconds_);
  Impl& m = *impl_;
  check_ready(m, "reverse");
  const auto uw = static_cast<std::size_t>(width);
  const auto nlocal = static_cast<std::size_t>(m.nlocal_built);
  const std::size_t ghost_bytes = static_cast<std::size_t>(m.nghost_built) * uw * sizeof(Real);
  auto* acc = static_cast<Real*>(space.ghost_sums(ghost_bytes));
  space.copy(acc, data + nlocal * uw, ghost_bytes);
  for (int w = m.nswap - 1; w >= 0; --w) {
    const Swap& sw = m.swaps[static_cast<std::size_t>(w)];
    const auto slot = static_cast<std::size_t>(w);
    const std::size_t nsend = sw.sendlist.size();
    const int* index = space.index(slot, m.generation, sw.sendlist);
    const Real* in = acc + (static_cast<std::size_t>(sw.first_recv) - nlocal) * uw;
    if (sw.sendproc != rank_) {
      auto* rbuf = static_cast<Real*>(space.buffer(slot, nsend * uw * sizeof(Real)));
      sendrecv(space, slot, in, sw.nrecv * width, sw.recvproc, rbuf, static_cast<int>(nsend * uw),
               sw.sendproc, kTagReverse + w, cart_);
      if (sw.recvproc != MPI_PROC_NULL) bytes_sent_ += static_cast<std::size_t>(sw.nrecv) * uw * sizeof(Real);
      if (sw.sendproc == MPI_PROC_NULL) continue;
      in = rbuf;
    }
    space.add_back_rows(static_cast<long>(nsend), width, index, in, static_cast<long>(nlocal), data, acc);
  }
  space.synchronize();
}

void HaloExchange::forward(FieldSpace& space, double* data, int width) {
  forward_space_impl(space, data, width);
}
void HaloExchange::forward(FieldSpace& space, float* data, int width) {
  forward_space_impl(space, data, width);
}
void HaloExchange::reverse(FieldSpace& space, double* data, int width) {
  reverse_space_impl(space, data, width);
}
void HaloExchange::reverse(FieldSpace& space, float* data, int width) {
  reverse_space_impl(space, data, width);
}

}  // namespace e3md
