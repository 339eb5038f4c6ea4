// Crystal builder: every shipped definition builds the crystal of the Materials Project cell it came from
// (composition, atom count, density, positions against the full coordinate lists), and the space-group
// operations equal spglib's; spglib detects the space group each crystal was built from.
#include <gtest/gtest.h>

#include <Eigen/Geometry>
#include <algorithm>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>

#include "driver/builder_crystal.hpp"
#include "driver/builder_symmetry.hpp"
#include "io/extxyz.hpp"
#include "io/structure_io.hpp"
#include "test_helpers.hpp"

namespace e3md {
namespace {

std::map<std::string, long> parse_formula(const std::string& f) {
  std::map<std::string, long> m;
  std::size_t i = 0;
  while (i < f.size()) {
    std::string el(1, f[i++]);
    while (i < f.size() && std::islower(static_cast<unsigned char>(f[i]))) el += f[i++];
    long n = 0;
    while (i < f.size() && std::isdigit(static_cast<unsigned char>(f[i]))) n = 10 * n + (f[i++] - '0');
    m[el] += n == 0 ? 1 : n;
  }
  return m;
}

// Nearest-neighbour distance of every atom, per species (sorted): invariant under any choice of cell.
std::map<std::string, std::vector<double>> nearest_neighbour(const Structure& s) {
  std::vector<double> nn(s.size(), 1e300);
  for_each_pair_within(s, 4.0, [&](long i, long j, const Vec3&, double r) {
    nn[static_cast<std::size_t>(i)] = std::min(nn[static_cast<std::size_t>(i)], r);
    nn[static_cast<std::size_t>(j)] = std::min(nn[static_cast<std::size_t>(j)], r);
  });
  std::map<std::string, std::vector<double>> out;
  for (std::size_t i = 0; i < s.size(); ++i) out[s.species[i]].push_back(nn[i]);
  for (auto& [k, v] : out) std::sort(v.begin(), v.end());
  return out;
}

TEST(Crystals, ShipsTheNineteenTrainingSetCrystals) {
  const auto names = known_crystals();
  for (const char* n : {"Li", "Li2O", "Li2O2", "Li3N", "Li3P", "LiP", "Li3PO4", "Li4P2O7", "LiPN2", "Li7PN4",
                        "P3N5", "P2O5", "PON", "LiPO3", "LiN3", "LiP7", "Li3P7", "Li2PO2N", "LiO8"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
  }
}

TEST(Crystals, CompositionDensityDistancesAndAppendixCoordinates) {
  for (const auto& name : known_crystals()) {
    SCOPED_TRACE(name);
    const CrystalSpec spec = load_crystal_spec(name);
    const Structure s = build_crystal(spec);
    EXPECT_EQ(static_cast<long>(s.size()), spec.atoms);
    // Composition: counts proportional to the formula in the name.
    const auto want = parse_formula(name);
    std::map<std::string, long> got;
    for (const auto& sp : s.species) ++got[sp];
    ASSERT_EQ(got.size(), want.size());
    const double z =
        static_cast<double>(got.begin()->second) / static_cast<double>(want.at(got.begin()->first));
    for (const auto& [el, n] : want)
      EXPECT_EQ(got[el], static_cast<long>(std::lround(z * static_cast<double>(n))));
    // Density within 2 % of the literature value (the MP cell); measured agreement is ~0.05 %.
    EXPECT_NEAR(mass_density(s), spec.density, 0.02 * spec.density);
    const ClosestPair p = min_distance_check(s, 0.5);
    EXPECT_GT(p.distance, 1.0);
    // Against the full coordinate list of the same MP cell.
    const Structure ref =
        read_structure(std::string(E3MD_SOURCE_DIR) + "/tests/builders/data/appendix/" + name + ".xyz");
    EXPECT_NEAR(mass_density(ref), mass_density(s), 1e-5 * mass_density(s));
    if (ref.info.at("cell_kind") == "conventional") {
      ASSERT_EQ(ref.size(), s.size());
      EXPECT_LT((ref.box.cell() - s.box.cell()).cwiseAbs().maxCoeff(), 2e-6);
      double worst = 0.0;
      for (std::size_t i = 0; i < s.size(); ++i) {
        double best = 1e300;
        for (std::size_t j = 0; j < ref.size(); ++j) {
          if (ref.species[j] != s.species[i]) continue;
          best = std::min(best, s.box.minimum_image(ref.positions[j] - s.positions[i]).norm());
        }
        worst = std::max(worst, best);
      }
      EXPECT_LT(worst, 2e-3) << "Wyckoff coordinates have 5 decimals";
    }
    // Nearest-neighbour distances per species agree with the reference cell whatever its shape.
    const auto nn_s = nearest_neighbour(s), nn_r = nearest_neighbour(ref);
    for (const auto& [el, v] : nn_s) {
      const auto& r = nn_r.at(el);
      const std::size_t k = v.size() / r.size();
      ASSERT_EQ(v.size(), k * r.size());
      for (std::size_t i = 0; i < v.size(); ++i) EXPECT_NEAR(v[i], r[i / k], 2e-3) << el;
    }
  }
}

TEST(Crystals, SpaceGroupOperationsEqualSpglibDatabase) {
  const std::string dir = test::scratch_dir("sg_ops");
  std::string args = dir + "/ops.json";
  for (const auto& g : supported_space_groups()) args += " " + std::to_string(g.number);
  ASSERT_EQ(test::run_python("spglib_reference.py", "ops " + args), 0);
  const auto ref = nlohmann::json::parse(test::read_text(dir + "/ops.json"));
  auto key = [](const Eigen::Matrix3i& r, const Vec3& t) {
    std::vector<long> k(r.data(), r.data() + 9);
    for (int d = 0; d < 3; ++d) k.push_back(std::lround(t[d] * 48.0) % 48);
    return k;
  };
  for (const auto& g : supported_space_groups()) {
    SCOPED_TRACE(g.symbol);
    const auto ops = space_group_operations(g.number);
    EXPECT_EQ(static_cast<int>(ops.size()), g.order);
    std::vector<std::vector<long>> mine;
    for (const auto& o : ops) mine.push_back(key(o.rotation, o.translation));
    std::sort(mine.begin(), mine.end());
    bool matched = false;
    for (const auto& setting : ref[std::to_string(g.number)]) {
      std::vector<std::vector<long>> theirs;
      for (std::size_t i = 0; i < setting["rotations"].size(); ++i) {
        Eigen::Matrix3i r;
        for (int a = 0; a < 3; ++a)
          for (int b = 0; b < 3; ++b)
            r(a, b) =
                setting["rotations"][i][static_cast<std::size_t>(a)][static_cast<std::size_t>(b)].get<int>();
        const auto& t = setting["translations"][i];
        theirs.push_back(key(r, Vec3(t[0].get<double>(), t[1].get<double>(), t[2].get<double>())));
      }
      std::sort(theirs.begin(), theirs.end());
      matched = matched || theirs == mine;
    }
    EXPECT_TRUE(matched) << "no spglib setting of No. " << g.number << " has these operations";
  }
}

TEST(Crystals, SpglibDetectsTheSpaceGroupOfEveryBuiltCrystal) {
  const std::string dir = test::scratch_dir("sg_detect");
  std::vector<Structure> all;
  std::vector<int> expected;
  for (const auto& name : known_crystals()) {
    const auto spec = load_crystal_spec(name);
    all.push_back(make_supercell(build_crystal(spec), 1, 1, 1));
    expected.push_back(spec.space_group);
  }
  write_extxyz(dir + "/all.xyz", all);
  ASSERT_EQ(test::run_python("spglib_reference.py", "detect " + dir + "/all.xyz " + dir + "/sg.json"), 0);
  const auto got = nlohmann::json::parse(test::read_text(dir + "/sg.json"));
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(got[i]["number"].get<int>(), expected[i]) << all[i].info["crystal"];
  }
}

TEST(Crystals, SupercellReplicatesCellAndAtoms) {
  const Structure c = build_crystal("Li3PO4");
  const Structure s = make_supercell(c, 2, 3, 1);
  EXPECT_EQ(s.size(), 6 * c.size());
  EXPECT_NEAR(s.box.volume(), 6.0 * c.box.volume(), 1e-9);
  EXPECT_NEAR(mass_density(s), mass_density(c), 1e-12);
  EXPECT_NEAR(min_distance_check(s, 0.5).distance, min_distance_check(c, 0.5).distance, 1e-12);
  EXPECT_THROW(make_supercell(c, 0, 1, 1), std::invalid_argument);
}

TEST(Crystals, ErrorsNameTheFileAndKey) {
  try {
    build_crystal("Li3PO5");
    FAIL();
  } catch (const std::invalid_argument& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("unknown crystal 'Li3PO5'"), std::string::npos) << m;
    EXPECT_NE(m.find("Li3PO4"), std::string::npos) << m;  // lists the known ones
  }
  const std::string dir = test::scratch_dir("crystal_err");
  test::write_text(dir + "/bad.yaml",
                   "name: bad\nspace_group: 194\ncell: {a: 3, b: 3, c: 5, alpha: 90, beta: 90, gamma: 120}\n"
                   "sites:\n  - {species: Li, wyckoff: 4f, xyz: [\"1/3\", \"2/3\", 0.25]}\n");
  // (1/3, 2/3, 1/4) is the 2c position: its orbit has 2 points, not the 4 the label claims.
  try {
    build_crystal(dir + "/bad.yaml");
    FAIL();
  } catch (const std::runtime_error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("bad.yaml:5"), std::string::npos) << m;
    EXPECT_NE(m.find("4f expands to 2"), std::string::npos) << m;
  }
  test::write_text(dir + "/key.yaml", "name: k\nspace_group: 2\ncel: {a: 3}\nsites: []\n");
  try {
    build_crystal(dir + "/key.yaml");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("key.yaml:3: unknown key 'cel'"), std::string::npos) << e.what();
  }
  test::write_text(dir + "/sg.yaml",
                   "name: k\nspace_group: 230\ncell: {a: 3, b: 3, c: 3, alpha: 90, beta: 90, gamma: 90}\n"
                   "sites:\n  - {species: Li, xyz: [0, 0, 0]}\n");
  try {
    build_crystal(dir + "/sg.yaml");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("sg.yaml:2"), std::string::npos) << e.what();
  }
}

