// Each subcommand registers itself on the CLI app here; its callback does the work.
#pragma once

#include <CLI/CLI.hpp>

namespace e3md {

void register_commands(CLI::App& app);

}  // namespace e3md
