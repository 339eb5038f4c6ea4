// Input errors: unknown species, overlapping atoms, a non-periodic direction too small for the atoms, and
// malformed potential YAML. Each must throw with a one-line message that names what is wrong.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <stdexcept>

#include "engine/simulation.hpp"
#include "io/potential_params.hpp"

namespace e3md {
namespace {

const char* kLj = R"(
style: lj/cut
cutoff: 5.0
species: {Ar: {mass: 39.948}, Kr: {}}
pairs:
  Ar-Ar: {epsilon: 0.0104, sigma: 3.4}
  Ar-Kr: {epsilon: 0.012, sigma: 3.5}
  Kr-Kr: {epsilon: 0.014, sigma: 3.6}
)";

Structure cube(double a, int n, std::array<bool, 3> periodic = {true, true, true}) {
  Structure s;
  s.box = Box(Mat3::Identity() * a * n, periodic);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j)
      for (int k = 0; k < n; ++k) {
        s.species.push_back("Ar");
        s.positions.push_back(Vec3(i + 0.25, j + 0.25, k + 0.25) * a);
      }
  return s;
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no exception)";
}

TEST(ClassicalBadInput, UnknownSpecies) {
  Structure s = cube(3.8, 4);
  s.species[5] = "Xe";
  const auto pot = make_classical_potential(YAML::Load(kLj), "lj.yaml");
  const std::string m = message_of([&] { Simulation sim(MPI_COMM_WORLD, s, pot); });
  EXPECT_NE(m.find("species 'Xe' of atom id 5"), std::string::npos) << m;
  EXPECT_NE(m.find("Ar, Kr"), std::string::npos) << m;
  EXPECT_EQ(m.find('\n'), std::string::npos);
}

TEST(ClassicalBadInput, AtomsTooClose) {
  Structure s = cube(3.8, 4);
  s.positions[7] = s.positions[3] + Vec3(0.3, 0.0, 0.0);
  const auto pot = make_classical_potential(YAML::Load(kLj), "lj.yaml");
  const std::string m = message_of([&] { Simulation sim(MPI_COMM_WORLD, s, pot); });
  EXPECT_NE(m.find("atoms 3 and 7 are 0.3"), std::string::npos) << m;
}

TEST(ClassicalBadInput, NonPeriodicDirectionTooSmall) {
  Structure s = cube(3.8, 4, {true, true, false});
  s.positions[9][2] = s.box.cell()(2, 2) + 2.0;  // outside the cell along the open z direction
  const auto pot = make_classical_potential(YAML::Load(kLj), "lj.yaml");
  const std::string m = message_of([&] { Simulation sim(MPI_COMM_WORLD, s, pot); });
  EXPECT_NE(m.find("box too small along non-periodic direction c"), std::string::npos) << m;
  EXPECT_NE(m.find("atom id 9"), std::string::npos) << m;
}

TEST(ClassicalBadInput, YamlErrors) {
  const auto msg = [](const std::string& text) {
    return message_of([&] { make_classical_potential(YAML::Load(text), "pot.yaml"); });
  };
  std::string m = msg("style: lj/cut\ncutoff: 5\nspecies: {Ar: {}}\npairs: {Ar-Ar: {epsilon: 1, sigma: 1, eps: 2}}\n");
  EXPECT_NE(m.find("pot.yaml:4"), std::string::npos) << m;
  EXPECT_NE(m.find("unknown key 'eps'"), std::string::npos) << m;
  m = msg("style: lj/cut\ncutoff: 5\nspecies: {Ar: {}, Kr: {}}\npairs: {Ar-Ar: {epsilon: 1, sigma: 1}}\n");
  EXPECT_NE(m.find("pair 'Ar-Kr' missing"), std::string::npos) << m;
  EXPECT_NE(m.find("Ar-Kr: none"), std::string::npos) << m;
  m = msg("style: born/coul/dsf\ncutoff: 5\nspecies: {Li: {charge: 1}}\npairs: {Li-Li: none}\n");
  EXPECT_NE(m.find("missing key 'alpha'"), std::string::npos) << m;
  m = msg("style: morse\ncutoff: 5\n");
  EXPECT_NE(m.find("unknown style 'morse'"), std::string::npos) << m;
  m = msg("style: lj/cut\ncutoff: 5\nalpha: 0.2\nspecies: {Ar: {}}\npairs: {Ar-Ar: {epsilon: 1, sigma: 1}}\n");
  EXPECT_NE(m.find("unknown key 'alpha'"), std::string::npos) << m;
  m = msg("style: lj/cut\ncutoff: 5\nspecies: {Ar: {}}\npairs: {Ar-Xe: {epsilon: 1, sigma: 1}}\n");
  EXPECT_NE(m.find("'Ar-Xe'"), std::string::npos) << m;
}

TEST(ClassicalBadInput, ShippedPedoneFileLoads) {
  const auto pot = load_classical_potential(std::string(E3MD_SOURCE_DIR) + "/inputs/potentials/pedone_lipon.yaml");
  EXPECT_EQ(pot->species(), (std::vector<std::string>{"Li", "P", "O", "N"}));
  EXPECT_DOUBLE_EQ(pot->cutoff(), 8.0);
  EXPECT_DOUBLE_EQ(pot->pair_cutoff(0, 2), 5.5);
  EXPECT_EQ(pot->pair_cutoff(0, 0), 0.0);  // Li-Li: Coulomb only
}

}  // namespace
}  // namespace e3md