TEST(Symmetry, ParsesTripletsAndRejectsGarbage) {
  const SymOp op = parse_symop("-y+1/4, x-y+3/4 ,z+0.5");
  EXPECT_EQ(op.rotation(0, 1), -1);
  EXPECT_EQ(op.rotation(1, 0), 1);
  EXPECT_EQ(op.rotation(1, 1), -1);
  EXPECT_DOUBLE_EQ(op.translation[1], 0.75);
  EXPECT_DOUBLE_EQ(op.translation[2], 0.5);
  EXPECT_THROW(parse_symop("x,y"), std::invalid_argument);
  EXPECT_THROW(parse_symop("x,y,w"), std::invalid_argument);
  EXPECT_THROW(parse_symop("x,x,z"), std::invalid_argument);
}

}  // namespace
}  // namespace e3md

#include "driver/builder_slab.hpp"

namespace e3md {
namespace {

// The surface cell of (hkl) is fixed up to a choice of basis: its area and the atoms per period must equal
// those of ase.build.surface, which solves the same problem independently.
TEST(SlabParity, SurfaceCellAreaAndAtomsPerPeriodMatchAse) {
  const std::string dir = test::scratch_dir("slab_ase");
  for (const char* name : {"LiP", "Li4P2O7", "Li3PO4"}) {
    SCOPED_TRACE(name);
    const Structure bulk = build_crystal(name);
    write_extxyz(dir + "/bulk.xyz", {bulk});
    const std::vector<Vec3i> hkls = {Vec3i(1, 0, 1), Vec3i(1, 1, 1), Vec3i(2, 1, 0), Vec3i(0, 0, 1),
                                     Vec3i(1, -1, 2)};
    std::string args = dir + "/bulk.xyz " + dir + "/slab.json";
    for (const auto& m : hkls)
      args += " " + std::to_string(m[0]) + " " + std::to_string(m[1]) + " " + std::to_string(m[2]);
    ASSERT_EQ(test::run_python("ase_slab_reference.py", args), 0);
    const auto ref = nlohmann::json::parse(test::read_text(dir + "/slab.json"));
    for (std::size_t k = 0; k < hkls.size(); ++k) {
      SlabOptions o;
      o.miller = hkls[k];
      o.layers = 1;
      o.vacuum = 10.0;
      const SlabResult r = build_slab(bulk, o);
      const double area = r.slab.box.vector(0).cross(r.slab.box.vector(1)).norm();
      EXPECT_NEAR(area, ref[k]["area"].get<double>(), 1e-9 * area) << hkls[k].transpose();
      EXPECT_EQ(static_cast<long>(r.slab.size()), ref[k]["atoms"].get<long>());
      EXPECT_NEAR(r.d_spacing * area, bulk.box.volume(), 1e-9 * bulk.box.volume());
    }
  }
}

}  // namespace
}  // namespace e3md
