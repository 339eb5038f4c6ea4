// `e3md run`: executes a deck — builds or reads the system, makes the potential, runs the stages with
// thermo, H5MD trajectory, extended XYZ and checkpoint output, restarts exactly from a checkpoint, and
// stops a blown-up run with a message after saving the last good state.
#pragma once

#include <mpi.h>

#include <memory>
#include <string>

#include "engine/potential.hpp"
#include "engine/structure.hpp"
#include "io/deck.hpp"

namespace e3md {

struct RunOptions {
  std::string restart;   // checkpoint to continue from; empty = fresh run
  bool dry_run = false;  // validate and print the plan only
};

// The potential a deck names (NequIP model file or classical parameters).
std::shared_ptr<Potential> make_deck_potential(const Deck& deck);
// The starting structure a deck names (file or builder).
Structure make_deck_structure(const Deck& deck);
// Human-readable plan: stages, steps, outputs and their expected sizes.
std::string describe_plan(const Deck& deck, long natoms);
// Runs the deck on `comm`. Returns 0 on success; throws on errors.
int run_deck(MPI_Comm comm, const Deck& deck, const RunOptions& options);

}  // namespace e3md
