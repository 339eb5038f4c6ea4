// Structure files: exact round trips, the documented conventions, and one-line errors naming file and line.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "io/extxyz.hpp"
#include "io/lammps_data.hpp"
#include "io/poscar.hpp"
#include "io/structure_io.hpp"
#include "test_helpers.hpp"

namespace e3md {
namespace {

using test::random_structure;
using test::scratch_dir;
using test::write_text;

// Expects `f` to throw StructureFileError whose message contains every string in `parts`.
template <class F>
void expect_error(F f, std::initializer_list<std::string> parts) {
  try {
    f();
    FAIL() << "no exception";
  } catch (const StructureFileError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
  }
}

void expect_identical(const Structure& a, const Structure& b) {
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(a.box.cell(), b.box.cell());
  EXPECT_EQ(a.box.periodic(), b.box.periodic());
  EXPECT_EQ(a.species, b.species);
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a.positions[i], b.positions[i]);
  ASSERT_EQ(a.velocities.size(), b.velocities.size());
  for (std::size_t i = 0; i < a.velocities.size(); ++i) EXPECT_EQ(a.velocities[i], b.velocities[i]);
  ASSERT_EQ(a.forces.size(), b.forces.size());
  for (std::size_t i = 0; i < a.forces.size(); ++i) EXPECT_EQ(a.forces[i], b.forces[i]);
  EXPECT_EQ(a.has_energy, b.has_energy);
  EXPECT_EQ(a.energy, b.energy);
  EXPECT_EQ(a.has_stress, b.has_stress);
  EXPECT_EQ(a.stress, b.stress);
  EXPECT_EQ(a.info, b.info);
}

TEST(ExtXYZ, MultiFrameRoundTripIsBitExact) {
  std::mt19937_64 rng(7);
  const std::string dir = scratch_dir("xyz_rt");
  const auto a = random_structure(rng, 13, true), b = random_structure(rng, 5, false),
             c = random_structure(rng, 8, true);
  write_extxyz(dir + "/d.xyz", {a, b});
  write_extxyz(dir + "/d.xyz", {c}, /*append=*/true);
  const auto frames = read_extxyz(dir + "/d.xyz");
  ASSERT_EQ(frames.size(), 3u);
  expect_identical(frames[0], a);
  expect_identical(frames[1], b);
  expect_identical(frames[2], c);
  // read_structure picks the last frame by default (as ASE), any frame on request.
  expect_identical(read_structure(dir + "/d.xyz"), c);
  StructureReadOptions o;
  o.frame = 1;
  expect_identical(read_structure(dir + "/d.xyz", o), b);
}

TEST(ExtXYZ, ReadsAseStyleHeaderVoigtStressAndDefaults) {
  const std::string dir = scratch_dir("xyz_ase");
  write_text(
      dir + "/a.xyz",
      "2\n"
      "Lattice=\"4.0 0.0 0.0 0.0 5.0 0.0 0.0 1.0 6.0\" Properties=species:S:1:pos:R:3:tags:I:1:forces:R:3 "
      "energy=-3.5 stress=\"1 2 3 4 5 6\" config_type=bulk name={two words} flag pbc=\"T T F\"\n"
      "li 0.0 0.0 0.0 7 0.1 0.2 0.3\n"
      "O 1.0 2.0 3.0 8 -0.1 -0.2 -0.3\n");
  const auto s = read_structure(dir + "/a.xyz");
  EXPECT_EQ(s.species[0], "Li");
  EXPECT_EQ(s.box.cell()(2, 1), 1.0);
  EXPECT_FALSE(s.box.periodic(2));
  EXPECT_TRUE(s.has_energy);
  EXPECT_EQ(s.energy, -3.5);
  Mat3 voigt;
  voigt << 1, 6, 5, 6, 2, 4, 5, 4, 3;
  EXPECT_EQ(s.stress, voigt);
  EXPECT_EQ(s.forces[1], Vec3(-0.1, -0.2, -0.3));
  EXPECT_EQ(s.info.at("config_type"), "bulk");
  EXPECT_EQ(s.info.at("name"), "two words");
  EXPECT_EQ(s.info.at("flag"), "T");
}

TEST(ExtXYZ, ErrorsNameFileAndLine) {
  const std::string dir = scratch_dir("xyz_err");
  const std::string head = "Lattice=\"4 0 0 0 4 0 0 0 4\" Properties=species:S:1:pos:R:3\n";
  write_text(dir + "/trunc.xyz", "3\n" + head + "Li 0 0 0\nLi 1 1 1\n");
  expect_error([&] { read_extxyz(dir + "/trunc.xyz"); }, {"trunc.xyz:4", "truncated"});
  write_text(dir + "/count.xyz", "1\n" + head + "Li 0 0 0\nLi 1 1 1\n");
  expect_error([&] { read_extxyz(dir + "/count.xyz"); }, {"count.xyz:4", "atom count"});
  write_text(dir + "/num.xyz", "1\n" + head + "Li 0 abc 0\n");
  expect_error([&] { read_extxyz(dir + "/num.xyz"); }, {"num.xyz:3", "'abc'", "not a finite number"});
  write_text(dir + "/sing.xyz",
             "1\nLattice=\"4 0 0 8 0 0 0 0 4\" Properties=species:S:1:pos:R:3\nLi 0 0 0\n");
  expect_error([&] { read_extxyz(dir + "/sing.xyz"); }, {"sing.xyz:2", "Lattice", "singular"});
  write_text(dir + "/cols.xyz", "1\n" + head + "Li 0 0 0 5\n");
  expect_error([&] { read_extxyz(dir + "/cols.xyz"); }, {"cols.xyz:3", "fields"});
  write_text(dir + "/quote.xyz", "1\nLattice=\"4 0 0 0 4 0 0 0 4\nLi 0 0 0\n");
  expect_error([&] { read_extxyz(dir + "/quote.xyz"); }, {"quote.xyz:2", "Lattice", "closing"});
}

TEST(Poscar, CartesianRoundTripIsExactAndDirectIsTight) {
  std::mt19937_64 rng(3);
  const std::string dir = scratch_dir("poscar_rt");
  auto s = random_structure(rng, 11, false);
  s.box = Box(s.box.cell(), {{true, true, true}});
  s.info["comment"] = "random cell";
  write_poscar(dir + "/POSCAR", s);
  const auto r = read_structure(dir + "/POSCAR");
  EXPECT_EQ(r.box.cell(), s.box.cell());
  EXPECT_EQ(r.species, s.species);  // runs "Li P O N Li P O N ..." keep the atom order
  for (std::size_t i = 0; i < s.size(); ++i) EXPECT_EQ(r.positions[i], s.positions[i]);
  write_poscar(dir + "/d.vasp", s, /*direct=*/true);
  const auto d = read_structure(dir + "/d.vasp");
  for (std::size_t i = 0; i < s.size(); ++i) EXPECT_LT((d.positions[i] - s.positions[i]).norm(), 1e-13);
}

TEST(Poscar, NegativeScaleIsVolumeAndSelectiveDynamicsIsAccepted) {
  const std::string dir = scratch_dir("poscar_vol");
  write_text(dir + "/POSCAR",
             "Li2O\n-125.0\n 1 0 0\n 0 1 0\n 0 0 1\n Li_sv O\n 2 1\nSelective dynamics\nDirect\n"
             " 0.25 0.25 0.25 T T F\n 0.75 0.75 0.75 F F F\n 0 0 0 T T T\n");
  const auto s = read_structure(dir + "/POSCAR");
  EXPECT_NEAR(s.box.volume(), 125.0, 1e-12);
  EXPECT_NEAR(s.positions[1][0], 3.75, 1e-12);
  EXPECT_EQ(s.species, (std::vector<std::string>{"Li", "Li", "O"}));
}

TEST(Poscar, ErrorsNameFileAndLine) {
  const std::string dir = scratch_dir("poscar_err");
  const std::string cell = "x\n1.0\n 4 0 0\n 0 4 0\n 0 0 4\n";
  write_text(dir + "/POSCAR_unknown", cell + " Li Xx\n 1 1\nDirect\n 0 0 0\n 0.5 0.5 0.5\n");
  expect_error([&] { read_poscar(dir + "/POSCAR_unknown"); }, {"POSCAR_unknown:6", "'Xx'", "element"});
  write_text(dir + "/POSCAR_trunc", cell + " Li O\n 2 1\nDirect\n 0 0 0\n 0.5 0.5 0.5\n");
  expect_error([&] { read_poscar(dir + "/POSCAR_trunc"); }, {"POSCAR_trunc:11", "truncated"});
  write_text(dir + "/POSCAR_v4", cell + " 1 1\nDirect\n 0 0 0\n 0.5 0.5 0.5\n");
  expect_error([&] { read_poscar(dir + "/POSCAR_v4"); }, {"POSCAR_v4:6", "species"});
  EXPECT_EQ(read_poscar(dir + "/POSCAR_v4", {"Li", "O"}).species[1], "O");
  write_text(dir + "/POSCAR_sing", "x\n1.0\n 4 0 0\n 8 0 0\n 0 0 4\n Li\n 1\nDirect\n 0 0 0\n");
  expect_error([&] { read_poscar(dir + "/POSCAR_sing"); }, {"POSCAR_sing:5", "singular"});
  write_text(dir + "/POSCAR_num", cell + " Li\n 1\nDirect\n 0 0.x 0\n");
  expect_error([&] { read_poscar(dir + "/POSCAR_num"); }, {"POSCAR_num:9", "'0.x'"});
}

// Distances between all pairs (closest image) are invariant under the rigid rotation and the tilt reduction.
void expect_same_geometry(const Structure& a, const Structure& b, double tol) {
  ASSERT_EQ(a.size(), b.size());
  EXPECT_NEAR(a.box.volume(), b.box.volume(), tol * a.box.volume());
  for (std::size_t i = 0; i < a.size(); ++i) {
    for (std::size_t j = 0; j < a.size(); ++j) {
      auto closest = [](const Structure& s, std::size_t p, std::size_t q) {
        const Vec3 d = s.positions[q] - s.positions[p];
        double best = 1e300;
        for (int x = -4; x <= 4; ++x)
          for (int y = -4; y <= 4; ++y)
            for (int z = -4; z <= 4; ++z) best = std::min(best, (d + s.box.shift(Vec3i(x, y, z))).norm());
        return best;
      };
      EXPECT_NEAR(closest(a, i, j), closest(b, i, j), tol);
    }
  }
}

TEST(LammpsData, GeneralTriclinicIsRotatedAndReducedWithGeometryKept) {
  std::mt19937_64 rng(11);
  const std::string dir = scratch_dir("lmp_rt");
  for (int trial = 0; trial < 5; ++trial) {
    auto s = random_structure(rng, 9, false);
    s.box = Box(s.box.cell(), {{true, true, true}});
    Mat3 h = s.box.cell();
    h.row(1) += 2.0 * h.row(0);  // a large skew that must be reduced
    s.box.set_cell(h);
    for (auto& x : s.positions) x = s.box.to_cartesian(s.box.to_fractional(x));
    write_lammps_data(dir + "/s.data", s, {"O", "Li", "P", "N"});
    const auto r = read_lammps_data(dir + "/s.data");
    EXPECT_EQ(r.species, s.species);
    const Mat3 c = r.box.cell();
    EXPECT_EQ(c(0, 1), 0.0);
    EXPECT_EQ(c(0, 2), 0.0);
    EXPECT_EQ(c(1, 2), 0.0);
    EXPECT_LE(std::abs(c(1, 0)), 0.5 * c(0, 0) + 1e-12);
    EXPECT_LE(std::abs(c(2, 0)), 0.5 * c(0, 0) + 1e-12);
    EXPECT_LE(std::abs(c(2, 1)), 0.5 * c(1, 1) + 1e-12);
    expect_same_geometry(s, r, 1e-11);
  }
}

TEST(LammpsData, TypesMapByListCommentOrMass) {
  const std::string dir = scratch_dir("lmp_types");
  const std::string head = "title\n\n2 atoms\n2 atom types\n0 4 xlo xhi\n0 4 ylo yhi\n0 4 zlo zhi\n\n";
  const std::string atoms = "\nAtoms # atomic\n\n2 2 1 1 1\n1 1 0 0 0\n";
  write_text(dir + "/mass.data", head + "Masses\n\n1 6.941\n2 30.97\n" + atoms);
  EXPECT_EQ(read_lammps_data(dir + "/mass.data").species, (std::vector<std::string>{"Li", "P"}));
  EXPECT_EQ(read_lammps_data(dir + "/mass.data", {"Na", "Cl"}).species,
            (std::vector<std::string>{"Na", "Cl"}));
  write_text(dir + "/bad.data", head + "Masses\n\n1 7.5\n2 30.97\n" + atoms);
  expect_error([&] { read_lammps_data(dir + "/bad.data"); }, {"bad.data", "7.5", "species list"});
  write_text(dir + "/short.data", head + "Masses\n\n1 6.94\n2 30.97\n\nAtoms # atomic\n\n1 1 0 0 0\n");
  expect_error([&] { read_lammps_data(dir + "/short.data"); }, {"short.data:14", "header says 2 atoms"});
  write_text(dir + "/num.data",
             head + "Masses\n\n1 6.94\n2 30.97\n\nAtoms # atomic\n\n1 1 0 0 0\n2 2 1 q 1\n");
  expect_error([&] { read_lammps_data(dir + "/num.data"); }, {"num.data:17", "'q'"});
  EXPECT_THROW(write_lammps_data(dir + "/w.data", read_lammps_data(dir + "/mass.data"), {"Li"}),
               std::invalid_argument);
}

TEST(StructureIO, FormatDispatch) {
  EXPECT_EQ(detect_structure_format("a/b/train.xyz"), StructureFormat::ExtXYZ);
  EXPECT_EQ(detect_structure_format("x/CONTCAR"), StructureFormat::Poscar);
  EXPECT_EQ(detect_structure_format("x/Li.vasp"), StructureFormat::Poscar);
  EXPECT_EQ(detect_structure_format("x/data.lipon"), StructureFormat::LammpsData);
  EXPECT_EQ(detect_structure_format("x/lipon.data"), StructureFormat::LammpsData);
  EXPECT_EQ(detect_structure_format("x/whatever", "vasp"), StructureFormat::Poscar);
  expect_error([] { detect_structure_format("x/file.cif"); }, {"file.cif", "extxyz"});
  expect_error([] { parse_structure_format("cif"); }, {"'cif'"});
}

TEST(StructureIO, ClosestPairMatchesBruteForceOverImages) {
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 20; ++trial) {
    auto s = random_structure(rng, 1 + trial % 7, false);
    if (trial % 3 == 0) {  // thin, strongly skewed cells: several images within the search radius
      Mat3 h = s.box.cell();
      h.row(2) *= 0.3;
      h.row(1) += 1.7 * h.row(0);
      s.box.set_cell(h);
    }
    double brute = 1e300;
    for (std::size_t i = 0; i < s.size(); ++i) {
      for (std::size_t j = i; j < s.size(); ++j) {
        for (int x = -4; x <= 4; ++x)
          for (int y = -4; y <= 4; ++y)
            for (int z = -4; z <= 4; ++z) {
              if (!s.box.periodic(2) && z != 0) continue;
              if (i == j && x == 0 && y == 0 && z == 0) continue;
              brute = std::min(brute, (s.positions[j] + s.box.shift(Vec3i(x, y, z)) - s.positions[i]).norm());
            }
      }
    }
    const ClosestPair p = min_distance_check(s, 0.5);
    if (brute > 1e299) {
      EXPECT_FALSE(p.found());
      continue;
    }
    ASSERT_TRUE(p.found());
    EXPECT_NEAR(p.distance, brute, 1e-12);
    const Vec3 d = s.positions[static_cast<std::size_t>(p.j)] + s.box.shift(p.image) -
                   s.positions[static_cast<std::size_t>(p.i)];
    EXPECT_NEAR(d.norm(), p.distance, 1e-12);
  }
}

