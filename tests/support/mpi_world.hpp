// Rank and size of MPI_COMM_WORLD, for tests that run under mpiexec.
#pragma once

#include <mpi.h>

namespace e3md::test {

inline int world_rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

inline int world_size() {
  int n = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &n);
  return n;
}

}  // namespace e3md::test
