#include "engine/velocities.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "engine/rng_philox.hpp"
#include "engine/simulation.hpp"
#include "engine/units.hpp"

namespace e3md {

void create_velocities(Simulation& sim, double temperature, std::uint64_t seed) {
  if (!(temperature >= 0.0)) throw std::invalid_argument("create_velocities: temperature must be >= 0 K");
  Atoms& atoms = sim.atoms();
  for (int i = 0; i < atoms.nlocal; ++i) {
    const auto ui = static_cast<std::size_t>(i);
    // Stream 1 so that these numbers never coincide with a thermostat's (which use stream 0).
    const auto u = Philox4x32::draw(seed, static_cast<std::uint64_t>(atoms.id[ui]), 0, 1);
    const auto g01 = Philox4x32::normal2(u[0], u[1]);
    const auto g2 = Philox4x32::normal2(u[2], u[3]);
    const double sigma = std::sqrt(units::boltz * std::max(temperature, 1.0) / (sim.mass(atoms.type[ui]) * units::mvv2e));
    atoms.v[ui] = sigma * Vec3(g01[0], g01[1], g2[0]);
  }
  zero_momentum(sim);
  scale_velocities(sim, temperature);
}

void zero_momentum(Simulation& sim) {
  Atoms& atoms = sim.atoms();
  double buf[4] = {0, 0, 0, 0};  // Σ m v, Σ m
  for (int i = 0; i < atoms.nlocal; ++i) {
    const auto ui = static_cast<std::size_t>(i);
    const double m = sim.mass(atoms.type[ui]);
    for (int k = 0; k < 3; ++k) buf[k] += m * atoms.v[ui][k];
    buf[3] += m;
  }
  sim.halo().allreduce_sum(buf, 4);
  const Vec3 vcm = Vec3(buf[0], buf[1], buf[2]) / buf[3];
  for (int i = 0; i < atoms.nlocal; ++i) atoms.v[static_cast<std::size_t>(i)] -= vcm;
}

void scale_velocities(Simulation& sim, double temperature) {
  const double current = sim.temperature();
  if (current <= 0.0) {
    if (temperature == 0.0) return;
    throw std::runtime_error("scale_velocities: all velocities are zero; create velocities before scaling");
  }
  const double factor = std::sqrt(temperature / current);
  Atoms& atoms = sim.atoms();
  for (int i = 0; i < atoms.nlocal; ++i) atoms.v[static_cast<std::size_t>(i)] *= factor;
}

}  // namespace e3md
