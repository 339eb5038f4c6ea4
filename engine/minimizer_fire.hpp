// FIRE 2.0 energy minimisation (Guénolé et al., Comput. Mater. Sci. 175, 109584 (2020)) with LAMMPS
// min_style fire defaults: semi-implicit Euler, dtmax = 10 dt, dtmin = 0.02 dt, N_delay = 20, f_inc = 1.1,
// f_dec = 0.5, α0 = 0.25, f_α = 0.99, half step back on uphill moves.
//
// Optional cell relaxation to a target pressure: the cell joins the coordinates through one strain per
// relaxed lattice vector (Iso: one for all three, Aniso: three, Z: the c vector only; lattice vector k
// scales as in the NPT barostat), with generalised force −∂H/∂ε_k = a_k·W·a*_k − P V (enthalpy H = E + PV,
// a*_k the reciprocal vector), scaled by 1/N as ASE's UnitCellFilter does so that cell and atom steps are
// comparable.
#pragma once

#include "engine/integrator_nose_hoover.hpp"

namespace e3md {

class Simulation;

struct FireParams {
  double dt = 0.001;            // ps, initial step
  long max_iterations = 10000;
  double force_tolerance = 1e-4;   // eV/Å: stop when every force component is below
  double energy_tolerance = 0.0;   // relative energy change between iterations (0 = off)
  bool relax_cell = false;
  NoseHooverParams::Coupling coupling = NoseHooverParams::Coupling::Iso;
  double pressure = 0.0;           // bar, target for the cell
  double pressure_tolerance = 1.0; // bar: stop only when |P_k − P| is below this as well
};

struct FireResult {
  long iterations = 0;
  bool converged = false;
  double energy = 0.0;       // eV
  double max_force = 0.0;    // eV/Å
  double max_pressure_error = 0.0;  // bar
};

// Collective. Leaves velocities zero and forces current.
FireResult minimize_fire(Simulation& sim, const FireParams& params);

}  // namespace e3md
