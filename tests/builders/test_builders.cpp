// Strain series, slabs, defects and amorphous packings: each checks the geometric promise it makes
// (volumes, angles, thickness, vacuum, normal, stoichiometry, charge, densities, minimum distances).
#include <gtest/gtest.h>

#include <Eigen/LU>
#include <cmath>
#include <map>

#include "driver/builder_amorphous.hpp"
#include "driver/builder_crystal.hpp"
#include "driver/builder_dataset.hpp"
#include "driver/builder_defects.hpp"
#include "driver/builder_slab.hpp"
#include "driver/builder_strain.hpp"
#include "io/structure_io.hpp"

namespace e3md {
namespace {

std::map<std::string, long> counts(const Structure& s) {
  std::map<std::string, long> m;
  for (const auto& sp : s.species) ++m[sp];
  return m;
}

template <class F>
void expect_invalid(F f, const std::string& part) {
  try {
    f();
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

TEST(StrainSeries, HydrostaticVolumesExactAnglesKept) {
  const Structure c = build_crystal("Li4P2O7");
  const auto frames = strain_series(c, StrainSeriesOptions{});
  ASSERT_EQ(frames.size(), 20u);  // -10 % ... +9 %
  const auto p0 = cell_parameters(c.box.cell());
  for (std::size_t k = 0; k < frames.size(); ++k) {
    const double eps = -0.10 + 0.01 * static_cast<double>(k);
    const auto& f = frames[k];
    EXPECT_EQ(f.info.at("config_type"), "strain_hydrostatic");
    EXPECT_NEAR(std::stod(f.info.at("strain")), eps, 1e-12);
    EXPECT_NEAR(f.box.volume(), c.box.volume() * (1.0 + eps), 1e-12 * c.box.volume());
    const auto p = cell_parameters(f.box.cell());
    for (int a = 3; a < 6; ++a)
      EXPECT_NEAR(p[static_cast<std::size_t>(a)], p0[static_cast<std::size_t>(a)], 1e-10);
    for (std::size_t i = 0; i < c.size(); ++i) {
      EXPECT_LT((f.box.to_fractional(f.positions[i]) - c.box.to_fractional(c.positions[i])).norm(), 1e-13);
    }
  }
  EXPECT_EQ(frames[10].box.cell(), c.box.cell());  // ε = 0 exactly
}

TEST(StrainSeries, OrthorhombicScalesOneVector) {
  const Structure c = build_crystal("Li3PO4");
  StrainSeriesOptions o;
  o.kind = StrainKind::Orthorhombic;
  o.axis = 2;
  const auto frames = strain_series(c, o);
  for (const auto& f : frames) {
    const double eps = std::stod(f.info.at("strain"));
    EXPECT_NEAR(f.box.vector(2).norm(), c.box.vector(2).norm() * (1 + eps), 1e-12);
    EXPECT_NEAR(f.box.vector(0).norm(), c.box.vector(0).norm(), 1e-12);
    EXPECT_NEAR(f.box.vector(1).norm(), c.box.vector(1).norm(), 1e-12);
    EXPECT_NEAR(f.box.volume(), c.box.volume() * (1 + eps), 1e-11);
  }
}

TEST(StrainSeries, MonoclinicChangesOneAngleAtConstantVolume) {
  const Structure c = build_crystal("LiP");  // beta = 118.156°
  StrainSeriesOptions o;
  o.kind = StrainKind::Monoclinic;
  o.angle = 1;
  const auto p0 = cell_parameters(c.box.cell());
  for (const auto& f : strain_series(c, o)) {
    const double eps = std::stod(f.info.at("strain"));
    const auto p = cell_parameters(f.box.cell());
    EXPECT_NEAR(p[4], p0[4] * (1 + eps), 1e-9);
    EXPECT_NEAR(p[3], p0[3], 1e-9);
    EXPECT_NEAR(p[5], p0[5], 1e-9);
    EXPECT_NEAR(f.box.volume(), c.box.volume(), 1e-11 * c.box.volume());
    EXPECT_NEAR(p[0] / p[1], p0[0] / p0[1], 1e-12);
    EXPECT_NEAR(p[2] / p[1], p0[2] / p0[1], 1e-12);
  }
  expect_invalid([&] { apply_strain(c, StrainKind::Hydrostatic, 0.5); }, "(-50 %, +50 %)");
  expect_invalid([&] { apply_strain(c, StrainKind::Orthorhombic, -0.6); }, "(-50 %, +50 %)");
}

void check_slab(const Structure& bulk, const SlabResult& r, const Vec3i& hkl, double vacuum) {
  const Structure& s = r.slab;
  // Normal: u1, u2 in the plane, unimodular transform; a, b in xy and c along z.
  EXPECT_EQ(hkl.dot(r.transform.row(0).transpose()), 0);
  EXPECT_EQ(hkl.dot(r.transform.row(1).transpose()), 0);
  EXPECT_EQ(std::lround(r.transform.cast<double>().determinant()), 1);
  EXPECT_NEAR(s.box.cell()(0, 2), 0.0, 1e-12);
  EXPECT_NEAR(s.box.cell()(1, 2), 0.0, 1e-12);
  EXPECT_NEAR(s.box.cell().row(2).head<2>().norm(), 0.0, 1e-12);
  EXPECT_NEAR(s.box.vector(0).norm(), (r.transform.row(0).cast<double>() * bulk.box.cell()).norm(), 1e-10);
  // Thickness and vacuum.
  double zmin = 1e300, zmax = -1e300;
  for (const auto& x : s.positions) {
    zmin = std::min(zmin, x[2]);
    zmax = std::max(zmax, x[2]);
  }
  EXPECT_NEAR(zmax - zmin, r.thickness, 1e-10);
  EXPECT_NEAR(s.box.cell()(2, 2) - (zmax - zmin), vacuum, 1e-10);
  // Stoichiometry: whole periods of the bulk cell.
  EXPECT_EQ(s.size(), bulk.size() * static_cast<std::size_t>(r.layers));
  for (const auto& [el, n] : counts(bulk)) EXPECT_EQ(counts(s)[el], n * r.layers);
  // No atoms closer than in the bulk.
  EXPECT_GE(min_distance_check(s, 0.5).distance, min_distance_check(bulk, 0.5).distance - 1e-9);
}

TEST(Slab, LithiumBcc110And111) {
  const Structure li = build_crystal("Li");
  const double a = li.box.vector(0).norm();
  SlabOptions o;
  o.miller = Vec3i(1, 1, 0);
  o.layers = 6;
  o.vacuum = 12.0;
  const auto r = build_slab(li, o);
  EXPECT_EQ(r.terminations, 1);
  EXPECT_NEAR(r.d_spacing, a / std::sqrt(2.0), 1e-12);
  EXPECT_NEAR(r.thickness, 5 * a / std::sqrt(2.0), 1e-10);
  const double l0 = r.slab.box.vector(0).norm(), l1 = r.slab.box.vector(1).norm();
  EXPECT_NEAR(std::min(l0, l1), a, 1e-12);
  EXPECT_NEAR(std::max(l0, l1), a * std::sqrt(2.0), 1e-12);
  check_slab(li, r, o.miller, o.vacuum);
  o.miller = Vec3i(1, 1, 1);
  o.layers = 0;
  o.min_thickness = 10.0;
  const auto r111 = build_slab(li, o);
  EXPECT_GE(r111.thickness, 10.0);
  EXPECT_LT(r111.thickness - r111.d_spacing, 10.0);  // the fewest periods reaching it
  check_slab(li, r111, o.miller, o.vacuum);
  expect_invalid(
      [&] {
        SlabOptions z = o;
        z.miller = Vec3i::Zero();
        build_slab(li, z);
      },
      "0 0 0");
}

TEST(Slab, EveryTerminationOfLowIndexLi3PO4Surfaces) {
  const Structure c = build_crystal("Li3PO4");
  for (const Vec3i& hkl : {Vec3i(0, 0, 1), Vec3i(1, 0, 1), Vec3i(1, 1, 1), Vec3i(2, 1, 0)}) {
    const int nt = count_terminations(c, hkl);
    EXPECT_GE(nt, 1);
    for (int t = 0; t < nt; ++t) {
      SlabOptions o;
      o.miller = hkl;
      o.layers = 2;
      o.vacuum = 15.0;
      o.termination = t;
      check_slab(c, build_slab(c, o), hkl, 15.0);
    }
    SlabOptions bad;
    bad.miller = hkl;
    bad.layers = 1;
    bad.termination = nt;
    expect_invalid([&] { build_slab(c, bad); }, "termination");
  }
}

TEST(Defects, LiRichAndLiPoorLi3PO4MatchTheDatasetFormulas) {
  const Structure cell = make_supercell(build_crystal("Li3PO4"), 2, 2, 3);  // Li72P24O96
  ASSERT_EQ(cell.size(), 192u);
  DefectOptions o;
  o.cap = 4;
  o.seed = 11;
  const auto rich = enumerate_defects(cell, o);
  ASSERT_EQ(rich.size(), 4u);
  for (const auto& s : rich) {
    EXPECT_EQ(counts(s), (std::map<std::string, long>{{"Li", 73}, {"P", 24}, {"O", 95}, {"N", 1}}));
    EXPECT_EQ(formal_charge(s), 0);
    EXPECT_GE(min_distance_check(s, 0.5).distance,
              std::min(o.min_li_distance, min_distance_check(cell, 0.5).distance) - 1e-9);
  }
  EXPECT_NE(rich[0].positions, rich[1].positions);
  const auto again = enumerate_defects(cell, o);
  for (std::size_t k = 0; k < rich.size(); ++k) {
    EXPECT_EQ(again[k].positions, rich[k].positions);
    EXPECT_EQ(again[k].species, rich[k].species);
  }
  o.kind = DefectKind::LiPoor;
  for (const auto& s : enumerate_defects(cell, o)) {
    EXPECT_EQ(counts(s), (std::map<std::string, long>{{"Li", 71}, {"P", 24}, {"O", 94}, {"N", 1}}));
    EXPECT_EQ(formal_charge(s), 0);
  }
}

TEST(Defects, PhosphorusToFiveLithiumInLi7PN4) {
  const Structure cell = build_crystal("Li7PN4");  // Li56P8N32
  DefectOptions o;
  o.kind = DefectKind::PToLi5;
  o.cap = 2;
  o.min_li_distance = 1.5;
  for (const auto& s : enumerate_defects(cell, o)) {
    EXPECT_EQ(counts(s), (std::map<std::string, long>{{"Li", 61}, {"P", 7}, {"N", 32}}));
    EXPECT_EQ(formal_charge(s), 0);
    EXPECT_GE(min_distance_check(s, 0.5).distance, 1.5 - 1e-9);
  }
  DefectOptions rich = o;
  rich.kind = DefectKind::LiRich;  // O -> N needs oxygen, which Li7PN4 lacks
  expect_invalid([&] { enumerate_defects(cell, rich); }, "needs a O atom");
}

TEST(Amorphous, CompositionDensityAndMinimumDistances) {
  EXPECT_EQ(parse_composition("Li3PO3.3N0.5"),
            (std::vector<std::pair<std::string, long>>{{"Li", 30}, {"P", 10}, {"O", 33}, {"N", 5}}));
  EXPECT_EQ(parse_composition("Li87P30O99N13", 2)[2].second, 198);
  AmorphousOptions o;
  o.composition = "Li3PO3.3N0.5";
  o.formula_units = 2;
  o.density = 2.3;
  o.seed = 5;
  const Structure s = build_amorphous(o);
  EXPECT_EQ(counts(s), (std::map<std::string, long>{{"Li", 60}, {"P", 20}, {"O", 66}, {"N", 10}}));
  EXPECT_NEAR(mass_density(s), 2.3, 1e-12);
  long pairs = 0;
  for_each_pair_within(s, 3.0, [&](long i, long j, const Vec3&, double r) {
    ++pairs;
    EXPECT_GE(r, default_min_distance(s.species[static_cast<std::size_t>(i)],
                                      s.species[static_cast<std::size_t>(j)]));
  });
  EXPECT_GT(pairs, 0);
  EXPECT_EQ(build_amorphous(o).positions, s.positions);  // seeded
  o.seed = 6;
  EXPECT_NE(build_amorphous(o).positions, s.positions);
  o.density = 12.0;
  expect_invalid([&] { build_amorphous(o); }, "impossible");
  o.density = 2.3;
  o.composition = "Li3PQ4";
  expect_invalid([&] { build_amorphous(o); }, "'Q'");
}

}  // namespace
}  // namespace e3md

namespace e3md {
namespace {

TEST(Dataset, EveryFrameCarriesConfigTypeAndCrystal) {
  DatasetOptions o;
  o.crystals = {"Li3PO4", "Li2O"};
  o.defect_cap = 2;
  const auto frames = build_dataset(o);
  std::map<std::string, long> kinds;
  for (const auto& f : frames) {
    ASSERT_TRUE(f.info.count("config_type"));
    ASSERT_TRUE(f.info.count("crystal"));
    ++kinds[f.info.at("config_type")];
  }
  // Per crystal: 1 base, 20 hydrostatic, 3×20 orthorhombic, 3×20 monoclinic, 7 slabs; Li3PO4 adds 2+2
  // defects.
  EXPECT_EQ(kinds["crystal"], 2);
  EXPECT_EQ(kinds["strain_hydrostatic"], 40);
  EXPECT_EQ(kinds["strain_orthorhombic"], 120);
  EXPECT_EQ(kinds["strain_monoclinic"], 120);
  EXPECT_EQ(kinds["slab"], 14);
  EXPECT_EQ(kinds["defect_li-rich"], 2);
  EXPECT_EQ(kinds["defect_li-poor"], 2);
  EXPECT_EQ(frames.size(), 300u);
}

}  // namespace
}  // namespace e3md

#include "driver/builder_deck.hpp"

namespace e3md {
namespace {

TEST(DeckBuild, CrystalWithModifiersAndErrorsNamingTheKey) {
  const auto s = build_from_yaml(
      YAML::Load("{crystal: Li3PO4, supercell: [1, 1, 2], strain: {kind: hydrostatic, value: 0.05}}"),
      "deck.yaml:3");
  EXPECT_EQ(s.size(), 32u);
  EXPECT_NEAR(s.box.volume(), 2.0 * 1.05 * build_crystal("Li3PO4").box.volume(), 1e-9);
  const auto slab =
      build_from_yaml(YAML::Load("{crystal: Li, slab: {miller: [1, 1, 0], layers: 4, vacuum: 10}}"), "d:1");
  EXPECT_EQ(slab.info.at("config_type"), "slab");
  auto msg = [](const std::string& y) {
    try {
      build_from_yaml(YAML::Load(y), "deck.yaml:7");
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(msg("{crystal: Li, slab: {miler: [1, 1, 0]}}").find("deck.yaml:7: build.slab.miler: unknown key"),
            std::string::npos);
  EXPECT_NE(msg("{crystal: Li, slab: {miller: [0, 0, 0], layers: 2}}").find("0 0 0"), std::string::npos);
  EXPECT_NE(msg("{crystal: Nope}").find("unknown crystal 'Nope'"), std::string::npos);
  EXPECT_NE(msg("{amorphous: {composition: Li3PO4, density: 11, units: 4}}").find("impossible"),
            std::string::npos);
  EXPECT_NE(msg("{crystal: Li, input: x.xyz}").find("exactly one of"), std::string::npos);
}

}  // namespace
}  // namespace e3md
