// Shared pieces of the decomposition and neighbor-list tests: random triclinic systems, the serial
// all-images brute force that every distributed result is compared with, and a smooth test potential.
#pragma once

#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <random>
#include <tuple>
#include <vector>

#include "engine/atoms.hpp"
#include "engine/box.hpp"
#include "engine/neighbor_list.hpp"

namespace e3md::test {

// Brings MPI up once for a GoogleTest binary (gtest_main has no MPI_Init).
class MpiEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized) MPI_Init(nullptr, nullptr);
  }
  void TearDown() override {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Finalize();
  }
};

// Lower-triangular cell (a along x, b in the xy plane) with random tilts up to `tilt` times the lengths.
inline Box random_triclinic(std::mt19937_64& rng, const Vec3& lengths, double tilt,
                            const std::array<bool, 3>& periodic) {
  std::uniform_real_distribution<double> u(-tilt, tilt);
  Mat3 h = Mat3::Zero();
  h(0, 0) = lengths[0];
  h(1, 0) = u(rng) * lengths[1];
  h(1, 1) = lengths[1];
  h(2, 0) = u(rng) * lengths[2];
  h(2, 1) = u(rng) * lengths[2];
  h(2, 2) = lengths[2];
  return Box(h, periodic);
}

// n atoms uniform in fractional coordinates within [s_lo, s_hi) per axis.
inline std::vector<Vec3> random_positions(std::mt19937_64& rng, const Box& box, int n, const Vec3& s_lo,
                                          const Vec3& s_hi) {
  std::vector<Vec3> x;
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int i = 0; i < n; ++i) {
    Vec3 s;
    for (int k = 0; k < 3; ++k) s[k] = s_lo[k] + (s_hi[k] - s_lo[k]) * u(rng);
    x.push_back(box.to_cartesian(s));
  }
  return x;
}

// A pair as (id of the owned atom, id of the neighbour, lattice translation of the neighbour).
using PairKey = std::tuple<AtomId, AtomId, int, int, int>;

inline bool lex_positive(const Vec3i& n) {
  for (int k = 0; k < 3; ++k) {
    if (n[k] != 0) return n[k] > 0;
  }
  return false;
}

// Every image translation n that can bring two atoms of the cell within rc (positions anywhere in
// [-1, 2) fractional along non-periodic axes do not matter: those axes have no images).
inline std::vector<Vec3i> image_range(const Box& box, double rc) {
  int m[3];
  for (int k = 0; k < 3; ++k)
    m[k] = box.periodic(k) ? static_cast<int>(std::ceil(rc / box.plane_spacing(k))) + 1 : 0;
  std::vector<Vec3i> out;
  for (int a = -m[0]; a <= m[0]; ++a)
    for (int b = -m[1]; b <= m[1]; ++b)
      for (int c = -m[2]; c <= m[2]; ++c) out.emplace_back(a, b, c);
  return out;
}

// Serial brute force over all atoms and all periodic images. x is indexed by atom id and must hold
// the positions the distributed code uses for owned atoms (x_j + shift(n) is formed the same way).
// Rows i = part, part + nparts, ... only (ranks share the work; the default is all rows).
inline std::vector<PairKey> brute_pairs(const Box& box, const std::vector<Vec3>& x, double rc, bool half,
                                        int part = 0, int nparts = 1) {
  std::vector<PairKey> out;
  const auto images = image_range(box, rc);
  const int n = static_cast<int>(x.size());
  for (int i = part; i < n; i += nparts) {
    for (int j = 0; j < n; ++j) {
      for (const Vec3i& s : images) {
        if (i == j && s.isZero()) continue;
        if (half && !(i < j || (i == j && lex_positive(s)))) continue;
        const Vec3 xj = x[static_cast<std::size_t>(j)] + box.shift(s);
        if ((xj - x[static_cast<std::size_t>(i)]).squaredNorm() < rc * rc)
          out.emplace_back(i, j, s[0], s[1], s[2]);
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

inline std::vector<PairKey> list_pairs(const Atoms& atoms, const NeighborList& list) {
  std::vector<PairKey> out;
  for (int i = 0; i < list.nlocal(); ++i) {
    for (int q = list.begin(i); q < list.end(i); ++q) {
      const auto j = static_cast<std::size_t>(list.neighbors[static_cast<std::size_t>(q)]);
      const Vec3i& s = atoms.ghost_shift[j];
      out.emplace_back(atoms.id[static_cast<std::size_t>(i)], atoms.id[j], s[0], s[1], s[2]);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Soft repulsion u(r) = A (1 − r²/rc²)³: smooth, bounded at r = 0 (random positions may overlap), and
// u and du/dr vanish at rc, so it is shifted-force by construction.
struct SoftRepulsion {
  double amplitude = 1.3;  // eV
  double rc = 4.0;         // Å
  // Energy and f_over_r = −(du/dr)/r at squared distance r2 < rc².
  void eval(double r2, double& energy, double& f_over_r) const {
    const double t = 1.0 - r2 / (rc * rc);
    energy = amplitude * t * t * t;
    f_over_r = 6.0 * amplitude * t * t / (rc * rc);
  }
};

// Serial reference: total energy and forces by id over all periodic images (rows i = part, part +
// nparts, ... only; other rows stay zero).
inline double brute_forces(const Box& box, const std::vector<Vec3>& x, const SoftRepulsion& pot,
                           std::vector<Vec3>& f, int part = 0, int nparts = 1) {
  const auto images = image_range(box, pot.rc);
  const int n = static_cast<int>(x.size());
  f.assign(static_cast<std::size_t>(n), Vec3::Zero());
  double energy = 0.0;
  for (int i = part; i < n; i += nparts) {
    for (int j = 0; j < n; ++j) {
      for (const Vec3i& s : images) {
        if (i == j && s.isZero()) continue;
        const Vec3 d = x[static_cast<std::size_t>(j)] + box.shift(s) - x[static_cast<std::size_t>(i)];
        const double r2 = d.squaredNorm();
        if (r2 >= pot.rc * pot.rc) continue;
        double e, fr;
        pot.eval(r2, e, fr);
        energy += 0.5 * e;
        f[static_cast<std::size_t>(i)] -= fr * d;
      }
    }
  }
  return energy;
}

// Distributed evaluation with a neighbor list of either kind; returns this rank's energy share and
// writes forces into atoms.f (ghost entries too, for a half list, to be reverse-communicated).
inline double list_forces(Atoms& atoms, const NeighborList& list, const SoftRepulsion& pot) {
  std::fill(atoms.f.begin(), atoms.f.end(), Vec3::Zero());
  const bool half = list.kind == NeighborKind::Half;
  double energy = 0.0;
  for (int i = 0; i < list.nlocal(); ++i) {
    const auto ui = static_cast<std::size_t>(i);
    for (int q = list.begin(i); q < list.end(i); ++q) {
      const auto j = static_cast<std::size_t>(list.neighbors[static_cast<std::size_t>(q)]);
      const Vec3 d = atoms.x[j] - atoms.x[ui];
      const double r2 = d.squaredNorm();
      if (r2 >= pot.rc * pot.rc) continue;
      double e, fr;
      pot.eval(r2, e, fr);
      atoms.f[ui] -= fr * d;
      if (half) {
        atoms.f[j] += fr * d;
        energy += e;
      } else {
        energy += 0.5 * e;
      }
    }
  }
  return energy;
}

}  // namespace e3md::test
