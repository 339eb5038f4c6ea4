// Langevin NVT as LAMMPS fix langevin + fix nve: after the force call every atom gets a drag
// −m v/damp and a random force √(24 kB T m /(damp dt)) · U(−½, ½) per component (the uniform variant LAMMPS
// uses), integrated by velocity Verlet. Random numbers: Philox keyed by (seed, atom id, step), so the
// trajectory is independent of the rank count. The target temperature ramps linearly from t_start to t_stop
// over the run. The energy the thermostat exchanges is tallied exactly per half kick, so that
// PE + KE + conserved_contribution() is conserved up to integration error.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/integrator.hpp"
#include "engine/types.hpp"

namespace e3md {

class LangevinIntegrator final : public Integrator {
 public:
  // temperatures in K, damp (relaxation time of the velocity) in ps.
  LangevinIntegrator(double dt, double t_start, double t_stop, double damp, std::uint64_t seed);
  std::string name() const override { return "langevin"; }
  void setup(Simulation& sim, long first_step, long last_step) override;
  void step(Simulation& sim) override;
  double conserved_contribution(const Simulation& sim) const override;
  std::vector<double> save_state() const override { return {thermostat_energy_}; }
  void load_state(const std::vector<double>& state) override;
  double target_temperature(long step) const;

 private:
  void add_langevin_forces(Simulation& sim);
  // v += dt/2·f/m; accumulates the work of the Langevin part of f.
  void kick_tally(Simulation& sim);
  double t_start_, t_stop_, damp_;
  std::uint64_t seed_;
  long first_step_ = 0, last_step_ = 0;
  double thermostat_energy_ = 0.0;  // −(work done by Langevin forces on all atoms), eV
  std::vector<Vec3> f_langevin_;     // per owned atom, reused
};

}  // namespace e3md
