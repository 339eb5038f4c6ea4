// Time integrators behind one interface, and the loop that drives them.
//
// A step follows LAMMPS's Verlet::run: clock advances, initial_integrate (half kick, drift), forces,
// post-force (Langevin), final_integrate (half kick). Every integrator keeps its extended-system state in
// a flat vector for checkpoints, and reports its contribution to the conserved quantity (eV).
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace e3md {

class Simulation;

class Integrator {
 public:
  explicit Integrator(double dt) : dt_(dt) {}
  virtual ~Integrator() = default;
  virtual std::string name() const = 0;
  double dt() const { return dt_; }  // ps

  // Called once per run before the first step: computes forces for the current positions and
  // initialises thermostat masses etc. `first_step`/`last_step` bound the run (temperature ramps).
  virtual void setup(Simulation& sim, long first_step, long last_step);
  // Advances positions, velocities (and box) by dt; leaves forces current.
  virtual void step(Simulation& sim) = 0;
  // Energy of the thermostat/barostat variables (eV); PE + KE + this is conserved.
  virtual double conserved_contribution(const Simulation& /*sim*/) const { return 0.0; }
  // Extended-system state for checkpoints (empty for plain NVE).
  virtual std::vector<double> save_state() const { return {}; }
  virtual void load_state(const std::vector<double>& state);

 protected:
  // fix nve arithmetic: v += dt/2·f/m (in LAMMPS units), then x += dt·v.
  void kick_drift(Simulation& sim) const;
  void kick(Simulation& sim) const;
  double dt_;
};

// Velocity Verlet, NVE (LAMMPS fix nve).
class VelocityVerlet final : public Integrator {
 public:
  using Integrator::Integrator;
  std::string name() const override { return "nve"; }
  void step(Simulation& sim) override;
};

// Runs nsteps steps; calls observe(sim) after setup and after every step (thermo, dumps).
// The integrator's setup() is called first.
void run(Simulation& sim, Integrator& integrator, long nsteps,
         const std::function<void(Simulation&)>& observe = nullptr);

}  // namespace e3md
