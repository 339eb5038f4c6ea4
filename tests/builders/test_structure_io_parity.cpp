// Parity of the structure files with ASE (extended XYZ, POSCAR, LAMMPS data, both directions) and with
// LAMMPS itself (read_data of an e3md file, write_data read back by e3md).
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <random>

#include "io/lammps_data.hpp"
#include "io/structure_io.hpp"
#include "test_helpers.hpp"

namespace e3md {
namespace {

using nlohmann::json;

Mat3 mat(const json& j) {
  Mat3 m;
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c)
      m(r, c) = j[static_cast<std::size_t>(r)][static_cast<std::size_t>(c)].get<double>();
  return m;
}

Vec3 vec(const json& j) { return Vec3(j[0].get<double>(), j[1].get<double>(), j[2].get<double>()); }

// Compares what e3md read (or wrote) with what ASE read. tol = 0 means bit-identical.
void expect_matches(const Structure& s, const json& a, double tol, bool compare_labels) {
  ASSERT_EQ(s.size(), a["positions"].size());
  const Mat3 cell = mat(a["cell"]);
  EXPECT_LE((s.box.cell() - cell).cwiseAbs().maxCoeff(), tol) << s.box.cell() << "\nvs\n" << cell;
  for (int k = 0; k < 3; ++k) EXPECT_EQ(s.box.periodic(k), a["pbc"][static_cast<std::size_t>(k)].get<bool>());
  for (std::size_t i = 0; i < s.size(); ++i) {
    EXPECT_EQ(s.species[i], a["symbols"][i].get<std::string>());
    EXPECT_LE((s.positions[i] - vec(a["positions"][i])).cwiseAbs().maxCoeff(), tol) << "atom " << i;
  }
  if (!compare_labels) return;
  EXPECT_EQ(s.has_energy, !a["energy"].is_null());
  if (s.has_energy) {
    EXPECT_EQ(s.energy, a["energy"].get<double>());
  }
  EXPECT_EQ(s.has_stress, !a["stress"].is_null());
  if (s.has_stress) {
    EXPECT_LE((s.stress - mat(a["stress"])).cwiseAbs().maxCoeff(), tol);
  }
  EXPECT_EQ(s.forces.empty(), a["forces"].is_null());
  for (std::size_t i = 0; i < s.forces.size(); ++i) EXPECT_EQ(s.forces[i], vec(a["forces"][i]));
  for (const auto& [k, v] : s.info) {
    ASSERT_TRUE(a["info"].contains(k)) << k;
    EXPECT_EQ(v, a["info"][k].get<std::string>());
  }
}

TEST(StructureIOParity, AseWritesE3mdReads) {
  const std::string dir = test::scratch_dir("ase_write");
  ASSERT_EQ(test::run_python("ase_structure_io.py", "ase-write " + dir), 0);
  const json ref = json::parse(test::read_text(dir + "/ase_ref.json"));
  const auto frames = read_structures(dir + "/ase.xyz");
  ASSERT_EQ(frames.size(), 2u);
  expect_matches(frames[0], ref["xyz"][0], 0.0, true);  // both parse the same text: identical doubles
  expect_matches(frames[1], ref["xyz"][1], 0.0, true);
  // POSCAR "Direct": x = s·H is formed by each code with its own rounding.
  expect_matches(read_structure(dir + "/POSCAR_ase"), ref["poscar"], 1e-12, false);
  StructureReadOptions o;
  o.species = {"Li", "P", "O", "N"};  // ASE writes no Masses section
  expect_matches(read_structure(dir + "/ase.data", o), ref["lammps"], 0.0, false);
}

TEST(StructureIOParity, E3mdWritesAseReads) {
  std::mt19937_64 rng(2024);
  const std::string dir = test::scratch_dir("e3md_write");
  auto a = test::random_structure(rng, 12, true);
  a.velocities.clear();  // e3md writes vel:R:3 (Å/ps), which ASE keeps as a plain array
  a.box = Box(a.box.cell(), {{true, false, true}});
  auto b = test::random_structure(rng, 5, false);
  write_structures(dir + "/e3md.xyz", {a, b});
  auto c = test::random_structure(rng, 9, false);
  c.box = Box(c.box.cell(), {{true, true, true}});
  c.info["comment"] = "e3md poscar";
  write_structure(dir + "/POSCAR_e3md", c);
  StructureWriteOptions w;
  w.species_order = {"Li", "P", "O", "N"};
  write_structure(dir + "/e3md.data", c, w);
  ASSERT_EQ(test::run_python("ase_structure_io.py", "ase-read " + dir), 0);
  const json ref = json::parse(test::read_text(dir + "/e3md_ref.json"));
  expect_matches(a, ref["xyz"][0], 0.0, true);
  expect_matches(b, ref["xyz"][1], 0.0, true);
  Structure cp = c;
  cp.info.clear();
  expect_matches(cp, ref["poscar"], 0.0, false);  // Cartesian, 17 digits: exact
  // LAMMPS data: rotated into the restricted-triclinic orientation. Same lattice lengths/angles and the same
  // fractional coordinates (mod 1) as the original.
  const Mat3 h = mat(ref["lammps"]["cell"]);
  const Box lbox(h, {{true, true, true}});
  // Tilt reduction may change the basis: compare metric invariants (volume) and per-atom geometry.
  EXPECT_NEAR(lbox.volume(), c.box.volume(), 1e-12 * c.box.volume());
  for (std::size_t i = 0; i < c.size(); ++i) {
    for (std::size_t j = 0; j < c.size(); ++j) {
      const Vec3 d0 = c.positions[j] - c.positions[i];
      const Vec3 d1 = vec(ref["lammps"]["positions"][j]) - vec(ref["lammps"]["positions"][i]);
      // The same pair seen through both cells: the minimum-image distances agree.
      double m0 = 1e300, m1 = 1e300;
      for (int x = -2; x <= 2; ++x)
        for (int y = -2; y <= 2; ++y)
          for (int z = -2; z <= 2; ++z) {
            m0 = std::min(m0, (d0 + c.box.shift(Vec3i(x, y, z))).norm());
            m1 = std::min(m1, (d1 + lbox.shift(Vec3i(x, y, z))).norm());
          }
      EXPECT_NEAR(m0, m1, 1e-12) << i << " " << j;
    }
    EXPECT_EQ(ref["lammps"]["symbols"][i].get<std::string>(), c.species[i]);
  }
}

TEST(StructureIOParity, LammpsReadsE3mdDataAndWritesItBack) {
  if (std::system("command -v lmp > /dev/null 2>&1") != 0) GTEST_SKIP() << "lmp not installed";
  std::mt19937_64 rng(77);
  const std::string dir = test::scratch_dir("lmp_parity");
  auto c = test::random_structure(rng, 16, true);
  c.forces.clear();
  c.box = Box(c.box.cell(), {{true, true, true}});
  Mat3 h = c.box.cell();
  h.row(2) += 1.6 * h.row(1);  // skew beyond LAMMPS's limit: e3md must reduce it
  c.box.set_cell(h);
  write_structure(dir + "/in.data", c);
  test::write_text(dir + "/in.lmp", "units metal\natom_style atomic\nboundary p p p\nread_data " + dir +
                                        "/in.data\npair_style zero 2.0\npair_coeff * *\nwrite_data " + dir +
                                        "/out.data\n");
  ASSERT_EQ(std::system(("cd " + dir + " && lmp -in in.lmp -log none > lmp.out 2>&1").c_str()), 0)
      << test::read_text(dir + "/lmp.out");
  const auto r = read_structure(dir + "/out.data");  // species from the "# Li" mass comments LAMMPS keeps
  const auto w = read_structure(dir + "/in.data");
  ASSERT_EQ(r.size(), c.size());
  EXPECT_EQ(r.species, c.species);
  EXPECT_LE((r.box.cell() - w.box.cell()).cwiseAbs().maxCoeff(), 1e-12);
  for (std::size_t i = 0; i < c.size(); ++i) {
    // LAMMPS may remap atoms into the box: compare unwrapped positions.
    const Vec3i ri = r.images.empty() ? Vec3i::Zero() : r.images[i];
    const Vec3i wi = w.images.empty() ? Vec3i::Zero() : w.images[i];
    EXPECT_LE((r.box.unwrap(r.positions[i], ri) - w.box.unwrap(w.positions[i], wi)).norm(), 1e-12);
    EXPECT_LE((r.velocities[i] - w.velocities[i]).norm(), 1e-12);
  }
}

}  // namespace
}  // namespace e3md
