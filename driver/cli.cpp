#include "driver/cli.hpp"

#include <CLI/CLI.hpp>

#include "driver/commands.hpp"

namespace e3md {

int run_cli(int argc, char** argv) {
  CLI::App app{"e3md: molecular dynamics with E(3)-equivariant machine-learned potentials"};
  app.set_version_flag("--version", "e3md 0.1.0");
  app.require_subcommand(1);
  register_commands(app);
  app.parse(argc, argv);
  return 0;
}

}  // namespace e3md
