// Thermostats, barostat and minimiser on a 256-atom Lennard-Jones argon crystal (eps 0.0104 eV,
// sigma 3.405 Å, rc 8.5 Å). Nosé–Hoover chain and Langevin reach the target temperature and their
// kinetic-energy fluctuations match the canonical value σ_T/T = sqrt(2/dof) within statistical error;
// the Nosé–Hoover (1e-4) and NPT (5e-5, shifted LJ) conserved quantities stay within those eV/atom; NPT reaches the target
// pressure on average; the z-only barostat changes only the c vector; a temperature ramp ends at T_stop;
// FIRE relaxes positions and (with the cell) a strained crystal to the target pressure.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdio>

#include "engine/integrator.hpp"
#include "engine/integrator_langevin.hpp"
#include "engine/integrator_nose_hoover.hpp"
#include "engine/minimizer_fire.hpp"
#include "engine/simulation.hpp"
#include "engine/velocities.hpp"
#include "io/potential_params.hpp"

namespace e3md {
namespace {

const char* kArgon = "style: lj/cut\ncutoff: 8.5\nspecies: {Ar: {mass: 39.948}}\n"
                     "pairs: {Ar-Ar: {epsilon: 0.0104, sigma: 3.405}}\n";
// Shifted at the cutoff so that pairs crossing it under compression do not make the energy jump (the
// conserved-quantity check of NPT would otherwise measure the truncation, not the integrator).
const char* kArgonShifted = "style: lj/cut\ncutoff: 8.5\nshift: true\nspecies: {Ar: {mass: 39.948}}\n"
                            "pairs: {Ar-Ar: {epsilon: 0.0104, sigma: 3.405}}\n";

Structure argon_fcc(double a, int n, double jitter = 0.0) {
  Structure s;
  s.box = Box(Mat3::Identity() * a * n, {true, true, true});
  const Vec3 basis[4] = {{0, 0, 0}, {0.5, 0.5, 0}, {0.5, 0, 0.5}, {0, 0.5, 0.5}};
  int id = 0;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j)
      for (int k = 0; k < n; ++k)
        for (const auto& b : basis) {
          s.species.push_back("Ar");
          // Deterministic small displacements so minimisers have work to do.
          const Vec3 d(std::sin(1.3 * id), std::sin(2.1 * id + 1), std::sin(0.7 * id + 2));
          s.positions.push_back((Vec3(i, j, k) + b + Vec3::Constant(0.25)) * a + jitter * d);
          ++id;
        }
  return s;
}

struct Stats {
  double mean = 0, sd = 0;
};

// Samples T every `every` steps after `burn` steps.
Stats sample_temperature(Simulation& sim, Integrator& integ, long steps, long burn, long every, double* drift = nullptr) {
  double s1 = 0, s2 = 0;
  long n = 0;
  double c0 = 0, cmax = 0;
  run(sim, integ, steps, [&](Simulation& m) {
    const long k = m.step();
    if (drift && k == burn) c0 = m.potential_energy() + m.kinetic_energy() + integ.conserved_contribution(m);
    if (drift && k > burn && k % every == 0) {
      const double c = m.potential_energy() + m.kinetic_energy() + integ.conserved_contribution(m);
      cmax = std::max(cmax, std::abs(c - c0));
    }
    if (k <= burn || k % every != 0) return;
    const double t = m.temperature();
    s1 += t;
    s2 += t * t;
    ++n;
  });
  if (drift) *drift = cmax / static_cast<double>(sim.natoms());
  Stats st;
  st.mean = s1 / n;
  st.sd = std::sqrt(s2 / n - st.mean * st.mean);
  return st;
}

TEST(ClassicalThermostats, NoseHooverCanonicalFluctuations) {
  Simulation sim(MPI_COMM_WORLD, argon_fcc(5.30, 4), make_classical_potential(YAML::Load(kArgon), "ar"));
  create_velocities(sim, 60.0, 11);
  NoseHooverParams p;
  p.t_start = p.t_stop = 60.0;
  p.t_damp = 0.2;
  NoseHooverIntegrator nvt(0.004, p);
  double drift = 0;
  const Stats st = sample_temperature(sim, nvt, 20000, 1000, 20, &drift);
  const double expected = std::sqrt(2.0 / sim.dof());
  std::printf("[nvt] <T> = %.3f K (target 60), sd/T = %.4f (canonical %.4f), conserved drift %.2e eV/atom\n", st.mean,
              st.sd / st.mean, expected, drift);
  EXPECT_NEAR(st.mean, 60.0, 0.02 * 60.0);
  EXPECT_NEAR(st.sd / st.mean / expected, 1.0, 0.15);
  EXPECT_LT(drift, 1e-4);
}

TEST(ClassicalThermostats, LangevinCanonicalFluctuations) {
  Simulation sim(MPI_COMM_WORLD, argon_fcc(5.30, 4), make_classical_potential(YAML::Load(kArgon), "ar"));
  create_velocities(sim, 20.0, 12);
  LangevinIntegrator lgv(0.004, 60.0, 60.0, 0.2, 5);
  double drift = 0;
  const Stats st = sample_temperature(sim, lgv, 20000, 1000, 20, &drift);
  const double expected = std::sqrt(2.0 / sim.dof());
  std::printf("[langevin] <T> = %.3f K (target 60), sd/T = %.4f (canonical %.4f), conserved drift %.2e eV/atom\n",
              st.mean, st.sd / st.mean, expected, drift);
  EXPECT_NEAR(st.mean, 60.0, 0.02 * 60.0);
  EXPECT_NEAR(st.sd / st.mean / expected, 1.0, 0.15);
  EXPECT_LT(drift, 1e-3);
}

TEST(ClassicalThermostats, TemperatureRampEndsAtTstop) {
  Simulation sim(MPI_COMM_WORLD, argon_fcc(5.30, 3), make_classical_potential(YAML::Load(kArgon), "ar"));
  create_velocities(sim, 20.0, 13);
  NoseHooverParams p;
  p.t_start = 20.0;
  p.t_stop = 50.0;
  p.t_damp = 0.1;
  NoseHooverIntegrator nvt(0.004, p);
  double t_late = 0;
  long n = 0;
  run(sim, nvt, 5000, [&](Simulation& m) {
    if (m.step() > 4500) {
      t_late += m.temperature();
      ++n;
    }
  });
  EXPECT_DOUBLE_EQ(nvt.target_temperature(), 50.0);
  EXPECT_NEAR(t_late / n, 48.5, 4.0);  // mean target over the last 500 steps is 48.5 K
}

TEST(ClassicalBarostat, NptIsoReachesTargetPressure) {
  Simulation sim(MPI_COMM_WORLD, argon_fcc(5.40, 4), make_classical_potential(YAML::Load(kArgonShifted), "ar"));
  create_velocities(sim, 50.0, 14);
  NoseHooverParams p;
  p.t_start = p.t_stop = 50.0;
  p.t_damp = 0.2;
  p.barostat = true;
  p.p_start = p.p_stop = 1000.0;
  p.p_damp = 1.0;
  NoseHooverIntegrator npt(0.004, p);
  double psum = 0, c0 = 0, cmax = 0;
  long n = 0;
  const double v0 = sim.volume();
  run(sim, npt, 12000, [&](Simulation& m) {
    const double c = m.potential_energy() + m.kinetic_energy() + npt.conserved_contribution(m);
    if (m.step() == 0) c0 = c;
    cmax = std::max(cmax, std::abs(c - c0));
    if (m.step() > 4000 && m.step() % 10 == 0) {
      psum += m.pressure();
      ++n;
    }
  });
  const Mat3 h = sim.box().cell();
  std::printf("[npt iso] <P> = %.1f bar (target 1000), V %.1f -> %.1f A^3, conserved drift %.2e eV/atom\n", psum / n,
              v0, sim.volume(), cmax / sim.natoms());
  EXPECT_NEAR(psum / n, 1000.0, 150.0);
  EXPECT_LT(cmax / sim.natoms(), 5e-5);
  EXPECT_NEAR(h(0, 0), h(1, 1), 1e-9 * h(0, 0));  // isotropic: the cube stays a cube
  EXPECT_NEAR(h(0, 0), h(2, 2), 1e-9 * h(0, 0));
}

TEST(ClassicalBarostat, ZOnlyScalesOnlyTheCVector) {
  Structure s = argon_fcc(5.40, 3);
  Mat3 cell = s.box.cell();
  cell(2, 0) = 1.2;  // tilt c: a triclinic cell whose shape must be kept
  s.box = Box(cell, {true, true, true});
  Simulation sim(MPI_COMM_WORLD, s, make_classical_potential(YAML::Load(kArgon), "ar"));
  create_velocities(sim, 40.0, 15);
  NoseHooverParams p;
  p.t_start = p.t_stop = 40.0;
  p.barostat = true;
  p.coupling = NoseHooverParams::Coupling::Z;
  p.p_start = p.p_stop = 5000.0;  // compression: a tensile target this size fractures the crystal
  p.p_damp = 0.5;
  NoseHooverIntegrator npt(0.004, p);
  run(sim, npt, 500);
  const Mat3 h = sim.box().cell();
  EXPECT_EQ(h.row(0), cell.row(0));
  EXPECT_EQ(h.row(1), cell.row(1));
  EXPECT_GT(std::abs(h(2, 2) / cell(2, 2) - 1.0), 1e-4);
  EXPECT_NEAR(h(2, 0) / h(2, 2), cell(2, 0) / cell(2, 2), 1e-12);  // c keeps its direction
}

TEST(ClassicalMinimizer, FirePositionsAndCell) {
  Simulation sim(MPI_COMM_WORLD, argon_fcc(5.30, 3, 0.15), make_classical_potential(YAML::Load(kArgon), "ar"));
  FireParams fp;
  fp.dt = 0.002;
  fp.force_tolerance = 1e-5;
  const FireResult r = minimize_fire(sim, fp);
  std::printf("[fire] positions: %ld iterations, E = %.6f eV, fmax = %.1e\n", r.iterations, r.energy, r.max_force);
  EXPECT_TRUE(r.converged);
  EXPECT_LT(r.max_force, 1e-5);

  fp.relax_cell = true;
  fp.coupling = NoseHooverParams::Coupling::Aniso;
  fp.pressure = 0.0;
  fp.pressure_tolerance = 1.0;
  fp.max_iterations = 20000;
  const FireResult rc = minimize_fire(sim, fp);
  const Mat3 h = sim.box().cell();
  std::printf("[fire] cell: %ld iterations, a = %.5f %.5f %.5f A, P error %.2e bar, E = %.6f eV\n", rc.iterations,
              h(0, 0) / 3, h(1, 1) / 3, h(2, 2) / 3, rc.max_pressure_error, rc.energy);
  EXPECT_TRUE(rc.converged);
  EXPECT_LT(rc.energy, r.energy);
  EXPECT_LT(std::abs(sim.pressure()), 1.0 + 1e-6);
  // Relaxed LJ fcc with rc = 8.5 Å, no shift: a ≈ 1.54 σ (≈ 5.25 Å) within a fraction of a percent.
  EXPECT_NEAR(h(0, 0) / 3, 5.25, 0.05);
}

}  // namespace
}  // namespace e3md
