// NequipPotential (engine/) in the step loop's Simulation, on 1 or more MPI ranks.
// 1. float64 against nequip's stored results: energy 1e-10 relative, forces and virial 1e-9 * max(1, max
//    |reference|). With several ranks the layer features cross the halo forward and their gradients come back
//    by reverse sums, so agreement also checks the per-layer communication. Models whose activations kernels/
//    lacks (ssp) must be refused.
// 2. float32 against float64 on the same structures (the stored ones and a distorted 2x2x1 supercell of
//    each): energy within 1e-5 of the network's share sum_i |e_i - shift_i| (the per-species shifts are added
//    in double and would make |E| a loose scale; a global shift can make |E| accidentally small), forces
//    within 1e-5 of the largest force component, virial within 1e-5 of the largest virial component.
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include "engine/nequip_potential.hpp"
#include "engine/simulation.hpp"
#include "io/model_file.hpp"

namespace fs = std::filesystem;
using namespace e3md;

namespace {

Structure structure_of(const NequipModel& M, const NequipReference& ref) {
  Structure s;
  Mat3 cell;
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) cell(a, b) = ref.cell[static_cast<size_t>(3 * a + b)];
  s.box = Box(cell, {ref.pbc[0], ref.pbc[1], ref.pbc[2]});
  for (size_t i = 0; i < ref.types.size(); ++i) {
    s.species.push_back(M.type_names[static_cast<size_t>(ref.types[i])]);
    s.positions.emplace_back(ref.positions[3 * i], ref.positions[3 * i + 1], ref.positions[3 * i + 2]);
  }
  return s;
}

// 2x2x1 supercell with every atom displaced by up to 0.1 Å (a different, larger structure than the
// reference).
Structure distorted_supercell(const Structure& s, unsigned seed) {
  Structure out;
  const Mat3& H = s.box.cell();
  Mat3 big = H;
  big.row(0) *= 2.0;
  big.row(1) *= 2.0;
  out.box = Box(big, s.box.periodic());
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-0.1, 0.1);
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 2; ++b)
      for (size_t i = 0; i < s.size(); ++i) {
        out.species.push_back(s.species[i]);
        out.positions.push_back(s.positions[i] + a * H.row(0).transpose() + b * H.row(1).transpose() +
                                Vec3(u(rng), u(rng), u(rng)));
      }
  return out;
}

std::vector<fs::path> model_files() {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(E3MD_NEQUIP_MODELS)) {
    const std::string name = e.path().filename().string();
    if (e.path().extension() == ".h5" && name.find(".deployed.") == std::string::npos)
      files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());  // same order on every rank
  return files;
}

struct Evaluation {
  double energy = 0, net_share = 0;  // eV; net_share = sum_i |e_i - global_scale * shift_i| over all atoms
  std::vector<double> forces;        // 3N, eV/Å, by atom id, on every rank
  Mat3 virial = Mat3::Zero();
};

Evaluation evaluate(const NequipModel& M, const std::shared_ptr<NequipPotential>& pot, const Structure& s) {
  SimulationOptions options;
  for (const auto& t : M.type_names) options.masses[t] = 10.0;  // forces do not depend on masses
  Simulation sim(MPI_COMM_WORLD, s, pot, options);
  ComputeRequest request;
  request.per_atom_energy = true;
  sim.compute_forces(request);
  Evaluation out;
  out.energy = sim.potential_energy();
  out.virial = sim.virial();
  out.forces.assign(3 * s.size(), 0.0);
  const Atoms& atoms = sim.atoms();
  const auto& H = M.per_species_shifts;
  for (int i = 0; i < atoms.nlocal; ++i) {
    const auto u = static_cast<size_t>(i);
    for (int a = 0; a < 3; ++a) out.forces[static_cast<size_t>(3 * atoms.id[u] + a)] = atoms.f[u][a];
    const auto t = static_cast<size_t>(atoms.type[u]);
    const double shift = H.empty() ? 0.0 : H[H.size() == 1 ? 0 : t];
    out.net_share += std::abs(sim.atom_energy()[u] - M.global_scale * shift);
  }
  MPI_Allreduce(MPI_IN_PLACE, out.forces.data(), static_cast<int>(out.forces.size()), MPI_DOUBLE, MPI_SUM,
                MPI_COMM_WORLD);
  MPI_Allreduce(MPI_IN_PLACE, &out.net_share, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  return out;
}

bool root() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank == 0;
}

int ranks() {
  int size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return size;
}

}  // namespace

