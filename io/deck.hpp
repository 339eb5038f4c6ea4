// The input deck: what to simulate and in which stages. Parsed from YAML with strict validation —
// unknown keys (with a "did you mean" suggestion), wrong types and impossible values are errors that
// name file:line:column. docs/deck-reference.md documents every key.
#pragma once

#include <yaml-cpp/yaml.h>

#include <array>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace e3md {

// Error in a deck: carries the "file:line:column: message" text.
class DeckError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct DeckSystem {
  std::string structure;  // structure file (any supported format); empty when `build` is used
  std::string format;     // explicit format, empty = from the extension
  YAML::Node build;       // builder description (driver/builders interpret it); null when `structure` is used
  std::string source;     // "file:line" of the system section, for builder error messages
};

struct DeckPotential {
  std::string model;                  // NequIP model file (HDF5)
  std::string classical;              // classical parameter file (YAML)
  YAML::Node inline_params;           // classical parameters given inline
  std::string precision = "float64";  // float64 | float32 (NequIP)
  std::string device = "cpu";         // cpu | cuda (NequIP)
  // auto | true | false (device: cuda): MPI handed device buffers, or messages staged through host memory
  std::string gpu_aware_mpi = "auto";
  std::string source;
};

struct DeckThermostat {
  std::string kind = "nose-hoover";  // nose-hoover | langevin
  double damping = 0.1;              // ps (Tdamp / Langevin damping time)
  int chain = 3;                     // Nosé–Hoover chain length
};

struct DeckBarostat {
  double pressure = 1.0;       // bar (target, constant over the stage)
  double damping = 1.0;        // ps (Pdamp)
  std::string couple = "iso";  // iso | aniso | z
};

struct DeckStage {
  std::string name;
  std::string type;         // minimize | nve | nvt | npt
  double timestep = 0.001;  // ps
  long steps = 0;           // number of steps (from `steps`, `duration` or a ramp `rate`)
  double t_start = 0.0;     // K (nvt, npt)
  double t_end = 0.0;       // K
  DeckThermostat thermostat;
  DeckBarostat barostat;
  // minimize
  double force_tolerance = 1e-3;  // eV/Å (max force component)
  long max_iterations = 10000;
  bool relax_cell = false;
  std::string source;  // "file:line" of the stage
};

struct DeckInterval {
  long every_steps = 0;        // 0 = off
  double every_minutes = 0.0;  // wall-clock minutes; 0 = off
};

struct DeckOutput {
  std::string directory = ".";
  std::string trajectory;  // H5MD file (relative to directory); empty = none
  long trajectory_every = 0;
  bool trajectory_velocities = true;
  bool trajectory_forces = false;
  std::string xyz;  // extended XYZ trajectory (optional)
  long xyz_every = 0;
  long thermo_every = 100;
  std::string checkpoint;  // checkpoint file stem (relative to directory); empty = none
  DeckInterval checkpoint_every;
  int checkpoint_keep = 2;
  std::string final_structure;  // written at the end (extxyz); empty = none
};

// One entry of the deck's `analysis` section: `e3md analyze <kind>` on the run's own trajectory, run after
// the last stage. Options are the subcommand's long option names without `--`; `true` sets a flag, `false`
// leaves it off.
struct DeckAnalysis {
  std::string kind;                                          // rdf | msd | diffusion | profile
  std::vector<std::pair<std::string, std::string>> options;  // name, value ("" for a flag)
  std::vector<std::string> option_sources;                   // "file:line:column" of each option
  std::string source;                                        // "file:line:column" of the entry
};

struct DeckVelocities {
  bool set = false;
  double temperature = 0.0;  // K
  long seed = 0;
};

struct Deck {
  std::string path;       // the deck file
  std::string directory;  // folder of the deck: relative paths in the deck are resolved against it
  DeckSystem system;
  DeckPotential potential;
  double skin = -1.0;  // Å; negative = the potential's default
  long seed = 12345;
  std::array<int, 3> grid{{0, 0, 0}};  // decomposition; zeros = automatic
  std::string grid_source;             // "file:line:column" of `decomposition`, for rank-count errors
  DeckVelocities velocities;
  std::vector<DeckStage> stages;
  DeckOutput output;
  std::vector<DeckAnalysis> analysis;  // run after the last stage, in the deck's order

  long total_steps() const;
  // A path from the deck, resolved against the deck's folder (absolute paths unchanged).
  std::string resolve(const std::string& p) const;
};

// What the command line may put in place of the deck's own settings.
struct DeckOverrides {
  std::string model;  // a NequIP model file that replaces the deck's `potential` section
};

// Reads and validates a deck file. Throws DeckError on the first problem.
Deck load_deck(const std::string& path, const DeckOverrides& overrides = {});
// Same, from text (tests); `name` is used in messages.
Deck parse_deck(const std::string& text, const std::string& name, const std::string& directory = ".",
                const DeckOverrides& overrides = {});

// Closest candidate by edit distance (for "did you mean"), or empty when nothing is close.
std::string closest_key(const std::string& key, const std::vector<std::string>& candidates);

}  // namespace e3md
