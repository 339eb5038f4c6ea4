// Thermodynamic output: one line per interval through spdlog on rank 0 — step, time (ps), T (K), PE, KE,
// total and conserved energy (eV), pressure (bar), volume (Å³), throughput (atom-steps/s, ns/day), ETA.
#pragma once

#include <chrono>
#include <string>

namespace e3md {

class Simulation;
class Integrator;

struct ThermoRow {
  long step = 0;
  double time = 0.0;          // ps
  double temperature = 0.0;   // K
  double potential = 0.0;     // eV
  double kinetic = 0.0;       // eV
  double total = 0.0;         // eV
  double conserved = 0.0;     // eV: total + thermostat/barostat energy
  double pressure = 0.0;      // bar
  double volume = 0.0;        // Å³
  double atom_steps_per_s = 0.0;
  double ns_per_day = 0.0;
  double eta_s = 0.0;         // seconds to the end of the run
};

// Collective: every rank computes the observables (they are global sums).
ThermoRow thermo_row(const Simulation& sim, const Integrator& integrator);

class Thermo {
 public:
  // Prints every `interval` steps (and the last step) of a run ending at `last_step`.
  Thermo(long interval, long last_step);
  // Collective on print steps. Call after setup and after every step.
  void operator()(const Simulation& sim, const Integrator& integrator);
  const ThermoRow& last() const { return last_; }
  static std::string header();
  static std::string format(const ThermoRow& row);

 private:
  long interval_, last_step_;
  bool started_ = false;
  long start_step_ = 0;
  std::chrono::steady_clock::time_point start_;
  ThermoRow last_;
};

}  // namespace e3md
