// Rank-count invariance (run under mpirun -np 1, 2, 3, 4, 8): forces equal a one-rank run to 1e-12
// relative, and 200 NVE steps (plus 50 Langevin steps, whose random forces are keyed by atom id and step)
// give the same positions to 1e-9 Å. Cases: the 544-atom random triclinic Li-P-O-N packing (born/coul/dsf)
// and a 128-atom beta-Li3PO4 cell narrower than the 9 Å ghost cutoff in every direction (Pedone).
// The random packing starts far from equilibrium (forces up to 56 eV/Å) and its trajectory is strongly
// chaotic: at dt = 1 fs a 1e-16 difference in force summation order grows to ~3e-8 Å in 200 steps (a
// Lyapunov rate near 100/ps, same on any rank count), so that case integrates with dt = 0.5 fs; the forces
// themselves agree to ~5e-16.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "engine/integrator.hpp"
#include "engine/integrator_langevin.hpp"
#include "engine/simulation.hpp"
#include "engine/velocities.hpp"
#include "io/potential_params.hpp"
#include "tests/classical/classical_test_util.hpp"

namespace e3md {
namespace {

std::vector<Vec3> unwrapped(const Simulation& sim) {
  const Structure s = sim.gather();
  std::vector<Vec3> x;
  for (std::size_t i = 0; i < s.positions.size(); ++i)
    x.push_back(sim.box().unwrap(s.positions[i], s.images[i]));
  return x;
}

struct Snapshot {
  std::vector<Vec3> f, x_nve, x_langevin;
};

Snapshot simulate(MPI_Comm comm, const Structure& s, const std::string& pot_path, double dt) {
  Snapshot out;
  {
    Simulation sim(comm, s, load_classical_potential(pot_path));
    sim.compute_forces();
    out.f = test::gather_by_id(sim, sim.atoms().f);
    create_velocities(sim, 900.0, 77);
    VelocityVerlet nve(dt);
    run(sim, nve, 200);
    out.x_nve = unwrapped(sim);
  }
  Simulation sim(comm, s, load_classical_potential(pot_path));
  create_velocities(sim, 900.0, 78);
  LangevinIntegrator lgv(dt, 900.0, 1200.0, 0.05, 99);
  run(sim, lgv, 50);
  out.x_langevin = unwrapped(sim);
  return out;
}

void check_case(const std::string& kase, double dt) {
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  // Rank 0 writes the reference files; the others wait for them, and stop with it if it could not.
  std::string dir, failure;
  if (rank == 0) {
    try {
      dir = test::lammps_reference(kase);
    } catch (const std::exception& e) {
      failure = e.what();
    }
  }
  int ok = failure.empty() ? 1 : 0;
  MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
  ASSERT_TRUE(ok) << "LAMMPS reference for " << kase << " (rank 0): " << failure;
  if (rank != 0) dir = test::lammps_reference(kase);
  const Structure s = test::read_structure_txt(dir + "/structure.txt");
  const Snapshot par = simulate(MPI_COMM_WORLD, s, dir + "/potential.yaml", dt);
  if (rank != 0) return;
  const Snapshot ref = simulate(MPI_COMM_SELF, s, dir + "/potential.yaml", dt);
  double fmax = 0, df = 0, dx = 0, dl = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    fmax = std::max(fmax, ref.f[i].cwiseAbs().maxCoeff());
    df = std::max(df, (par.f[i] - ref.f[i]).cwiseAbs().maxCoeff());
    dx = std::max(dx, (par.x_nve[i] - ref.x_nve[i]).cwiseAbs().maxCoeff());
    dl = std::max(dl, (par.x_langevin[i] - ref.x_langevin[i]).cwiseAbs().maxCoeff());
  }
  std::printf(
      "[ranks=%d %s] max|dF|/max|F| = %.2e, NVE 200 steps (dt %.1f fs) max|dx| = %.2e A, Langevin 50 steps "
      "%.2e A\n",
      size, kase.c_str(), df / fmax, dt * 1000, dx, dl);
  EXPECT_LT(df / fmax, 1e-12);
  EXPECT_LT(dx, 1e-9);
  EXPECT_LT(dl, 1e-9);
}

TEST(ClassicalRankInvariance, BornRandomTriclinic) { check_case("born-random", 0.0005); }
TEST(ClassicalRankInvariance, PedoneCellNarrowerThanCutoff) { check_case("pedone-small", 0.001); }

}  // namespace
}  // namespace e3md
