// A deck's `analysis` section: `e3md analyze` subcommands run on the run's own trajectory after the last
// stage, writing their CSV files (and plots) into the output directory. docs/deck-reference.md describes the
// keys.
#pragma once

#include <string>
#include <vector>

#include "io/deck.hpp"

namespace e3md {

// The `e3md analyze` command line of one entry (without the program name): the run's trajectory, the options
// as `--name=value` / `--name`, and `--output` in the deck's output directory (default <kind>.csv).
std::vector<std::string> deck_analysis_arguments(const Deck& deck, const DeckAnalysis& a);
// Checks every option name against the subcommand's; throws DeckError naming the deck line and the closest
// name.
void check_deck_analyses(const Deck& deck);
// One line per analysis for the plan of a dry run.
std::string describe_deck_analyses(const Deck& deck);
// Runs the analyses in order (on one process); a failure throws DeckError naming the entry.
void run_deck_analyses(const Deck& deck);

}  // namespace e3md
