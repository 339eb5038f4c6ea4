// 1000 NVE steps (dt = 1 fs, Pedone + DSF, 576-atom beta-Li3PO4 at 600 K) from the same start as LAMMPS
// fix nve: unwrapped positions agree within 1e-6 Å after 100 steps; both codes conserve energy to the same
// order (drift per atom per ps printed for both).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "engine/integrator.hpp"
#include "engine/simulation.hpp"
#include "io/potential_params.hpp"
#include "tests/classical/classical_test_util.hpp"

namespace e3md {
namespace {

std::vector<Vec3> unwrapped(const Simulation& sim) {
  const Structure s = sim.gather();
  std::vector<Vec3> x;
  for (std::size_t i = 0; i < s.positions.size(); ++i) x.push_back(sim.box().unwrap(s.positions[i], s.images[i]));
  return x;
}

TEST(ClassicalNveLammps, PedoneCrystal1000Steps) {
  const std::string dir = test::lammps_reference("nve-pedone");
  const Structure s = test::read_structure_txt(dir + "/structure.txt");
  Simulation sim(MPI_COMM_WORLD, s, load_classical_potential(dir + "/potential.yaml"));
  VelocityVerlet nve(0.001);
  std::vector<double> etot;
  std::vector<Vec3> x100, x1000;
  run(sim, nve, 1000, [&](Simulation& m) {
    if (m.step() % 100 == 0) etot.push_back(m.potential_energy() + m.kinetic_energy());
    if (m.step() == 100) x100 = unwrapped(m);
    if (m.step() == 1000) x1000 = unwrapped(m);
  });
  if (sim.rank() != 0) return;
  const auto thermo = test::read_numbers(dir + "/nve_thermo.txt");  // step pe ke etotal per row
  ASSERT_EQ(thermo.size(), 4u * 11u);
  const auto ref100 = test::read_numbers(dir + "/nve_x100.txt");
  const auto ref1000 = test::read_numbers(dir + "/nve_x1000.txt");
  double d100 = 0.0, d1000 = 0.0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    for (int k = 0; k < 3; ++k) {
      d100 = std::max(d100, std::abs(x100[i][k] - ref100[3 * i + static_cast<std::size_t>(k)]));
      d1000 = std::max(d1000, std::abs(x1000[i][k] - ref1000[3 * i + static_cast<std::size_t>(k)]));
    }
  }
  EXPECT_LT(d100, 1e-6);
  double de_max = 0.0;
  for (std::size_t r = 0; r < 11; ++r) de_max = std::max(de_max, std::abs(etot[r] - thermo[4 * r + 3]));
  const double n = static_cast<double>(s.size());
  const double drift_e3md = (etot[10] - etot[0]) / n / 1.0;  // eV/atom/ps over 1 ps
  const double drift_lmp = (thermo[4 * 10 + 3] - thermo[3]) / n / 1.0;
  double fluct = 0.0;
  for (std::size_t r = 0; r < 11; ++r) fluct = std::max(fluct, std::abs(etot[r] - etot[0]) / n);
  std::printf("[nve] max|dx| vs LAMMPS: step 100 %.2e A, step 1000 %.2e A; max|dEtot| %.2e eV\n", d100, d1000, de_max);
  std::printf("[nve] energy drift e3md %.3e  LAMMPS %.3e eV/atom/ps; max |Etot - Etot0| %.2e eV/atom\n", drift_e3md,
              drift_lmp, fluct);
  // Same order of conservation: drift within 10x LAMMPS's (or below 1e-6 eV/atom/ps).
  EXPECT_LT(std::abs(drift_e3md), 10.0 * std::abs(drift_lmp) + 1e-6);
  EXPECT_LT(de_max / n, 1e-8);
}

}  // namespace
}  // namespace e3md
