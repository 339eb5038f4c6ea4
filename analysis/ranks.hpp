// Rank and size of a communicator for the analyses, which also run in programs that never initialise MPI
// (one process then, and no MPI call is made).
#pragma once

#include <mpi.h>

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

}  // namespace e3md::analysis
