// Command-line front end: registers the subcommands and dispatches.
#pragma once

namespace e3md {

// Parses argv and runs the chosen subcommand; returns the process exit code. Throws on errors.
int run_cli(int argc, char** argv);

}  // namespace e3md
