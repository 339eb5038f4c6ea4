// `e3md run deck.yaml [--restart ckpt.h5] [--dry-run] [--model M.h5]`
#include <mpi.h>

#include "driver/commands.hpp"
#include "driver/run_plan.hpp"
#include "io/deck.hpp"

namespace e3md {
namespace {

void add_run(CLI::App& app) {
  auto* cmd = app.add_subcommand("run", "Run the stages of an input deck (see docs/deck-reference.md)");
  auto deck = std::make_shared<std::string>();
  auto opt = std::make_shared<RunOptions>();
  cmd->add_option("deck", *deck, "deck file (YAML)")->required();
  cmd->add_option("--restart", opt->restart, "continue from this checkpoint");
  auto over = std::make_shared<DeckOverrides>();
  cmd->add_flag("--dry-run", opt->dry_run, "validate the deck and print the plan, run nothing");
  cmd->add_option("--model", over->model, "run with this NequIP model file in place of the deck's potential");
  cmd->callback([deck, opt, over]() {
    const Deck d = load_deck(*deck, *over);
    run_deck(MPI_COMM_WORLD, d, *opt);
  });
}

const CommandRegistrar reg("run", 10, &add_run);

}  // namespace
}  // namespace e3md
