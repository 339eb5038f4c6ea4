// Subcommands register themselves: each driver/cmd_*.cpp defines a function that adds its subcommand to
// the CLI app and a static CommandRegistrar naming it. The driver is an object library, so every
// registrar linked into the executable runs.
#pragma once

#include <mpi.h>

#include <CLI/CLI.hpp>

namespace e3md {

using CommandFactory = void (*)(CLI::App& app);

struct CommandRegistrar {
  // `order` sorts subcommands in --help (run 10, eval 20, build 30, analyze 40, model 50, ...).
  CommandRegistrar(const char* name, int order, CommandFactory factory);
};

// Adds every registered subcommand to `app`, in order.
void register_commands(CLI::App& app);

// `e3md analyze` and its subcommands (driver/cmd_analyze.cpp); a deck's `analysis` section runs them too.
// The RDF and MSD share their frames among the ranks of `comm` (MPI_COMM_WORLD without it); rank 0 writes.
void add_analyze_command(CLI::App& app);
void add_analyze_command(CLI::App& app, MPI_Comm comm);

}  // namespace e3md
