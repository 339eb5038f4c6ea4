// NequipPotential (float64) on its own, without a reference code: for every supported test model, on a
// distorted 2x2x1 supercell of the exporter's triclinic random cell (28 atoms, smaller than 2 r_max along c):
// 1. invariance: a random rotation (and, for models with parity, an improper one) leaves E unchanged and
//    rotates F and the virial (F' = F R^T, W' = R W R^T); a translation and a permutation of the atoms leave
//    E, F and W unchanged up to the permutation. Tolerance 1e-10 relative (E), 1e-9 * max(1, max |F|) (F, W).
// 2. forces = -dE/dx by central differences (h = 1e-4 Å) on 8 random components: 1e-7 * max(1, max |F|).
// 3. virial = -sym(dE/d strain) by central differences (h = 2e-5) of the strained cell and positions: 1e-7 *
//    max(1, max |W|).
// Models without parity (edge irreps all even) are not invariant under inversion; they get proper rotations
// only.
#include <gtest/gtest.h>

#include <Eigen/Geometry>
#include <cstdio>

#include "tests/nequip/nequip_test_support.hpp"

using namespace e3md;
using namespace e3md::test;

namespace {

Mat3 random_rotation(std::mt19937& rng) {
  std::normal_distribution<double> n;
  Eigen::Quaterniond q(n(rng), n(rng), n(rng), n(rng));
  return q.normalized().toRotationMatrix();
}

// x -> A x for positions and cell vectors (A a rotation or a strain I + eps). For an improper A = -Q the cell
// vectors get Q only: {-Qa, -Qb, -Qc} spans the same lattice, and the cell stays right-handed.
Structure transformed(const Structure& s, const Mat3& A) {
  Structure out = s;
  const Mat3 cell_map = A.determinant() < 0 ? Mat3(-A) : A;
  out.box = Box(s.box.cell() * cell_map.transpose(), s.box.periodic());
  for (auto& x : out.positions) x = A * x;
  return out;
}

double max_abs(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m = std::max(m, std::abs(x));
  return m;
}

struct Case {
  std::string name;
  NequipModel model;
  std::shared_ptr<NequipPotential> pot;
  Structure s;
  bool parity = true;
};

std::vector<Case> cases() {
  std::vector<Case> out;
  for (const auto& path : model_files()) {
    const std::string name = path.filename().string();
    if (name.find("ssp") != std::string::npos) continue;  // refused by the potential
    Case c;
    c.name = name;
    c.model = read_model_file(path.string());
    c.pot = std::make_shared<NequipPotential>(c.model);
    // The exporter's triclinic random cell (7 atoms; label "generated", the first such).
    const auto ref = std::find_if(c.model.references.begin(), c.model.references.end(),
                                  [](const NequipReference& r) { return r.label == "generated"; });
    EXPECT_NE(ref, c.model.references.end());
    if (ref == c.model.references.end()) continue;
    c.s = distorted_supercell(structure_of(c.model, *ref), 3);
    for (const auto& b : c.model.edge_sh) c.parity = c.parity && (b.p == (b.l % 2 ? -1 : 1));
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace

TEST(NequipSymmetry, RotationTranslationPermutationInvariance) {
  std::mt19937 rng(11);
  int evaluated = 0;
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    const Evaluation a = evaluate(c.model, c.pot, c.s);
    const double ftol = 1e-9 * std::max(1.0, max_abs(a.forces)),
                 wtol = 1e-9 * std::max(1.0, a.virial.cwiseAbs().maxCoeff());
    const size_t n = c.s.size();
    std::vector<Mat3> ops = {random_rotation(rng)};
    if (c.parity) ops.push_back(-random_rotation(rng));
    for (const Mat3& R : ops) {
      const Evaluation b = evaluate(c.model, c.pot, transformed(c.s, R));
      EXPECT_NEAR(b.energy, a.energy, 1e-10 * std::abs(a.energy)) << "det R = " << R.determinant();
      for (size_t i = 0; i < n; ++i) {
        const Vec3 fa = R * Vec3(a.forces[3 * i], a.forces[3 * i + 1], a.forces[3 * i + 2]);
        for (int k = 0; k < 3; ++k)
          EXPECT_NEAR(b.forces[3 * i + static_cast<size_t>(k)], fa[k], ftol) << "atom " << i;
      }
      EXPECT_LE((b.virial - R * a.virial * R.transpose()).cwiseAbs().maxCoeff(), wtol);
    }
    // Translation by a non-lattice vector, then a random permutation of the atoms.
    Structure t = c.s;
    for (auto& x : t.positions) x += Vec3(1.37, -2.11, 0.53);
    std::vector<size_t> perm(n);
    for (size_t i = 0; i < n; ++i) perm[i] = i;
    std::shuffle(perm.begin(), perm.end(), rng);
    Structure p = t;
    for (size_t i = 0; i < n; ++i) {
      p.species[i] = t.species[perm[i]];
      p.positions[i] = t.positions[perm[i]];
    }
    const Evaluation b = evaluate(c.model, c.pot, p);
    EXPECT_NEAR(b.energy, a.energy, 1e-10 * std::abs(a.energy));
    for (size_t i = 0; i < n; ++i)
      for (size_t k = 0; k < 3; ++k) EXPECT_NEAR(b.forces[3 * i + k], a.forces[3 * perm[i] + k], ftol);
    EXPECT_LE((b.virial - a.virial).cwiseAbs().maxCoeff(), wtol);
    ++evaluated;
  }
  EXPECT_GE(evaluated, 6);
}

TEST(NequipSymmetry, ForcesAndVirialAreEnergyDerivatives) {
  std::mt19937 rng(12);
  int evaluated = 0;
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    const Evaluation a = evaluate(c.model, c.pot, c.s);
    const size_t n = c.s.size();
    const double h = 1e-4, hs = 2e-5, fscale = std::max(1.0, max_abs(a.forces));
    std::uniform_int_distribution<size_t> pick(0, 3 * n - 1);
    double worst_f = 0, worst_w = 0;
    for (int trial = 0; trial < 8; ++trial) {
      const size_t q = pick(rng);
      Structure sp = c.s, sm = c.s;
      sp.positions[q / 3][static_cast<int>(q % 3)] += h;
      sm.positions[q / 3][static_cast<int>(q % 3)] -= h;
      const double fd =
          -(evaluate(c.model, c.pot, sp).energy - evaluate(c.model, c.pot, sm).energy) / (2 * h);
      EXPECT_NEAR(a.forces[q], fd, 1e-7 * fscale) << "component " << q;
      worst_f = std::max(worst_f, std::abs(a.forces[q] - fd) / fscale);
    }
    Mat3 g = Mat3::Zero();  // dE/d eps_ab
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) {
        Mat3 ep = Mat3::Identity(), em = Mat3::Identity();
        ep(i, j) += hs;
        em(i, j) -= hs;
        g(i, j) = (evaluate(c.model, c.pot, transformed(c.s, ep)).energy -
                   evaluate(c.model, c.pot, transformed(c.s, em)).energy) /
                  (2 * hs);
      }
    const Mat3 w_fd = -0.5 * (g + g.transpose());
    const double wscale = std::max(1.0, a.virial.cwiseAbs().maxCoeff());
    worst_w = (a.virial - w_fd).cwiseAbs().maxCoeff() / wscale;
    EXPECT_LE(worst_w, 1e-7);
    if (root())
      std::printf("%-28s %zu atoms: forces vs -dE/dx %.1e, virial vs -dE/d strain %.1e (relative)\n",
                  c.name.c_str(), n, worst_f, worst_w);
    ++evaluated;
  }
  EXPECT_GE(evaluated, 6);
}
