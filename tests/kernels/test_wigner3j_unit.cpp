// Wigner-3j tables without e3nn: unit norm, orthogonality, permutation symmetry, the exact values of spec
// Appendix A, invariance under rotation (with D from the SH), and dense round trip.
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/wigner3j.hpp"
#include "test_util.hpp"

namespace e3md::kernels {
namespace {

double at(const Wigner3jTable& t, int i, int j, int k) {
  for (const auto& e : t.entries)
    if (e.i == i && e.j == j && e.k == k) return e.value;
  return 0.0;
}

TEST(Wigner3j, UnitNormAndOrthogonality) {
  for (int l1 = 0; l1 <= 5; ++l1)
    for (int l2 = 0; l2 <= 5; ++l2)
      for (int l3 = std::abs(l1 - l2); l3 <= l1 + l2; ++l3) {
        const auto C = wigner_3j(l1, l2, l3).dense();
        const int d1 = 2 * l1 + 1, d2 = 2 * l2 + 1, d3 = 2 * l3 + 1;
        // sum_{ij} C_ijk C_ijk' = delta_kk' / (2 l3 + 1): the 3j tensor is an isometry up to scale.
        for (int k = 0; k < d3; ++k)
          for (int kk = 0; kk < d3; ++kk) {
            double s = 0;
            for (int i = 0; i < d1; ++i)
              for (int j = 0; j < d2; ++j) s += C[(i * d2 + j) * d3 + k] * C[(i * d2 + j) * d3 + kk];
            EXPECT_NEAR(s, k == kk ? 1.0 / d3 : 0.0, 1e-14) << l1 << l2 << l3;
          }
      }
}

TEST(Wigner3j, PermutationSymmetry) {
  for (int l1 = 0; l1 <= 4; ++l1)
    for (int l2 = 0; l2 <= 4; ++l2)
      for (int l3 = std::abs(l1 - l2); l3 <= l1 + l2; ++l3) {
        const auto& a = wigner_3j(l1, l2, l3);
        const auto& b = wigner_3j(l2, l1, l3);  // odd permutation: sign (-1)^(l1+l2+l3)
        const auto& c = wigner_3j(l2, l3, l1);  // cyclic: no sign
        const double s = ((l1 + l2 + l3) % 2 == 0) ? 1.0 : -1.0;
        for (int i = 0; i <= 2 * l1; ++i)
          for (int j = 0; j <= 2 * l2; ++j)
            for (int k = 0; k <= 2 * l3; ++k) {
              EXPECT_NEAR(at(b, j, i, k), s * at(a, i, j, k), 1e-15);
              EXPECT_NEAR(at(c, j, k, i), at(a, i, j, k), 1e-15);
            }
      }
}

TEST(Wigner3j, AppendixAValues) {
  const auto& c112 = wigner_3j(1, 1, 2);
  EXPECT_NEAR(at(c112, 0, 0, 2), -std::sqrt(1.0 / 30), 1e-16);
  EXPECT_NEAR(at(c112, 0, 0, 4), -std::sqrt(1.0 / 10), 1e-16);
  EXPECT_NEAR(at(c112, 1, 2, 3), std::sqrt(1.0 / 10), 1e-16);
  EXPECT_NEAR(at(c112, 1, 1, 2), std::sqrt(2.0 / 15), 1e-16);
  const auto& c111 = wigner_3j(1, 1, 1);
  EXPECT_NEAR(at(c111, 0, 1, 2), std::sqrt(1.0 / 6), 1e-16);
  EXPECT_NEAR(at(c111, 0, 2, 1), -std::sqrt(1.0 / 6), 1e-16);
  const auto& c122 = wigner_3j(1, 2, 2);
  EXPECT_NEAR(at(c122, 1, 0, 4), -std::sqrt(2.0 / 15), 1e-16);
  EXPECT_NEAR(at(c122, 0, 2, 3), std::sqrt(1.0 / 10), 1e-16);
  const auto& c222 = wigner_3j(2, 2, 2);
  EXPECT_NEAR(at(c222, 2, 2, 2), std::sqrt(2.0 / 35), 1e-16);
  EXPECT_NEAR(at(c222, 1, 1, 4), -std::sqrt(3.0 / 70), 1e-16);
  const auto& c000 = wigner_3j(3, 3, 0);
  EXPECT_NEAR(at(c000, 4, 4, 0), 1.0 / std::sqrt(7.0), 1e-16);
}

// sum_{ijk} D1_ii' D2_jj' D3_kk' C_i'j'k' = C_ijk for a random rotation, D built from the harmonics.
TEST(Wigner3j, InvariantUnderRotation) {
  std::mt19937 rng(5);
  const Eigen::Matrix3d R = test::random_rotation(rng);
  for (int l1 = 0; l1 <= 4; ++l1)
    for (int l2 = 0; l2 <= 4; ++l2)
      for (int l3 = std::abs(l1 - l2); l3 <= std::min(l1 + l2, 4); ++l3) {
        const auto C = wigner_3j(l1, l2, l3).dense();
        const auto D1 = test::wigner_D(l1, R), D2 = test::wigner_D(l2, R), D3 = test::wigner_D(l3, R);
        const int d1 = 2 * l1 + 1, d2 = 2 * l2 + 1, d3 = 2 * l3 + 1;
        double worst = 0;
        for (int i = 0; i < d1; ++i)
          for (int j = 0; j < d2; ++j)
            for (int k = 0; k < d3; ++k) {
              double s = 0;
              for (int a = 0; a < d1; ++a)
                for (int b = 0; b < d2; ++b)
                  for (int c = 0; c < d3; ++c) s += D1(i, a) * D2(j, b) * D3(k, c) * C[(a * d2 + b) * d3 + c];
              worst = std::max(worst, std::abs(s - C[(i * d2 + j) * d3 + k]));
            }
        EXPECT_LT(worst, 1e-12) << l1 << l2 << l3;
      }
}

TEST(Wigner3j, DenseRoundTripAndErrors) {
  const auto& t = wigner_3j(2, 1, 3);
  const auto back = Wigner3jTable::from_dense(2, 1, 3, t.dense());
  EXPECT_EQ(back.entries.size(), t.entries.size());
  EXPECT_EQ(back.dense(), t.dense());
  EXPECT_THROW(Wigner3jTable::from_dense(2, 1, 3, std::vector<double>(10)), std::invalid_argument);
  EXPECT_THROW(wigner_3j(1, 1, 3), std::invalid_argument);
  Wigner3jOverrides ov;
  ov[{1, 1, 1}] = Wigner3jTable::from_dense(1, 1, 1, std::vector<double>(27, 0.5));
  EXPECT_EQ(wigner_3j(1, 1, 1, &ov).entries.size(), 27u);
  EXPECT_EQ(wigner_3j(1, 1, 2, &ov).entries.size(), wigner_3j(1, 1, 2).entries.size());
}

}  // namespace
}  // namespace e3md::kernels
