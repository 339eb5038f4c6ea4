// Rank and size of a communicator for the analyses, which also run in programs that never initialise MPI
// (one process then, and no MPI call is made).
#pragma once

#include <mpi.h>

#include <vector>

namespace e3md::analysis {

inline bool mpi_running() {
  int init = 0, fin = 0;
  MPI_Initialized(&init);
  MPI_Finalized(&fin);
  return init && !fin;
}

inline int comm_rank(MPI_Comm comm) {
  int rank = 0;
  if (mpi_running()) MPI_Comm_rank(comm, &rank);
  return rank;
}

inline int comm_size(MPI_Comm comm) {
  int size = 1;
  if (mpi_running()) MPI_Comm_size(comm, &size);
  return size;
}

// Sums the vectors and scalars over the ranks of comm, in place, in one message (collective).
inline void sum_over_ranks(MPI_Comm comm, const std::vector<std::vector<double>*>& vectors,
                           const std::vector<double*>& scalars = {}) {
  if (comm_size(comm) == 1) return;
  std::vector<double> buf;
  for (const auto* v : vectors) buf.insert(buf.end(), v->begin(), v->end());
  for (const double* x : scalars) buf.push_back(*x);
  MPI_Allreduce(MPI_IN_PLACE, buf.data(), static_cast<int>(buf.size()), MPI_DOUBLE, MPI_SUM, comm);
  std::size_t k = 0;
  for (auto* v : vectors)
    for (double& e : *v) e = buf[k++];
  for (double* x : scalars) *x = buf[k++];
}

}  // namespace e3md::analysis
