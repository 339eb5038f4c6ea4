#include "driver/cli.hpp"

#include <mpi.h>

#include <CLI/CLI.hpp>

#include "driver/commands.hpp"

namespace e3md {

int run_cli(int argc, char** argv) {
  CLI::App app{"e3md: molecular dynamics with E(3)-equivariant machine-learned potentials"};
  app.set_version_flag("--version", "e3md 0.1.0");
  app.require_subcommand(1);
  register_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help, --version and usage errors: printed by the app that knows the subcommands (rank 0 only).
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank == 0) return app.exit(e);
    return e.get_exit_code();
  }
  return 0;
}

}  // namespace e3md
