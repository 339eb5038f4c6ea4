// e3md: molecular dynamics with E(3)-equivariant machine-learned potentials.
#include <mpi.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <thread>

#include "driver/cli.hpp"

namespace {

// True when every rank of `errors` reaches this point within `wait_s` seconds: the error is collective (a bad
// deck, a missing file), so one line from rank 0 says it all and the job can end normally.
bool every_rank_failed(MPI_Comm errors, double wait_s) {
  MPI_Request request;
  MPI_Ibarrier(errors, &request);
  const double t0 = MPI_Wtime();
  int done = 0;
  while (true) {
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (done || MPI_Wtime() - t0 > wait_s) return done != 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

// `e3md analyze` started directly (not by mpirun or a batch launcher) is one process: it skips MPI_Init,
// whose singleton start-up (OpenMPI spawns its runtime daemon) costs ~0.3 s, more than many analyses. The
// analyses check MPI_Initialized before any MPI call.
bool serial_analysis(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) != "analyze") return false;
  for (const char* v :
       {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE", "MPI_LOCALRANKID", "SLURM_PROCID"}) {
    if (std::getenv(v)) return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  // Plain text: under mpirun stdout is a pseudo-terminal, and colour codes would end up in log files.
  spdlog::set_default_logger(spdlog::stdout_logger_mt("e3md"));
  spdlog::set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%l] %v");
  if (serial_analysis(argc, argv)) {
    try {
      return e3md::run_cli(argc, argv);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "e3md: error: %s\n", e.what());
      return 1;
    }
  }
  MPI_Init(&argc, &argv);
  MPI_Comm errors = MPI_COMM_NULL;
  MPI_Comm_dup(MPI_COMM_WORLD, &errors);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int code = 0;
  try {
    code = e3md::run_cli(argc, argv);
  } catch (const std::exception& e) {
    // The error text names the file/key and the fix. A collective error is printed once (rank 0); an error
    // on some ranks only is printed by each of them, and the job is aborted so that the others do not wait.
    code = 1;
    const bool collective = size == 1 || every_rank_failed(errors, 5.0);
    if (!collective || rank == 0) {
      std::fprintf(stderr, "e3md: error: %s\n", e.what());
      std::fflush(stderr);
    }
    if (!collective) MPI_Abort(MPI_COMM_WORLD, code);
  }
  MPI_Comm_free(&errors);
  MPI_Finalize();
  return code;
}
