// Physical constants in LAMMPS "metal" units (Å, eV, ps, amu, K, bar, e).
// The values are LAMMPS's own (src/update.cpp, units metal) so that trajectories can be compared with
// LAMMPS to round-off.
#pragma once

namespace e3md::units {

inline constexpr double boltz = 8.617343e-5;        // Boltzmann constant, eV/K
inline constexpr double mvv2e = 1.0364269e-4;       // amu·(Å/ps)² → eV
inline constexpr double ftm2v = 1.0 / 1.0364269e-4; // (eV/Å)/amu → Å/ps²
inline constexpr double nktv2p = 1.6021765e6;       // eV/Å³ → bar
inline constexpr double qqr2e = 14.399645;          // e²/Å → eV (Coulomb constant)

}  // namespace e3md::units
