#include "engine/integrator_langevin.hpp"

#include <cmath>
#include <stdexcept>

#include "engine/rng_philox.hpp"
#include "engine/simulation.hpp"
#include "engine/units.hpp"

namespace e3md {

LangevinIntegrator::LangevinIntegrator(double dt, double t_start, double t_stop, double damp, std::uint64_t seed)
    : Integrator(dt), t_start_(t_start), t_stop_(t_stop), damp_(damp), seed_(seed) {
  if (!(t_start >= 0.0) || !(t_stop >= 0.0)) throw std::invalid_argument("langevin: temperatures must be >= 0 K");
  if (!(damp > 0.0)) throw std::invalid_argument("langevin: damp must be > 0 ps");
}

double LangevinIntegrator::target_temperature(long step) const {
  if (last_step_ == first_step_) return t_start_;
  const double delta = static_cast<double>(step - first_step_) / static_cast<double>(last_step_ - first_step_);
  return t_start_ + delta * (t_stop_ - t_start_);
}

void LangevinIntegrator::setup(Simulation& sim, long first_step, long last_step) {
  first_step_ = first_step;
  last_step_ = last_step;
  sim.compute_forces();
  add_langevin_forces(sim);
}

void LangevinIntegrator::add_langevin_forces(Simulation& sim) {
  Atoms& a = sim.atoms();
  f_langevin_.resize(static_cast<std::size_t>(a.nlocal));
  const double tsqrt = std::sqrt(target_temperature(sim.step()));
  const auto step = static_cast<std::uint64_t>(sim.step());
  for (int i = 0; i < a.nlocal; ++i) {
    const auto ui = static_cast<std::size_t>(i);
    const double m = sim.mass(a.type[ui]);
    const double gamma1 = -m / damp_ / units::ftm2v;
    const double gamma2 = std::sqrt(m) * std::sqrt(24.0 * units::boltz / damp_ / dt_ / units::mvv2e) / units::ftm2v * tsqrt;
    const auto u = Philox4x32::draw(seed_, static_cast<std::uint64_t>(a.id[ui]), step, 0);
    Vec3 fl;
    for (int k = 0; k < 3; ++k) fl[k] = gamma1 * a.v[ui][k] + gamma2 * (Philox4x32::uniform(u[static_cast<std::size_t>(k)]) - 0.5);
    f_langevin_[ui] = fl;
    a.f[ui] += fl;
  }
}

void LangevinIntegrator::kick_tally(Simulation& sim) {
  Atoms& a = sim.atoms();
  const double dtf = 0.5 * dt_ * units::ftm2v;
  double work = 0.0;
  for (int i = 0; i < a.nlocal; ++i) {
    const auto ui = static_cast<std::size_t>(i);
    const Vec3 v0 = a.v[ui];
    a.v[ui] += dtf / sim.mass(a.type[ui]) * a.f[ui];
    // ΔKE of a kick splits exactly into F·(v0 + v1)/2·dt/2 per force term.
    work += f_langevin_[ui].dot(0.5 * (v0 + a.v[ui])) * 0.5 * dt_;
  }
  thermostat_energy_ -= sim.halo().allreduce_sum(work);
}

void LangevinIntegrator::step(Simulation& sim) {
  sim.advance_clock(dt_);
  // The Langevin forces live in atoms.f until the next force call; atoms may migrate between ranks only
  // inside compute_forces(), after this kick, so f_langevin_ still matches the atom order here.
  kick_tally(sim);
  Atoms& a = sim.atoms();
  for (int i = 0; i < a.nlocal; ++i) a.x[static_cast<std::size_t>(i)] += dt_ * a.v[static_cast<std::size_t>(i)];
  sim.compute_forces();
  add_langevin_forces(sim);
  kick_tally(sim);
}

double LangevinIntegrator::conserved_contribution(const Simulation& /*sim*/) const { return thermostat_energy_; }

void LangevinIntegrator::load_state(const std::vector<double>& state) {
  if (state.size() != 1) {
    throw std::runtime_error("langevin: checkpoint state has " + std::to_string(state.size()) +
                             " values, expected 1; restart with the integrator that wrote it");
  }
  thermostat_energy_ = state[0];
}

}  // namespace e3md
