// Builds a classical pair potential from YAML (a potential file or a block of a deck):
//
//   style: born/coul/dsf        # born/coul/dsf | buck/coul/dsf | pedone/coul/dsf | born | buck | pedone | lj/cut
//   cutoff: 8.0                 # short-range cutoff (Å); a pair may override it with its own `cutoff`
//   alpha: 0.25                 # DSF damping (Å⁻¹), */coul/dsf styles only
//   coulomb_cutoff: 8.0         # DSF cutoff (Å), default = cutoff
//   shift: false                # subtract E_sr(rc) per pair (LAMMPS pair_modify shift yes); default false
//   erfc: exact                 # exact | polynomial (A&S 7.1.26, as LAMMPS coul/dsf); default: exact for
//                               # born/coul/dsf, polynomial otherwise, i.e. what the mirrored LAMMPS style does
//   species: {Li: {charge: 0.6, mass: 6.94}, O: {charge: -1.2}}
//   pairs:
//     Li-O: {A: ..., rho: ..., sigma: ..., C: ..., D: ...}   # born (sigma, D default 0)
//     Li-O: {A: ..., rho: ..., C: ...}                        # buck
//     Li-O: {D0: ..., alpha: ..., r0: ..., C: ...}            # pedone (E in eV, alpha in Å⁻¹, C in eV·Å¹²)
//     Ar-Ar: {epsilon: ..., sigma: ...}                       # lj/cut
//     Li-Li: none                                             # no short-range term (Coulomb only)
//
// Every unordered species pair must appear once (as A-B or B-A). Errors name the file, line and key.
#pragma once

#include <yaml-cpp/yaml.h>

#include <memory>
#include <string>

#include "engine/pair_potential.hpp"

namespace e3md {

// `source` names the file (or deck) for error messages.
std::shared_ptr<ClassicalPotential> make_classical_potential(const YAML::Node& node, const std::string& source);
std::shared_ptr<ClassicalPotential> load_classical_potential(const std::string& path);

}  // namespace e3md
