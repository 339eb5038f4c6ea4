// HDF5 checkpoints: everything needed to continue a run exactly — atoms (ordered by global id), box,
// integrator/thermostat/barostat state, run position (stage and step), seed, observer state, and the
// trajectory frame count to append after. Written collectively by all ranks (parallel HDF5, each rank
// writes its own atoms' rows), to a temporary file that is fsync'ed and renamed into place, so a crash
// never leaves a half-written checkpoint under the final name.
#pragma once

#include <mpi.h>

#include <map>
#include <string>
#include <vector>

#include "engine/box.hpp"
#include "engine/types.hpp"

namespace e3md {

struct Checkpoint {
  static constexpr int kSchemaVersion = 1;

  long step = 0;        // global MD step
  double time = 0.0;    // ps
  int stage = 0;        // index of the stage in progress
  long stage_step = 0;  // steps done within that stage
  long seed = 0;
  Box box;
  std::vector<std::string> species;  // species table (type order)
  std::vector<double> masses;        // amu, by type
  // Per-atom rows. On write: this rank's owned atoms. On read: all atoms, sorted by id.
  std::vector<AtomId> id;
  std::vector<int> type;
  std::vector<Vec3> x;
  std::vector<Vec3> v;
  std::vector<Vec3i> image;
  std::string integrator;              // kind of the integrator whose state follows
  std::vector<double> integrator_state;
  std::map<std::string, std::vector<double>> extra;  // named state of observers and the like
  long trajectory_frames = 0;          // frames in the trajectory when the checkpoint was written
  std::string deck;                    // the deck text, for provenance
};

// Collective over comm. `natoms` is the global atom count; ids must be 0..natoms-1.
void write_checkpoint(MPI_Comm comm, const std::string& path, const Checkpoint& local, long natoms);
// Reads a whole checkpoint (every rank may call it). Throws with the file and a fix on any problem.
Checkpoint read_checkpoint(const std::string& path);

}  // namespace e3md
