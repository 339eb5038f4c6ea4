#include "engine/integrator.hpp"

#include <stdexcept>

#include "engine/simulation.hpp"
#include "engine/units.hpp"

namespace e3md {

void Integrator::setup(Simulation& sim, long /*first_step*/, long /*last_step*/) { sim.compute_forces(); }

void Integrator::load_state(const std::vector<double>& state) {
  if (!state.empty()) {
    throw std::runtime_error("integrator '" + name() + "' has no state but the checkpoint holds " +
                             std::to_string(state.size()) + " values; restart with the integrator that wrote it");
  }
}

void Integrator::kick_drift(Simulation& sim) const {
  Atoms& a = sim.atoms();
  const double dtf = 0.5 * dt_ * units::ftm2v;
  const double dtv = dt_;
  for (int i = 0; i < a.nlocal; ++i) {
    const auto ui = static_cast<std::size_t>(i);
    const double dtfm = dtf / sim.mass(a.type[ui]);
    for (int k = 0; k < 3; ++k) {
      a.v[ui][k] += dtfm * a.f[ui][k];
      a.x[ui][k] += dtv * a.v[ui][k];
    }
  }
}

void Integrator::kick(Simulation& sim) const {
  Atoms& a = sim.atoms();
  const double dtf = 0.5 * dt_ * units::ftm2v;
  for (int i = 0; i < a.nlocal; ++i) {
    const auto ui = static_cast<std::size_t>(i);
    const double dtfm = dtf / sim.mass(a.type[ui]);
    for (int k = 0; k < 3; ++k) a.v[ui][k] += dtfm * a.f[ui][k];
  }
}

void VelocityVerlet::step(Simulation& sim) {
  sim.advance_clock(dt_);
  kick_drift(sim);
  sim.compute_forces();
  kick(sim);
}

void run(Simulation& sim, Integrator& integrator, long nsteps, const std::function<void(Simulation&)>& observe) {
  if (nsteps < 0) throw std::invalid_argument("run: number of steps must be >= 0");
  const long first = sim.step();
  integrator.setup(sim, first, first + nsteps);
  if (observe) observe(sim);
  for (long s = 0; s < nsteps; ++s) {
    integrator.step(sim);
    if (observe) observe(sim);
  }
}

}  // namespace e3md
