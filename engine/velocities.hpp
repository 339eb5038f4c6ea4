// Maxwell–Boltzmann initial velocities. Each atom's velocity is drawn from Philox keyed by (seed, atom id),
// so the result does not depend on the rank count or atom order; the total momentum is then removed and
// the velocities scaled so that the temperature (3N − 3 degrees of freedom) is exactly `temperature`.
#pragma once

#include <cstdint>

namespace e3md {

class Simulation;

// Collective. temperature in K.
void create_velocities(Simulation& sim, double temperature, std::uint64_t seed);
// Collective. Removes the centre-of-mass velocity (mass-weighted) of all atoms.
void zero_momentum(Simulation& sim);
// Collective. Scales velocities so that the 3N − 3 temperature equals `temperature` (K).
void scale_velocities(Simulation& sim, double temperature);

}  // namespace e3md
