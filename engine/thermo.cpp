#include "engine/thermo.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "engine/integrator.hpp"
#include "engine/simulation.hpp"

namespace e3md {

ThermoRow thermo_row(const Simulation& sim, const Integrator& integrator) {
  ThermoRow r;
  r.step = sim.step();
  r.time = sim.time();
  r.temperature = sim.temperature();
  r.potential = sim.potential_energy();
  r.kinetic = sim.kinetic_energy();
  r.total = r.potential + r.kinetic;
  r.conserved = r.total + integrator.conserved_contribution(sim);
  r.pressure = sim.pressure();
  r.volume = sim.volume();
  return r;
}

Thermo::Thermo(long interval, long last_step) : interval_(interval > 0 ? interval : 1), last_step_(last_step) {}

std::string Thermo::header() {
  return fmt::format("{:>10} {:>10} {:>9} {:>15} {:>12} {:>15} {:>15} {:>11} {:>11} {:>11} {:>8} {:>9}", "step",
                     "time_ps", "T_K", "PE_eV", "KE_eV", "Etot_eV", "Econs_eV", "P_bar", "V_A3", "atomstep/s",
                     "ns/day", "ETA_s");
}

std::string Thermo::format(const ThermoRow& r) {
  return fmt::format("{:>10} {:>10.4f} {:>9.2f} {:>15.6f} {:>12.6f} {:>15.6f} {:>15.6f} {:>11.2f} {:>11.3f} {:>11.4g} "
                     "{:>8.3f} {:>9.0f}",
                     r.step, r.time, r.temperature, r.potential, r.kinetic, r.total, r.conserved, r.pressure, r.volume,
                     r.atom_steps_per_s, r.ns_per_day, r.eta_s);
}

void Thermo::operator()(const Simulation& sim, const Integrator& integrator) {
  const auto now = std::chrono::steady_clock::now();
  if (!started_) {
    started_ = true;
    start_ = now;
    start_step_ = sim.step();
    if (sim.rank() == 0) spdlog::info("{}", header());
  }
  const long s = sim.step();
  if (s % interval_ != 0 && s != last_step_) return;
  last_ = thermo_row(sim, integrator);
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const long done = s - start_step_;
  if (done > 0 && elapsed > 0.0) {
    const double steps_per_s = done / elapsed;
    last_.atom_steps_per_s = steps_per_s * static_cast<double>(sim.natoms());
    last_.ns_per_day = steps_per_s * integrator.dt() * 1e-3 * 86400.0;
    last_.eta_s = static_cast<double>(last_step_ - s) / steps_per_s;
  }
  if (sim.rank() == 0) spdlog::info("{}", format(last_));
}

}  // namespace e3md
