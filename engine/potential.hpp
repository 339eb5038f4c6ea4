// The one interface every potential implements (classical pair styles, NequIP).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/atoms.hpp"
#include "engine/box.hpp"
#include "engine/neighbor_list.hpp"

namespace e3md {

class HaloExchange;

// What a force call must produce. Forces are always computed.
struct ComputeRequest {
  bool energy = true;
  bool virial = true;
  bool per_atom_energy = false;
};

// Results of one force call on this rank. Forces go to atoms.f (local + ghost entries; the caller
// reverse-communicates ghost forces when the potential says so).
struct ComputeResult {
  double energy = 0.0;              // eV, this rank's share; sum over ranks = total
  Mat3 virial = Mat3::Zero();       // eV, Σ r ⊗ F convention (LAMMPS); this rank's share
  std::vector<double> atom_energy;  // eV, size nlocal when requested
};

class Potential {
 public:
  virtual ~Potential() = default;
  virtual std::string name() const = 0;
  // Largest interaction distance (Å).
  virtual double cutoff() const = 0;
  virtual NeighborKind neighbor_kind() const = 0;
  // Ghost forces must be summed into their owners after compute().
  virtual bool needs_reverse_force() const = 0;
  // Species names the potential knows, in its own type order; the System maps structure species onto
  // them and errors on a species the potential lacks.
  virtual std::vector<std::string> species() const = 0;
  // Computes forces into atoms.f (zeroed by the caller), energy and virial.
  // `halo` lets message-passing potentials exchange per-atom features between layers.
  virtual void compute(const Box& box, Atoms& atoms, const NeighborList& list, HaloExchange& halo,
                       const ComputeRequest& request, ComputeResult& result) = 0;
};

}  // namespace e3md
