// Helpers shared by the classical tests: the plain-text structures written by lammps_reference.py,
// running that script, and gathering per-atom vectors by atom id.
#pragma once

#include <fcntl.h>
#include <mpi.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/simulation.hpp"
#include "engine/structure.hpp"

namespace e3md::test {

// Runs lammps_reference.py for `kase` once per build tree; returns the directory with its outputs.
// Test binaries that need the same case may run at once (ctest -j): the first to take the case's lock writes
// it, the others wait and then find it done.
inline std::string lammps_reference(const std::string& kase) {
  const std::string dir = std::string(E3MD_CLASSICAL_WORK) + "/" + kase;
  const std::string stamp = dir + "/done";
  if (std::ifstream(stamp).good()) return dir;
  ::mkdir(E3MD_CLASSICAL_WORK, 0755);
  const int lock = ::open((dir + ".lock").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
  if (lock < 0 || ::flock(lock, LOCK_EX) != 0) throw std::runtime_error("cannot lock " + dir + ".lock");
  int rc = 0;
  std::string cmd;
  if (!std::ifstream(stamp).good()) {
    cmd = std::string(E3MD_PYTHON) + " " + E3MD_SOURCE_DIR + "/tests/classical/lammps_reference.py " + dir +
          " " + kase + " && touch " + stamp;
    rc = std::system(cmd.c_str());
  }
  ::close(lock);  // releases the lock
  if (rc != 0) throw std::runtime_error("reference script failed: " + cmd);
  return dir;
}

inline Structure read_structure_txt(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::size_t n = 0;
  in >> n;
  Mat3 cell;
  for (int k = 0; k < 9; ++k) in >> cell(k / 3, k % 3);
  std::array<bool, 3> periodic{};
  for (int k = 0; k < 3; ++k) {
    int p = 0;
    in >> p;
    periodic[static_cast<std::size_t>(k)] = p != 0;
  }
  Structure s;
  s.box = Box(cell, periodic);
  for (std::size_t i = 0; i < n; ++i) {
    std::string sp;
    Vec3 x, v;
    in >> sp >> x[0] >> x[1] >> x[2] >> v[0] >> v[1] >> v[2];
    s.species.push_back(sp);
    s.positions.push_back(x);
    s.velocities.push_back(v);
  }
  if (!in) throw std::runtime_error("truncated structure file " + path);
  return s;
}

inline std::vector<double> read_numbers(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::vector<double> v;
  double x;
  while (in >> x) v.push_back(x);
  return v;
}

// Per-atom 3-vectors of owned atoms gathered to rank 0 ordered by id (empty elsewhere).
inline std::vector<Vec3> gather_by_id(const Simulation& sim, const std::vector<Vec3>& field) {
  const Atoms& a = sim.atoms();
  std::vector<double> mine;
  for (int i = 0; i < a.nlocal; ++i) {
    const auto ui = static_cast<std::size_t>(i);
    mine.insert(mine.end(), {static_cast<double>(a.id[ui]), field[ui][0], field[ui][1], field[ui][2]});
  }
  int size = 0, rank = 0;
  MPI_Comm_size(sim.comm(), &size);
  MPI_Comm_rank(sim.comm(), &rank);
  int count = static_cast<int>(mine.size());
  std::vector<int> counts(static_cast<std::size_t>(size)), displs(static_cast<std::size_t>(size));
  MPI_Gather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, sim.comm());
  int total = 0;
  for (int r = 0; r < size; ++r) {
    displs[static_cast<std::size_t>(r)] = total;
    total += counts[static_cast<std::size_t>(r)];
  }
  std::vector<double> all(rank == 0 ? static_cast<std::size_t>(total) : 0);
  MPI_Gatherv(mine.data(), count, MPI_DOUBLE, all.data(), counts.data(), displs.data(), MPI_DOUBLE, 0,
              sim.comm());
  std::vector<Vec3> out;
  if (rank != 0) return out;
  out.resize(static_cast<std::size_t>(sim.natoms()));
  for (std::size_t k = 0; k < all.size(); k += 4)
    out[static_cast<std::size_t>(all[k])] = Vec3(all[k + 1], all[k + 2], all[k + 3]);
  return out;
}

}  // namespace e3md::test
