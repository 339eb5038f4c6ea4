// Energy, forces and virial of the classical potentials against LAMMPS (29 Sep 2021, Debian) on a 576-atom
// beta-Li3PO4 supercell and a 544-atom random triclinic Li-P-O-N packing (lammps_reference.py builds both
// and runs lmp). Tolerances: energy 1e-10 relative, every force component 1e-8 eV/Å, virial 1e-8 relative
// (to the largest component).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "engine/simulation.hpp"
#include "io/potential_params.hpp"
#include "tests/classical/classical_test_util.hpp"

namespace e3md {
namespace {

void check_case(const std::string& kase) {
  const std::string dir = test::lammps_reference(kase);
  const Structure s = test::read_structure_txt(dir + "/structure.txt");
  auto pot = load_classical_potential(dir + "/potential.yaml");
  Simulation sim(MPI_COMM_WORLD, s, pot);
  sim.compute_forces();
  const auto ref = test::read_numbers(dir + "/ref.txt");
  ASSERT_EQ(ref.size(), 7 + 3 * s.size());

  const double e_ref = ref[0];
  const double e_rel = std::abs(sim.potential_energy() - e_ref) / std::abs(e_ref);
  EXPECT_LT(e_rel, 1e-10) << kase << ": E = " << sim.potential_energy() << " LAMMPS " << e_ref;

  const Mat3& w = sim.virial();
  const double wv[6] = {w(0, 0), w(1, 1), w(2, 2), w(0, 1), w(0, 2), w(1, 2)};
  double wmax = 0.0, wdiff = 0.0;
  for (int k = 0; k < 6; ++k) {
    wmax = std::max(wmax, std::abs(ref[static_cast<std::size_t>(1 + k)]));
    wdiff = std::max(wdiff, std::abs(wv[k] - ref[static_cast<std::size_t>(1 + k)]));
  }
  EXPECT_LT(wdiff / wmax, 1e-8) << kase << ": virial";
  // The virial is symmetric for pair forces.
  EXPECT_LT((w - w.transpose()).cwiseAbs().maxCoeff(), 1e-9 * wmax);

  const auto f = test::gather_by_id(sim, sim.atoms().f);
  double fmax_err = 0.0, fmax = 0.0;
  if (sim.rank() == 0) {
    for (std::size_t i = 0; i < s.size(); ++i) {
      for (int k = 0; k < 3; ++k) {
        const double fr = ref[7 + 3 * i + static_cast<std::size_t>(k)];
        fmax_err = std::max(fmax_err, std::abs(f[i][k] - fr));
        fmax = std::max(fmax, std::abs(fr));
      }
    }
    EXPECT_LT(fmax_err, 1e-8) << kase << ": forces";
    std::printf("[parity %s] N=%zu E=%.12f eV |dE|/|E|=%.2e  max|dF|=%.2e eV/A (max|F|=%.2f)  max|dW|/max|W|=%.2e\n",
                kase.c_str(), s.size(), sim.potential_energy(), e_rel, fmax_err, fmax, wdiff / wmax);
  }
}

TEST(ClassicalLammpsParity, BornCrystal) { check_case("born-crystal"); }
TEST(ClassicalLammpsParity, BornRandomTriclinic) { check_case("born-random"); }
TEST(ClassicalLammpsParity, BuckCrystal) { check_case("buck-crystal"); }
TEST(ClassicalLammpsParity, BuckRandomTriclinic) { check_case("buck-random"); }
TEST(ClassicalLammpsParity, PedoneCrystal) { check_case("pedone-crystal"); }
TEST(ClassicalLammpsParity, PedoneSmallCell) { check_case("pedone-small"); }
TEST(ClassicalLammpsParity, PedoneRandomTriclinic) { check_case("pedone-random"); }
TEST(ClassicalLammpsParity, PedoneRandomTriclinicShifted) { check_case("pedone-random-shift"); }
TEST(ClassicalLammpsParity, LjCrystal) { check_case("lj-crystal"); }
TEST(ClassicalLammpsParity, LjRandomTriclinic) { check_case("lj-random"); }
TEST(ClassicalLammpsParity, LjRandomTriclinicShifted) { check_case("lj-random-shift"); }

}  // namespace
}  // namespace e3md