TEST(NequipPotential, MatchesNequipOnEveryRankCount) {
  int evaluated = 0;
  for (const auto& path : model_files()) {
    const std::string name = path.filename().string();
    SCOPED_TRACE(name);
    const NequipModel M = read_model_file(path.string());
    if (name.find("ssp") != std::string::npos) {
      EXPECT_THROW(NequipPotential{M}, std::runtime_error);
      continue;
    }
    auto pot = std::make_shared<NequipPotential>(M);
    double worst_e = 0, worst_f = 0, worst_v = 0;
    for (const auto& ref : M.references) {
      const Evaluation got = evaluate(M, pot, structure_of(M, ref));
      EXPECT_NEAR(got.energy, ref.energy, 1e-10 * std::abs(ref.energy));
      worst_e = std::max(worst_e, std::abs(got.energy - ref.energy) / std::abs(ref.energy));
      double fmax = 1.0;
      for (double v : ref.forces) fmax = std::max(fmax, std::abs(v));
      for (size_t q = 0; q < got.forces.size(); ++q) {
        EXPECT_NEAR(got.forces[q], ref.forces[q], 1e-9 * fmax) << "atom " << q / 3;
        worst_f = std::max(worst_f, std::abs(got.forces[q] - ref.forces[q]));
      }
      if (ref.has_virial) {
        double vmax = 1.0;
        for (double v : ref.virial) vmax = std::max(vmax, std::abs(v));
        for (int a = 0; a < 3; ++a)
          for (int b = 0; b < 3; ++b) {
            const double r = ref.virial[static_cast<size_t>(3 * a + b)];
            EXPECT_NEAR(got.virial(a, b), r, 1e-9 * vmax);
            worst_v = std::max(worst_v, std::abs(got.virial(a, b) - r));
          }
      }
    }
    if (root())
      std::printf("%d rank(s) %-28s energy rel %.1e, forces abs %.1e eV/A, virial abs %.1e eV\n", ranks(),
                  name.c_str(), worst_e, worst_f, worst_v);
    ++evaluated;
  }
  EXPECT_GE(evaluated, 6);
}

TEST(NequipPotential, Float32AgreesWithFloat64) {
  int evaluated = 0;
  for (const auto& path : model_files()) {
    const std::string name = path.filename().string();
    if (name.find("ssp") != std::string::npos) continue;  // refused in both precisions (test above)
    SCOPED_TRACE(name);
    const NequipModel M = read_model_file(path.string());
    auto f64 = std::make_shared<NequipPotential>(M, NequipPrecision::kFloat64);
    auto f32 = std::make_shared<NequipPotential>(M, NequipPrecision::kFloat32);
    ASSERT_EQ(f32->precision(), NequipPrecision::kFloat32);
    double worst_e = 0, worst_f = 0, worst_v = 0;
    for (size_t r = 0; r < M.references.size(); ++r) {
      const Structure base = structure_of(M, M.references[r]);
      for (const Structure& s : {base, distorted_supercell(base, static_cast<unsigned>(7 + r))}) {
        const Evaluation a = evaluate(M, f64, s), b = evaluate(M, f32, s);
        const double de = std::abs(b.energy - a.energy);
        EXPECT_LE(de, 1e-5 * a.net_share) << s.size() << " atoms";
        worst_e = std::max(worst_e, de / a.net_share);
        double fmax = 0, df = 0;
        for (size_t q = 0; q < a.forces.size(); ++q) {
          fmax = std::max(fmax, std::abs(a.forces[q]));
          df = std::max(df, std::abs(b.forces[q] - a.forces[q]));
        }
        ASSERT_GT(fmax, 0.0);
        EXPECT_LE(df, 1e-5 * fmax) << s.size() << " atoms";
        worst_f = std::max(worst_f, df / fmax);
        const double vmax = a.virial.cwiseAbs().maxCoeff(), dv = (b.virial - a.virial).cwiseAbs().maxCoeff();
        ASSERT_GT(vmax, 0.0);
        EXPECT_LE(dv, 1e-5 * vmax) << s.size() << " atoms";
        worst_v = std::max(worst_v, dv / vmax);
      }
    }
    if (root())
      std::printf(
          "%d rank(s) %-28s float32 vs float64: energy %.1e of the network share, forces %.1e, "
          "virial %.1e of the largest component\n",
          ranks(), name.c_str(), worst_e, worst_f, worst_v);
    ++evaluated;
  }
  EXPECT_GE(evaluated, 6);
}
