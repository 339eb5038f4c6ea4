// The distributed NequIP potential gives the single-rank result on any rank count: a Li-P-O-N model with the
// reference study's radial settings (tests/nequip/make_lipon_model.py, 3 layers, so features cross the halo
// between layers twice) on a crystal, an amorphous LiPON, a Li(110)||LiPON slab with vacuum along c and a
// general triclinic cell, with the automatic grid and with a P×1×1 grid whose subdomains are thinner than
// r_max (ghosts come from two or more swaps). Energy, forces and virial agree with the same computation on
// MPI_COMM_SELF (on rank 0) to 1e-10 relative; 200 velocity-Verlet steps give the same trajectory to 1e-8 Å.
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "driver/builder_amorphous.hpp"
#include "driver/builder_crystal.hpp"
#include "driver/builder_interface.hpp"
#include "engine/integrator.hpp"
#include "engine/nequip_potential.hpp"
#include "engine/simulation.hpp"
#include "engine/velocities.hpp"
#include "io/model_file.hpp"
#include "tests/support/mpi_world.hpp"

using namespace e3md;

namespace {

std::shared_ptr<NequipPotential> potential() {
  static auto pot = std::make_shared<NequipPotential>(read_model_file(E3MD_LIPON_MODEL));
  return pot;
}

Structure amorphous_lipon(double lateral_a = 0.0, double lateral_b = 0.0) {
  AmorphousOptions o;
  o.composition = "Li3PO3.3N0.5";
  o.formula_units = 2;  // 156 atoms
  o.density = 2.3;
  o.lateral_a = lateral_a;
  o.lateral_b = lateral_b;
  o.seed = 17;
  return build_amorphous(o);
}

// Affine shear of a structure: every cell vector and position multiplied by F (rows, x' = x F).
Structure sheared(Structure s) {
  Mat3 f = Mat3::Identity();
  f(0, 1) = 0.17;
  f(0, 2) = -0.11;
  f(1, 2) = 0.13;
  Mat3 cell;
  for (int k = 0; k < 3; ++k) cell.row(k) = s.box.vector(k).transpose() * f;
  s.box = Box(cell, {true, true, true});
  for (auto& x : s.positions) x = (x.transpose() * f).transpose();
  return s;
}

struct Case {
  std::string name;
  Structure structure;
};

std::vector<Case> cases() {
  std::vector<Case> out;
  out.push_back({"Li3PO4 crystal 2x2x2", make_supercell(build_crystal("Li3PO4"), 2, 2, 2)});
  out.push_back({"amorphous LiPON", amorphous_lipon()});
  InterfaceOptions io;
  io.li_min_thickness = 6.0;
  io.vacuum = 10.0;
  // 3 × 2 Li(110) surface cells (3.4268 × 4.8462 Å) match this block exactly.
  out.push_back({"Li(110)||LiPON slab, vacuum along c",
                 build_interface(build_crystal("Li"), amorphous_lipon(10.2804, 9.6924), io).structure});
  out.push_back({"triclinic amorphous LiPON", sheared(amorphous_lipon())});
  return out;
}

SimulationOptions options(std::array<int, 3> grid = {0, 0, 0}) {
  SimulationOptions o;
  o.skin = 0.5;
  o.grid = grid;
  return o;
}

// Forces by atom id, summed onto every rank.
std::vector<Vec3> forces_by_id(const Simulation& sim) {
  std::vector<double> f(3 * static_cast<std::size_t>(sim.natoms()), 0.0);
  const Atoms& a = sim.atoms();
  for (int i = 0; i < a.nlocal; ++i) {
    const auto u = static_cast<std::size_t>(i);
    for (int k = 0; k < 3; ++k)
      f[3 * static_cast<std::size_t>(a.id[u]) + static_cast<std::size_t>(k)] = a.f[u][k];
  }
  MPI_Allreduce(MPI_IN_PLACE, f.data(), static_cast<int>(f.size()), MPI_DOUBLE, MPI_SUM, sim.comm());
  std::vector<Vec3> out(static_cast<std::size_t>(sim.natoms()));
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = Vec3(f[3 * i], f[3 * i + 1], f[3 * i + 2]);
  return out;
}

// Unwrapped positions by atom id on every rank (collective over sim's communicator).
std::vector<Vec3> positions_by_id(const Simulation& sim) {
  const Structure s = sim.gather();
  std::vector<double> x(3 * static_cast<std::size_t>(sim.natoms()), 0.0);
  if (s.size() == x.size() / 3) {
    for (std::size_t i = 0; i < s.size(); ++i) {
      const Vec3 u = s.box.unwrap(s.positions[i], s.images.empty() ? Vec3i::Zero() : s.images[i]);
      for (int k = 0; k < 3; ++k) x[3 * i + static_cast<std::size_t>(k)] = u[k];
    }
  }
  MPI_Bcast(x.data(), static_cast<int>(x.size()), MPI_DOUBLE, 0, sim.comm());
  std::vector<Vec3> out(x.size() / 3);
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = Vec3(x[3 * i], x[3 * i + 1], x[3 * i + 2]);
  return out;
}

double max_abs(const std::vector<Vec3>& v) {
  double m = 0.0;
  for (const auto& x : v) m = std::max(m, x.cwiseAbs().maxCoeff());
  return m;
}

double max_diff(const std::vector<Vec3>& a, const std::vector<Vec3>& b) {
  double m = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, (a[i] - b[i]).cwiseAbs().maxCoeff());
  return m;
}

