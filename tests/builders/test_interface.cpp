// Li | amorphous LiPON interface: lateral match with the reported strain, requested gap, no overlaps.
#include <gtest/gtest.h>

#include <Eigen/LU>
#include <cmath>

#include "driver/builder_amorphous.hpp"
#include "driver/builder_crystal.hpp"
#include "driver/builder_interface.hpp"
#include "driver/builder_slab.hpp"
#include "io/structure_io.hpp"

namespace e3md {
namespace {

// A LiPON block with a rectangular lateral cell (random packing at 2.3 g/cm³).
Structure lipon_block(double la = 13.5, double lb = 14.2) {
  AmorphousOptions a;
  a.composition = "Li3PO3.3N0.5";
  a.formula_units = 3;
  a.lateral_a = la;
  a.lateral_b = lb;
  a.density = 2.3;
  a.seed = 3;
  return build_amorphous(a);
}

void check_interface(const InterfaceResult& r, const Structure& li, const Structure& block,
                     const InterfaceOptions& o) {
  const Structure& s = r.structure;
  // Lateral cell is the block's, repeated m_a × m_b times, unstrained.
  Eigen::Matrix2d L = block.box.cell().topLeftCorner<2, 2>();
  L.row(0) *= r.block_repeat[0];
  L.row(1) *= r.block_repeat[1];
  EXPECT_LT((s.box.cell().topLeftCorner<2, 2>() - L).cwiseAbs().maxCoeff(), 1e-12);
  // Reported Li strain equals the deformation mapping S·V onto the block's lateral cell.
  SlabOptions so;
  so.miller = o.li_miller;
  so.min_thickness = o.li_min_thickness;
  so.vacuum = 10.0;
  const SlabResult slab = build_slab(li, so);
  const Eigen::Matrix2d Vs = slab.slab.box.cell().topLeftCorner<2, 2>();
  // The surface cell used is a true translation cell of the slab: an integer sublattice index of Vs.
  const double index = Vs.determinant() / r.li_surface_cell.determinant();
  EXPECT_NEAR(index, std::round(index), 1e-9);
  const Eigen::Matrix2d P = r.li_supercell.cast<double>() * r.li_surface_cell;
  const Eigen::Matrix2d F = P.inverse() * L;
  const auto e = principal_strains(F);
  EXPECT_NEAR(e[0], r.li_strain[0], 1e-12);
  EXPECT_NEAR(e[1], r.li_strain[1], 1e-12);
  EXPECT_LE(std::max(std::abs(e[0]), std::abs(e[1])), o.max_strain);
  // Area bookkeeping: Li atoms = det S × atoms of one slab cell.
  EXPECT_EQ(static_cast<double>(r.li_atoms), std::round(r.li_supercell.cast<double>().determinant() *
                                                        static_cast<double>(slab.slab.size()) / index));
  EXPECT_EQ(r.block_atoms, static_cast<long>(block.size()) * r.block_repeat[0] * r.block_repeat[1]);
  // Gap: lowest block atom above the top Li plane; periodic c closes with the same gap (or the vacuum).
  double li_top = -1e300, li_bottom = 1e300, b_low = 1e300, b_top = -1e300;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const double z = s.positions[i][2];
    if (static_cast<long>(i) < r.li_atoms) {
      li_top = std::max(li_top, z);
      li_bottom = std::min(li_bottom, z);
    } else {
      b_low = std::min(b_low, z);
      b_top = std::max(b_top, z);
    }
  }
  EXPECT_NEAR(b_low - li_top, o.gap, 1e-10);
  EXPECT_NEAR(s.box.cell()(2, 2) - b_top + li_bottom, o.vacuum > 0 ? o.vacuum : o.gap, 1e-10);
  // Li nearest-neighbour distance a√3/2 of bcc, changed at most by the principal strains.
  const double a = li.box.vector(0).norm();
  Structure lis;
  lis.box = s.box;
  for (long i = 0; i < r.li_atoms; ++i) {
    lis.species.push_back("Li");
    lis.positions.push_back(s.positions[static_cast<std::size_t>(i)]);
  }
  const double nn = min_distance_check(lis, 0.5).distance;
  // The z part of a Li–Li vector is unchanged and its in-plane part stretched by at least 1 + e_min.
  EXPECT_GE(nn, a * std::sqrt(3.0) / 2.0 * std::min(1.0, 1.0 + e[0]) - 1e-9);
  EXPECT_LE(nn, a * std::sqrt(3.0) / 2.0 * (1.0 + std::max(0.0, e[1])) + 1e-9);
  // No overlaps anywhere.
  EXPECT_GT(min_distance_check(s, 0.5).distance, 1.3);
}

TEST(Interface, Li110AgainstAmorphousLiponPeriodic) {
  const Structure li = build_crystal("Li");
  const Structure block = lipon_block();
  InterfaceOptions o;
  o.li_miller = Vec3i(1, 1, 0);
  o.gap = 2.2;
  const auto r = build_interface(li, block, o);
  check_interface(r, li, block, o);
}

TEST(Interface, Li111WithVacuumAndBlockRepeats) {
  const Structure li = build_crystal("Li");
  const Structure block = lipon_block();
  InterfaceOptions o;
  o.li_miller = Vec3i(1, 1, 1);
  o.gap = 2.5;
  o.vacuum = 15.0;
  o.block_repeat_max = 2;
  const auto r = build_interface(li, block, o);
  check_interface(r, li, block, o);
}

TEST(Interface, RefusesTiltedBlocksAndImpossibleMatches) {
  const Structure li = build_crystal("Li");
  Structure block = lipon_block();
  InterfaceOptions o;
  Structure tilted = block;
  Mat3 h = tilted.box.cell();
  h(2, 0) = 1.0;
  tilted.box.set_cell(h);
  EXPECT_THROW(build_interface(li, tilted, o), std::invalid_argument);
  o.max_strain = 1e-6;
  o.max_multiple = 1;
  try {
    build_interface(li, block, o);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("max_multiple"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace e3md