TEST(StructureIO, PairsWithinCutoffCountMatchesBruteForce) {
  std::mt19937_64 rng(9);
  auto s = random_structure(rng, 40, false);
  for (double rc : {1.5, 3.0, 7.5}) {
    long count = 0;
    for_each_pair_within(s, rc, [&](long, long, const Vec3&, double) { ++count; });
    long brute = 0;
    for (std::size_t i = 0; i < s.size(); ++i)
      for (std::size_t j = i; j < s.size(); ++j)
        for (int x = -4; x <= 4; ++x)
          for (int y = -4; y <= 4; ++y)
            for (int z = -4; z <= 4; ++z) {
              if (!s.box.periodic(2) && z != 0) continue;
              const Vec3i n(x, y, z);
              if (i == j && (n.isZero() || x < 0 || (x == 0 && (y < 0 || (y == 0 && z < 0))))) continue;
              if ((s.positions[j] + s.box.shift(n) - s.positions[i]).norm() < rc) ++brute;
            }
    EXPECT_EQ(count, brute) << "cutoff " << rc;
  }
}

TEST(StructureIO, DensityAndFormula) {
  Structure s;
  s.box = Box(Mat3::Identity() * 4.6588, {{true, true, true}});
  for (int i = 0; i < 8; ++i) {
    s.species.push_back("Li");
    s.positions.push_back(Vec3::Zero());
  }
  for (int i = 0; i < 4; ++i) {
    s.species.push_back("O");
    s.positions.push_back(Vec3::Zero());
  }
  EXPECT_EQ(formula(s), "Li8O4");
  EXPECT_NEAR(mass_density(s), 1.963, 0.001);  // mp-1960 Li2O
  EXPECT_EQ(element_for_mass(15.9994), "O");
  EXPECT_THROW(atomic_mass("Xx"), std::invalid_argument);
}

}  // namespace
}  // namespace e3md
