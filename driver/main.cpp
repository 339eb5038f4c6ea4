// e3md: molecular dynamics with E(3)-equivariant machine-learned potentials.
#include <mpi.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <string>

#include "driver/cli.hpp"

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int code = 0;
  try {
    code = e3md::run_cli(argc, argv);
  } catch (const std::exception& e) {
    // Every rank that fails prints; the error text names the file/key and the fix.
    std::fprintf(stderr, "e3md: error: %s\n", e.what());
    std::fflush(stderr);
    code = 1;
    int size = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size > 1) MPI_Abort(MPI_COMM_WORLD, code);
  }
  MPI_Finalize();
  return code;
}
