// Helpers of the NequipPotential tests: reference structures as engine Structures, a distorted supercell, and
// one force call through the Simulation with forces gathered by atom id on every rank.
#pragma once

#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "engine/nequip_potential.hpp"
#include "engine/simulation.hpp"
#include "io/model_file.hpp"

namespace e3md::test {

inline Structure structure_of(const NequipModel& M, const NequipReference& ref) {
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
inline Structure distorted_supercell(const Structure& s, unsigned seed) {
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

inline std::vector<std::filesystem::path> model_files() {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(E3MD_NEQUIP_MODELS)) {
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

inline Evaluation evaluate(const NequipModel& M, const std::shared_ptr<NequipPotential>& pot,
                           const Structure& s) {
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

inline bool root() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank == 0;
}

inline int ranks() {
  int size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return size;
}

}  // namespace e3md::test
