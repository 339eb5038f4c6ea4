// NequipPotential (engine/) in the step loop's Simulation against nequip's stored results, on 1 or more MPI
// ranks: energy 1e-10 relative, forces and virial 1e-9 * max(1, max |reference|). With several ranks the
// layer features cross the halo forward and their gradients come back by reverse sums, so agreement also
// checks the per-layer communication. Models whose activations kernels/ lacks (ssp) must be refused.
#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>

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

}  // namespace

TEST(NequipPotential, MatchesNequipOnEveryRankCount) {
  int evaluated = 0;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(E3MD_NEQUIP_MODELS)) files.push_back(e.path());
  std::sort(files.begin(), files.end());  // same order on every rank
  for (const auto& path : files) {
    const std::string name = path.filename().string();
    if (path.extension() != ".h5" || name.find(".deployed.") != std::string::npos) continue;
    SCOPED_TRACE(name);
    const NequipModel M = read_model_file(path.string());
    if (name.find("ssp") != std::string::npos) {
      EXPECT_THROW(NequipPotential{M}, std::runtime_error);
      continue;
    }
    auto pot = std::make_shared<NequipPotential>(M);
    SimulationOptions options;
    for (const auto& t : M.type_names) options.masses[t] = 10.0;  // forces do not depend on masses
    double worst_e = 0, worst_f = 0, worst_v = 0;
    for (const auto& ref : M.references) {
      Simulation sim(MPI_COMM_WORLD, structure_of(M, ref), pot, options);
      sim.compute_forces();
      const size_t n = ref.types.size();
      std::vector<double> f(3 * n, 0.0);
      const Atoms& atoms = sim.atoms();
      for (int i = 0; i < atoms.nlocal; ++i)
        for (int a = 0; a < 3; ++a) f[static_cast<size_t>(3 * atoms.id[static_cast<size_t>(i)] + a)] = atoms.f[static_cast<size_t>(i)][a];
      MPI_Allreduce(MPI_IN_PLACE, f.data(), static_cast<int>(f.size()), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
      EXPECT_NEAR(sim.potential_energy(), ref.energy, 1e-10 * std::abs(ref.energy));
      worst_e = std::max(worst_e, std::abs(sim.potential_energy() - ref.energy) / std::abs(ref.energy));
      double fmax = 1.0;
      for (double v : ref.forces) fmax = std::max(fmax, std::abs(v));
      for (size_t q = 0; q < f.size(); ++q) {
        EXPECT_NEAR(f[q], ref.forces[q], 1e-9 * fmax) << "atom " << q / 3;
        worst_f = std::max(worst_f, std::abs(f[q] - ref.forces[q]));
      }
      if (ref.has_virial) {
        double vmax = 1.0;
        for (double v : ref.virial) vmax = std::max(vmax, std::abs(v));
        for (int a = 0; a < 3; ++a)
          for (int b = 0; b < 3; ++b) {
            const double r = ref.virial[static_cast<size_t>(3 * a + b)];
            EXPECT_NEAR(sim.virial()(a, b), r, 1e-9 * vmax);
            worst_v = std::max(worst_v, std::abs(sim.virial()(a, b) - r));
          }
      }
    }
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (rank == 0)
      std::printf("%d rank(s) %-28s energy rel %.1e, forces abs %.1e eV/A, virial abs %.1e eV\n", size, name.c_str(),
                  worst_e, worst_f, worst_v);
    ++evaluated;
  }
  EXPECT_GE(evaluated, 6);
}
