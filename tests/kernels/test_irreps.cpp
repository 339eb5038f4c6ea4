// Irreps bookkeeping: parsing, simplify (adjacent only), stable sort with permutation, the product rule, and
// the per-layer irreps of nequip's typical config (spec §7.1 table) rebuilt from these primitives.
#include <gtest/gtest.h>

#include <stdexcept>

#include "kernels/irreps.hpp"

namespace e3md::kernels {
namespace {

TEST(Irreps, ParseDimOffsets) {
  const Irreps a = Irreps::parse("32x0e + 16x1o+2e");
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a.str(), "32x0e+16x1o+1x2e");
  EXPECT_EQ(a.dim(), 32 + 48 + 5);
  EXPECT_EQ(a.offsets(), (std::vector<int>{0, 32, 80, 85}));
  EXPECT_EQ(a.lmax(), 2);
  EXPECT_THROW(Irreps::parse("3x1q"), std::invalid_argument);
  EXPECT_THROW(Irreps::parse("x1e"), std::invalid_argument);
  EXPECT_THROW(Irreps::parse("1e++2o"), std::invalid_argument);
}

TEST(Irreps, SimplifyMergesOnlyAdjacentBlocks) {
  EXPECT_EQ(Irreps::parse("4x0e+2x0e+0x1o+3x1o+1x0e").simplify().str(), "6x0e+3x1o+1x0e");
}

TEST(Irreps, StableSortWithPermutation) {
  std::vector<int> perm;
  const Irreps s = Irreps::parse("2x1e+3x0e+4x1o+5x0o+6x0e").sort(&perm);
  EXPECT_EQ(s.str(), "5x0o+3x0e+6x0e+4x1o+2x1e");
  EXPECT_EQ(perm, (std::vector<int>{4, 1, 3, 0, 2}));
}

TEST(Irreps, ProductRuleAndPathExists) {
  const auto p = irrep_product(Irrep(2, -1), Irrep(1, -1));
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0], Irrep(1, 1));
  EXPECT_EQ(p[2], Irrep(3, 1));
  const Irreps sh = Irreps::spherical_harmonics(2, true);
  EXPECT_EQ(sh.str(), "1x0e+1x1o+1x2e");
  EXPECT_TRUE(path_exists(Irreps::parse("8x0e"), sh, Irrep(2, 1)));
  EXPECT_FALSE(path_exists(Irreps::parse("8x0e"), sh, Irrep(1, 1)));
  EXPECT_FALSE(path_exists(Irreps::parse("8x0e"), sh, Irrep(0, -1)));
}

// Rebuilds the layer bookkeeping of spec §7.1 for l_max = 2, F = 32, parity and checks the table there.
TEST(Irreps, NequipLayerTable) {
  const Irreps sh = Irreps::spherical_harmonics(2, true);
  std::vector<MulIrrep> hidden;
  for (int p : {1, -1})
    for (int l = 0; l <= 2; ++l) hidden.push_back({32, Irrep(l, p)});
  Irreps feat = Irreps::parse("32x0e");
  const char* want_mid[] = {"32x0e+32x1o+32x2e", "96x0e+128x1o+64x1e+64x2o+128x2e",
                            "64x0o+96x0e+192x1o+160x1e+160x2o+192x2e",
                            "96x0o+96x0e+192x1o+192x1e+192x2o+192x2e"};
  const char* want_o[] = {"96x0e+32x1o+32x2e", "160x0e+32x1o+32x1e+32x2o+32x2e",
                          "32x0o+160x0e+32x1o+32x1e+32x2o+32x2e", "32x0o+160x0e+32x1o+32x1e+32x2o+32x2e"};
  const char* want_out[] = {"32x0e+32x2e+32x1o", "32x0e+32x1e+32x2e+32x1o+32x2o",
                            "32x0e+32x0o+32x1e+32x2e+32x1o+32x2o", "32x0e+32x0o+32x1e+32x2e+32x1o+32x2o"};
  const int want_paths[] = {3, 15, 27, 30};
  for (int k = 0; k < 4; ++k) {
    std::vector<MulIrrep> scal, gated, gates;
    for (const auto& h : hidden) {
      if (!path_exists(feat, sh, h.ir)) continue;
      (h.ir.l == 0 ? scal : gated).push_back(h);
    }
    const int gp = path_exists(feat, sh, Irrep(0, 1)) ? 1 : -1;
    for (const auto& g : gated) gates.push_back({g.mul, Irrep(0, gp)});
    const Irreps o = (Irreps(scal).simplify() + Irreps(gates).simplify() + Irreps(gated).simplify())
                         .sort(nullptr)
                         .simplify();
    std::vector<MulIrrep> mid;
    int paths = 0;
    for (const auto& a : feat.blocks())
      for (const auto& b : sh.blocks())
        for (const auto& c : irrep_product(a.ir, b.ir))
          if (o.contains(c)) {
            mid.push_back({a.mul, c});
            ++paths;
          }
    EXPECT_EQ(Irreps(mid).sort(nullptr).simplify().str(), want_mid[k]) << "layer " << k;
    EXPECT_EQ(o.str(), want_o[k]) << "layer " << k;
    EXPECT_EQ(paths, want_paths[k]) << "layer " << k;
    feat = Irreps(scal).simplify() + Irreps(gated).simplify();
    EXPECT_EQ(feat.str(), want_out[k]) << "layer " << k;
  }
}

}  // namespace
}  // namespace e3md::kernels