// Broadcasts rank 0's values (the single-rank reference is computed there only).
void share(std::vector<Vec3>& v, double* scalars, int nscalars) {
  MPI_Bcast(v.data(), static_cast<int>(3 * v.size()), MPI_DOUBLE, 0, MPI_COMM_WORLD);
  if (nscalars) MPI_Bcast(scalars, nscalars, MPI_DOUBLE, 0, MPI_COMM_WORLD);
}

void expect_same_forces(const Structure& s, const std::array<int, 3>& grid, const std::string& label) {
  std::vector<Vec3> f1(s.size());
  double ref[10] = {0};  // energy, virial
  if (test::world_rank() == 0) {
    Simulation one(MPI_COMM_SELF, s, potential(), options());
    one.compute_forces();
    f1 = forces_by_id(one);
    ref[0] = one.potential_energy();
    for (int k = 0; k < 9; ++k) ref[1 + k] = one.virial()(k / 3, k % 3);
  }
  share(f1, ref, 10);
  Mat3 v1;
  for (int k = 0; k < 9; ++k) v1(k / 3, k % 3) = ref[1 + k];
  Simulation many(MPI_COMM_WORLD, s, potential(), options(grid));
  many.compute_forces();
  const auto fn = forces_by_id(many);
  const double de = std::abs(many.potential_energy() - ref[0]) / std::abs(ref[0]);
  const double df = max_diff(f1, fn) / std::max(1.0, max_abs(f1));
  const double dv = (many.virial() - v1).cwiseAbs().maxCoeff() / std::max(1.0, v1.cwiseAbs().maxCoeff());
  EXPECT_LE(de, 1e-10) << label;
  EXPECT_LE(df, 1e-10) << label;
  EXPECT_LE(dv, 1e-10) << label;
  const LoadBalance& b = many.load_balance();
  if (test::world_rank() == 0) {
    std::printf(
        "%d rank(s) %-40s %-10s atoms %4ld, ghosts max %5ld: energy rel %.1e, forces rel %.1e, virial rel "
        "%.1e\n",
        test::world_size(), label.c_str(), grid[0] ? "P x 1 x 1" : "auto grid", many.natoms(), b.ghosts_max,
        de, df, dv);
  }
}

void expect_same_trajectory(const Structure& s, const std::array<int, 3>& grid, const std::string& label) {
  constexpr int kSteps = 200;
  auto run = [&](MPI_Comm comm, const SimulationOptions& o) {
    Simulation sim(comm, s, potential(), o);
    create_velocities(sim, 600.0, 31);  // per atom id: the same velocities on any rank count
    VelocityVerlet nve(0.001);
    e3md::run(sim, nve, kSteps);
    return positions_by_id(sim);
  };
  std::vector<Vec3> x1(s.size());
  if (test::world_rank() == 0) x1 = run(MPI_COMM_SELF, options());
  share(x1, nullptr, 0);
  const auto xn = run(MPI_COMM_WORLD, options(grid));
  const double d = max_diff(x1, xn);
  EXPECT_LE(d, 1e-8) << label;
  if (test::world_rank() == 0) {
    std::printf("%d rank(s) %-40s %-10s %d NVE steps: max position difference %.2e A\n", test::world_size(),
                label.c_str(), grid[0] ? "P x 1 x 1" : "auto grid", kSteps, d);
  }
}

}  // namespace

TEST(NequipRanks, ForcesEnergyVirialMatchOneRank) {
  for (const auto& c : cases()) {
    SCOPED_TRACE(c.name);
    expect_same_forces(c.structure, {0, 0, 0}, c.name);
    // Slabs of thickness a / P: below r_max = 4.3 Å from three ranks on (Li3PO4 2x2x2: a = 12.35 Å).
    if (test::world_size() > 1) expect_same_forces(c.structure, {test::world_size(), 1, 1}, c.name);
  }
}

TEST(NequipRanks, NveTrajectoryMatchesOneRank) {
  // On one rank this compares the code with itself; the subdomain case needs several.
  if (test::world_size() == 1) {
    expect_same_trajectory(amorphous_lipon(), {0, 0, 0}, "amorphous LiPON");
  } else {
    expect_same_trajectory(sheared(amorphous_lipon()), {test::world_size(), 1, 1}, "triclinic LiPON");
  }
}
