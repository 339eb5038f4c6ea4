// Unit checks of the per-pair physics and helpers: forces are minus the finite-difference gradient of the
// energy for every evaluator, DSF energy and force vanish at the cutoff, the Pedone form equals
// D0[(1 − e^{−a(r−r0)})² − 1] + C/r¹², Philox matches the Random123 known-answer vectors, and
// Maxwell–Boltzmann velocities hit the exact target temperature with zero momentum independent of the rank count.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "engine/pair_evaluators.hpp"
#include "engine/rng_philox.hpp"
#include "engine/simulation.hpp"
#include "engine/velocities.hpp"
#include "io/potential_params.hpp"

namespace e3md {
namespace {

// Checks fpair·r = −dE/dr by central differences over r in [r0, r1].
void check_gradient(const std::function<void(double, double&, double&)>& eval, double r0, double r1, double tol) {
  for (int s = 0; s <= 40; ++s) {
    const double r = r0 + (r1 - r0) * s / 40.0;
    const double h = 1e-5;
    double fp = 0, e = 0, f1 = 0, ep = 0, f2 = 0, em = 0;
    eval(r * r, fp, e);
    eval((r + h) * (r + h), f1, ep);
    eval((r - h) * (r - h), f2, em);
    const double dedr = (ep - em) / (2 * h);
    EXPECT_NEAR(fp * r, -dedr, tol * std::max(1.0, std::abs(dedr))) << "r = " << r;
  }
}

TEST(ClassicalEvaluators, ForcesAreEnergyGradients) {
  const auto born = BornPair::make(1200.0, 0.25, 0.1, 5.0, 2.0, 6.0, true);
  check_gradient([&](double rsq, double& f, double& e) { born.evaluate(rsq, std::sqrt(rsq), f, e); }, 1.2, 5.9, 1e-7);
  const auto buck = BuckPair::make(1388.77, 0.3623, 175.0, 8.0, false);
  check_gradient([&](double rsq, double& f, double& e) { buck.evaluate(rsq, std::sqrt(rsq), f, e); }, 1.2, 7.9, 1e-7);
  const auto ped = PedonePair::make(0.831326, 2.585833, 1.800790, 1.0, 5.5, true);
  check_gradient([&](double rsq, double& f, double& e) { ped.evaluate(rsq, std::sqrt(rsq), f, e); }, 1.1, 5.4, 1e-7);
  const auto lj = LjPair::make(0.0104, 3.4, 8.5, false);
  check_gradient([&](double rsq, double& f, double& e) { lj.evaluate(rsq, std::sqrt(rsq), f, e); }, 3.0, 8.4, 1e-7);
  const auto dsf = DsfCoulomb::make(0.25, 8.0, 14.399645, true);
  check_gradient([&](double rsq, double& f, double& e) { dsf.evaluate(rsq, std::sqrt(rsq), -0.72, f, e); }, 1.0, 7.9, 1e-7);
  // The A&S polynomial makes the force differ from −dE/dr by up to ~1e-7 relative.
  const auto dsfp = DsfCoulomb::make(0.25, 8.0, 14.399645, false);
  check_gradient([&](double rsq, double& f, double& e) { dsfp.evaluate(rsq, std::sqrt(rsq), -0.72, f, e); }, 1.0, 7.9, 2e-6);
}

TEST(ClassicalEvaluators, DsfVanishesAtCutoffAndPedoneForm) {
  for (bool exact : {true, false}) {
    const auto dsf = DsfCoulomb::make(0.25, 8.0, 14.399645, exact);
    double f = 0, e = 0;
    dsf.evaluate(64.0 * (1 - 1e-14), 8.0 * std::sqrt(1 - 1e-14), 3.0 * -1.2, f, e);
    EXPECT_NEAR(e, 0.0, exact ? 1e-12 : 1e-6);
    EXPECT_NEAR(f, 0.0, exact ? 1e-12 : 1e-6);
  }
  const auto ped = PedonePair::make(0.042395, 1.379316, 3.618701, 22.0, 5.5, false);
  for (double r : {1.9, 2.5, 3.6, 5.0}) {
    double f = 0, e = 0;
    ped.evaluate(r * r, r, f, e);
    const double m = 1.0 - std::exp(-1.379316 * (r - 3.618701));
    EXPECT_NEAR(e, 0.042395 * (m * m - 1.0) + 22.0 / std::pow(r, 12), 1e-14);
  }
  const auto shifted = PedonePair::make(0.042395, 1.379316, 3.618701, 22.0, 5.5, true);
  double f = 0, e = 0;
  shifted.evaluate(5.5 * 5.5, 5.5, f, e);
  EXPECT_NEAR(e, 0.0, 1e-15);
}

TEST(ClassicalPhilox, KnownAnswers) {
  // Random123 kat_vectors, philox4x32_10.
  auto r = Philox4x32::generate({0, 0, 0, 0}, {0, 0});
  EXPECT_EQ(r, (Philox4x32::Block{0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u}));
  r = Philox4x32::generate({0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}, {0xffffffffu, 0xffffffffu});
  EXPECT_EQ(r, (Philox4x32::Block{0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu}));
  r = Philox4x32::generate({0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}, {0xa4093822u, 0x299f31d0u});
  EXPECT_EQ(r, (Philox4x32::Block{0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}));
  // Uniform moments over many draws.
  double sum = 0, sum2 = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const auto b = Philox4x32::draw(42, static_cast<std::uint64_t>(i), 7);
    const double u = Philox4x32::uniform(b[0]);
    sum += u;
    sum2 += u * u;
  }
  EXPECT_NEAR(sum / n, 0.5, 5 * std::sqrt(1.0 / 12 / n));
  EXPECT_NEAR(sum2 / n - 0.25, 1.0 / 12.0, 2e-3);
}

TEST(ClassicalVelocities, ExactTemperatureZeroMomentumRankIndependent) {
  const char* yaml = "style: lj/cut\ncutoff: 6.0\nspecies: {Ar: {}, Kr: {}}\n"
                     "pairs: {Ar-Ar: {epsilon: 0.0104, sigma: 3.4}, Ar-Kr: none, Kr-Kr: none}\n";
  Structure s;
  s.box = Box(Mat3::Identity() * 20.0, {true, true, true});
  for (int i = 0; i < 125; ++i) {
    s.species.push_back(i % 3 ? "Ar" : "Kr");
    s.positions.push_back(Vec3(i % 5, (i / 5) % 5, i / 25) * 4.0 + Vec3::Constant(0.5));
  }
  Simulation sim(MPI_COMM_WORLD, s, make_classical_potential(YAML::Load(yaml), "t"));
  create_velocities(sim, 300.0, 2024);
  EXPECT_NEAR(sim.temperature(), 300.0, 1e-9);
  Vec3 p = Vec3::Zero();
  const Structure g = sim.gather();
  if (sim.rank() == 0) {
    for (std::size_t i = 0; i < g.size(); ++i) p += sim.mass(sim.species().find(g.species[i])) * g.velocities[i];
    EXPECT_LT(p.norm(), 1e-10);
  }
  if (sim.rank() == 0) {
    // A one-rank run draws the same velocity for every atom id as this (possibly multi-rank) one.
    Simulation sim3(MPI_COMM_SELF, s, make_classical_potential(YAML::Load(yaml), "t"));
    create_velocities(sim3, 300.0, 2024);
    const Structure g3 = sim3.gather();
    for (std::size_t i = 0; i < g.size(); ++i) EXPECT_LT((g3.velocities[i] - g.velocities[i]).norm(), 1e-12);
  }
}

}  // namespace
}  // namespace e3md
