// Box geometry on random triclinic cells: fractional round trips, plane spacings against an
// independent formula, wrapping with image counters, minimum image against a brute-force search.
#include <gtest/gtest.h>

#include <Eigen/Geometry>
#include <random>

#include "engine/box.hpp"
#include "halo_test_support.hpp"

namespace e3md {
namespace {

Box random_box(std::mt19937_64& rng, std::array<bool, 3> periodic = {true, true, true}) {
  std::uniform_real_distribution<double> len(4.0, 15.0);
  return test::random_triclinic(rng, Vec3(len(rng), len(rng), len(rng)), 0.45, periodic);
}

TEST(Box, FractionalRoundTrip) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(-30.0, 30.0);
  for (int trial = 0; trial < 50; ++trial) {
    const Box box = random_box(rng);
    const Vec3 x(u(rng), u(rng), u(rng));
    EXPECT_LT((box.to_cartesian(box.to_fractional(x)) - x).norm(), 1e-12 * 30.0);
    // The lattice vectors have fractional coordinates e_k.
    for (int k = 0; k < 3; ++k) {
      EXPECT_LT((box.to_fractional(box.vector(k)) - Vec3::Unit(k)).norm(), 1e-14);
    }
  }
}

TEST(Box, PlaneSpacingIsDistanceBetweenLatticePlanes) {
  std::mt19937_64 rng(12);
  for (int trial = 0; trial < 50; ++trial) {
    const Box box = random_box(rng);
    for (int k = 0; k < 3; ++k) {
      // Independent: project a_k onto the unit normal of the plane spanned by the other two vectors.
      const Vec3 normal = box.vector((k + 1) % 3).cross(box.vector((k + 2) % 3)).normalized();
      EXPECT_NEAR(box.plane_spacing(k), std::abs(box.vector(k).dot(normal)), 1e-12);
      // And the reciprocal-vector identity the decomposition relies on: |b_k| = 1 / d_k.
      EXPECT_NEAR(box.plane_spacing(k) * box.inverse().col(k).norm(), 1.0, 1e-12);
    }
  }
}

TEST(Box, WrapMovesIntoCellAndKeepsUnwrappedPosition) {
  std::mt19937_64 rng(13);
  std::uniform_real_distribution<double> u(-3.5, 3.5);
  for (int trial = 0; trial < 200; ++trial) {
    const std::array<bool, 3> periodic = {true, trial % 3 != 0, trial % 5 != 0};
    const Box box = random_box(rng, periodic);
    const Vec3 s0(u(rng), u(rng), u(rng));
    const Vec3 x0 = box.to_cartesian(s0);
    const Vec3i image0(trial % 7 - 3, 2, -1);
    Vec3i image = image0;
    const Vec3 x = box.wrap(x0, image);
    const Vec3 s = box.to_fractional(x);
    for (int k = 0; k < 3; ++k) {
      if (periodic[static_cast<std::size_t>(k)]) {
        EXPECT_GE(s[k], -1e-15);
        EXPECT_LT(s[k], 1.0 + 1e-15);
        EXPECT_EQ(image[k] - image0[k], static_cast<int>(std::floor(s0[k])))
            << "counter must count the crossed faces (s0 = " << s0[k] << ")";
      } else {
        EXPECT_EQ(image[k], image0[k]);
        EXPECT_NEAR(s[k], s0[k], 1e-13);
      }
    }
    EXPECT_LT((box.unwrap(x, image) - box.unwrap(x0, image0)).norm(), 1e-12 * 50.0);
  }
}

TEST(Box, WrapLeavesInsideAtomsBitwiseUnchanged) {
  std::mt19937_64 rng(14);
  const Box box = random_box(rng);
  const auto x = test::random_positions(rng, box, 100, Vec3::Constant(0.01), Vec3::Constant(0.99));
  for (const Vec3& xi : x) {
    Vec3i image = Vec3i::Zero();
    EXPECT_EQ(box.wrap(xi, image), xi);
    EXPECT_TRUE(image.isZero());
  }
}

TEST(Box, MinimumImageMatchesBruteForce) {
  std::mt19937_64 rng(15);
  for (int trial = 0; trial < 50; ++trial) {
    // Nearly orthogonal cells: minimum_image is documented as valid only for short displacements.
    const Box box = test::random_triclinic(rng, Vec3(10.0, 11.0, 12.0), 0.1, {true, true, true});
    const Vec3 s(0.2 * (trial % 5) - 0.4, 0.1, -0.3);
    const Vec3 dx = box.to_cartesian(s) + box.shift(Vec3i(trial % 3 - 1, 1, -2));
    const Vec3 mi = box.minimum_image(dx);
    double best = 1e300;
    for (const Vec3i& n : test::image_range(box, 20.0)) best = std::min(best, (dx + box.shift(n)).norm());
    EXPECT_NEAR(mi.norm(), best, 1e-12);
  }
}

}  // namespace
}  // namespace e3md
