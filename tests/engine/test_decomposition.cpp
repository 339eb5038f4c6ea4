// Grid choice, subdomain ownership, swap counts and the one-line errors at the decomposition's
// boundaries.
#include <gtest/gtest.h>

#include <random>
#include <stdexcept>
#include <string>

#include "engine/decomposition.hpp"
#include "engine/halo_exchange.hpp"
#include "halo_test_support.hpp"

namespace e3md {
namespace {

const auto* const kMpi = ::testing::AddGlobalTestEnvironment(new test::MpiEnvironment);

Box orthogonal(double a, double b, double c, std::array<bool, 3> periodic = {true, true, true}) {
  return Box(Vec3(a, b, c).asDiagonal(), periodic);
}

TEST(Decomposition, GridMinimisesGhostSurface) {
  EXPECT_EQ(choose_grid(orthogonal(10, 10, 10), 8), (std::array<int, 3>{2, 2, 2}));
  EXPECT_EQ(choose_grid(orthogonal(40, 10, 10), 4), (std::array<int, 3>{4, 1, 1}));
  EXPECT_EQ(choose_grid(orthogonal(10, 10, 80), 8), (std::array<int, 3>{1, 1, 8}));
  // Ties split the earlier axes (fewer bytes: unsplit trailing axes relay edges and corners in memory).
  EXPECT_EQ(choose_grid(orthogonal(10, 10, 10), 7), (std::array<int, 3>{7, 1, 1}));
  EXPECT_EQ(choose_grid(orthogonal(10, 10, 10), 2), (std::array<int, 3>{2, 1, 1}));
  EXPECT_EQ(choose_grid(orthogonal(10, 10, 10), 4), (std::array<int, 3>{2, 2, 1}));
  EXPECT_EQ(choose_grid(orthogonal(10, 10, 10), 1), (std::array<int, 3>{1, 1, 1}));
  // Against an exhaustive search on random triclinic cells: the cost Σ P_k / d_k is minimal.
  std::mt19937_64 rng(31);
  for (int trial = 0; trial < 30; ++trial) {
    const Box box =
        test::random_triclinic(rng, Vec3(5.0 + trial, 20.0, 9.0 + 0.5 * trial), 0.5, {true, true, true});
    const int n = 1 + trial % 12;
    const auto g = choose_grid(box, n);
    EXPECT_EQ(g[0] * g[1] * g[2], n);
    const auto cost = [&](int a, int b, int c) {
      return a / box.plane_spacing(0) + b / box.plane_spacing(1) + c / box.plane_spacing(2);
    };
    for (int a = 1; a <= n; ++a)
      for (int b = 1; b <= n; ++b)
        for (int c = 1; c <= n; ++c)
          if (a * b * c == n) {
            EXPECT_LE(cost(g[0], g[1], g[2]), cost(a, b, c) * (1 + 1e-12));
          }
  }
}

TEST(Decomposition, OwnerCoordAgreesWithSubdomainBounds) {
  std::mt19937_64 rng(32);
  std::uniform_real_distribution<double> u(-0.5, 1.5);
  for (int p = 1; p <= 9; ++p) {
    for (int t = 0; t < 2000; ++t) {
      const double s = u(rng);
      const int c = owner_coord(s, p);
      ASSERT_GE(c, 0);
      ASSERT_LT(c, p);
      if (s >= 0.0 && s < 1.0) {
        EXPECT_GE(s, subdomain_bound(c, p));
        EXPECT_LT(s, subdomain_bound(c + 1, p));
      } else {
        EXPECT_EQ(c, s < 0.0 ? 0 : p - 1) << "outside [0,1) goes to the edge subdomain";
      }
    }
    // Exactly on the faces: a face belongs to the subdomain above it.
    for (int c = 0; c < p; ++c) EXPECT_EQ(owner_coord(subdomain_bound(c, p), p), c);
  }
}

TEST(Decomposition, SwapsNeeded) {
  EXPECT_EQ(swaps_needed(0.0, 4, true), 0);
  EXPECT_EQ(swaps_needed(0.1, 1, true), 1);   // one periodic self-swap per direction
  EXPECT_EQ(swaps_needed(0.1, 1, false), 0);  // nothing beyond a lone non-periodic subdomain
  EXPECT_EQ(swaps_needed(0.2, 4, true), 1);
  EXPECT_EQ(swaps_needed(0.3, 4, true), 2);   // cutoff wider than one subdomain (0.25)
  EXPECT_EQ(swaps_needed(2.3, 1, true), 3);   // cutoff 2.3 cells: images up to 3 cells away
  EXPECT_EQ(swaps_needed(0.9, 4, false), 3);  // capped: the last subdomain is reached after p − 1
}

TEST(Decomposition, GridProductMismatchThrows) {
  const Box box = orthogonal(10, 10, 10);
  try {
    HaloExchange halo(MPI_COMM_SELF, box, {2, 1, 1});
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("2x1x1"), std::string::npos) << msg;
    EXPECT_NE(msg.find("1 MPI ranks"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "one line";
  }
  EXPECT_THROW(HaloExchange(MPI_COMM_SELF, box, {1, -1, -1}), std::runtime_error);
  EXPECT_NO_THROW(HaloExchange(MPI_COMM_SELF, box, {1, 1, 1}));
}

TEST(Decomposition, AtomFarOutsideNonPeriodicExtentThrows) {
  const Box box = orthogonal(10, 10, 10, {true, true, false});
  HaloExchange halo(MPI_COMM_SELF, box);
  Atoms atoms;
  // Slightly outside is clamped to the edge subdomain and kept.
  halo.distribute({0, 1}, {0, 0}, {Vec3(1, 1, -3), Vec3(1, 1, 14)}, {}, {}, atoms);
  EXPECT_EQ(atoms.nlocal, 2);
  try {
    halo.distribute({0, 1}, {0, 0}, {Vec3(1, 1, 1), Vec3(1, 1, 25)}, {}, {}, atoms);
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("atom id 1"), std::string::npos) << msg;
    EXPECT_NE(msg.find("axis 2"), std::string::npos) << msg;
  }
  atoms.x[0] = Vec3(1, 1, std::nan(""));
  EXPECT_THROW(halo.exchange(atoms), std::runtime_error);
}

TEST(Decomposition, MismatchedInputSizesAndBadCutoffThrow) {
  const Box box = orthogonal(10, 10, 10);
  HaloExchange halo(MPI_COMM_SELF, box);
  Atoms atoms;
  EXPECT_THROW(halo.distribute({0, 1}, {0}, {Vec3(1, 1, 1), Vec3(2, 2, 2)}, {}, {}, atoms),
               std::runtime_error);
  halo.distribute({0}, {0}, {Vec3(1, 1, 1)}, {}, {}, atoms);
  halo.set_ghost_cutoff(-1.0);
  EXPECT_THROW(halo.borders(atoms), std::runtime_error);
  // Forward before any borders() has no swap lists to replay.
  HaloExchange fresh(MPI_COMM_SELF, box);
  std::vector<double> field(3, 0.0);
  EXPECT_THROW(fresh.forward(field.data(), 1), std::runtime_error);
  EXPECT_THROW(fresh.set_box(orthogonal(10, 10, 10, {true, false, true})), std::runtime_error);
}

}  // namespace
}  // namespace e3md
