// The step loop's state: box, atoms, species, domain decomposition, neighbor list and potential, plus the
// global observables (energy, virial, kinetic energy, temperature, pressure) computed the way LAMMPS
// computes them (compute temp with 3N − 3 degrees of freedom, compute pressure with nktv2p).
#pragma once

#include <mpi.h>

#include <array>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/atoms.hpp"
#include "engine/box.hpp"
#include "engine/halo_exchange.hpp"
#include "engine/neighbor_builder.hpp"
#include "engine/neighbor_list.hpp"
#include "engine/potential.hpp"
#include "engine/structure.hpp"

namespace e3md {

struct SimulationOptions {
  double skin = 1.0;                     // Verlet skin (Å)
  std::array<int, 3> grid{{0, 0, 0}};    // MPI grid; {0,0,0} lets HaloExchange choose
  std::map<std::string, double> masses;  // amu, per species name; overrides potential and element table
  double min_distance = 0.5;             // Å; closer atoms at construction are an input error
  std::string source;                    // where the structure came from (file, deck key); names input errors
};

// Work per rank after a neighbor-list build: owned atoms, ghost atoms and neighbor-list entries (edges for
// full lists, pairs for half lists), as the largest and the mean over ranks.
struct LoadBalance {
  int ranks = 1;
  long rebuilds = 0;  // neighbor-list builds so far (the first included)
  long atoms_max = 0, ghosts_max = 0, edges_max = 0;
  double atoms_mean = 0.0, ghosts_mean = 0.0, edges_mean = 0.0;
  double atom_imbalance() const { return atoms_mean > 0.0 ? atoms_max / atoms_mean : 1.0; }
  double edge_imbalance() const { return edges_mean > 0.0 ? edges_max / edges_mean : 1.0; }
};

class Simulation {
 public:
  // Collective over comm. `structure` must be the same on every rank (it is distributed here).
  Simulation(MPI_Comm comm, const Structure& structure, std::shared_ptr<Potential> potential,
             const SimulationOptions& options = {});
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  const Box& box() const { return box_; }
  Atoms& atoms() { return atoms_; }
  const Atoms& atoms() const { return atoms_; }
  const SpeciesTable& species() const { return species_; }
  HaloExchange& halo() { return *halo_; }
  NeighborBuilder& neighbor_builder() { return *builder_; }
  const NeighborList& neighbor_list() const { return list_; }
  Potential& potential() { return *potential_; }
  MPI_Comm comm() const { return halo_->comm(); }
  int rank() const { return halo_->rank(); }
  long natoms() const { return natoms_; }
  // Mass of a type index (amu).
  double mass(int type) const { return species_.masses[static_cast<std::size_t>(type)]; }

  // Collective. Rebuilds ghosts and neighbor list when any atom moved more than skin/2 (or the box
  // changed), else refreshes ghost positions; zeroes and computes forces (ghost forces summed into
  // owners); sums energy and virial over ranks.
  void compute_forces(const ComputeRequest& request = {});
  double potential_energy() const { return energy_; }  // eV, all ranks
  const Mat3& virial() const { return virial_; }       // eV, Σ r⊗F over all ranks
  const std::vector<double>& atom_energy() const { return result_.atom_energy; }  // eV, owned atoms

  // Observables (collective unless noted).
  Mat3 kinetic_tensor() const;    // Σ m v⊗v · mvv2e (eV): twice the kinetic energy tensor
  double kinetic_energy() const;  // eV
  int dof() const { return static_cast<int>(3 * natoms_ - 3); }
  double temperature() const;                      // K, 3N − 3 degrees of freedom
  Mat3 pressure_tensor() const;                    // bar
  double pressure() const;                         // bar
  double volume() const { return box_.volume(); }  // Å³, local

  long step() const { return step_; }
  double time() const { return time_; }  // ps
  void advance_clock(double dt) {
    ++step_;
    time_ += dt;
  }
  void set_clock(long step, double time) {
    step_ = step;
    time_ = time;
  }

  // Replaces the cell (barostats, cell relaxation). With remap, owned positions keep their fractional
  // coordinates. With rebuild, the next compute_forces() rebuilds ghosts and neighbor lists; without it
  // (small barostat strains) ghosts follow the new cell through forward_positions() and the list is
  // rebuilt by the usual skin check, as LAMMPS does.
  void set_cell(const Mat3& cell_rows, bool remap = true, bool rebuild = true);
  void request_rebuild() { force_rebuild_ = true; }
  // Measured at every neighbor-list build (all ranks hold the same numbers).
  const LoadBalance& load_balance() const { return balance_; }

  // Collective. Rank 0 gets the whole structure ordered by id (wrapped positions, velocities, images,
  // species); other ranks get an empty structure with the box.
  Structure gather() const;

 private:
  // Validates the input structure, distributes it and builds the first neighbor list.
  void construct(MPI_Comm comm, const Structure& s, const SimulationOptions& options);
  void check_structure(const Structure& s) const;
  void check_min_distance(double min_distance);
  void measure_balance();  // collective, after each neighbor-list build

  Box box_;
  LoadBalance balance_;
  Atoms atoms_;
  SpeciesTable species_;
  std::shared_ptr<Potential> potential_;
  std::unique_ptr<HaloExchange> halo_;
  std::unique_ptr<NeighborBuilder> builder_;
  NeighborList list_;
  ComputeResult result_;
  long natoms_ = 0;
  double energy_ = 0.0;
  Mat3 virial_ = Mat3::Zero();
  long step_ = 0;
  double time_ = 0.0;
  bool force_rebuild_ = true;
};

// Standard atomic mass (amu) of an element symbol, or 0 if unknown.
double element_mass(const std::string& symbol);

}  // namespace e3md
