// Deck parsing: a valid deck gives the plan it describes; each malformed deck gives one error that names
// file:line:column and the fix.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "io/deck.hpp"

namespace fs = std::filesystem;
using e3md::Deck;
using e3md::DeckError;
using e3md::parse_deck;

namespace {

class DeckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("e3md_deck_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    std::ofstream(dir_ / "s.xyz")
        << "1\nLattice=\"5 0 0 0 5 0 0 0 5\" Properties=species:S:1:pos:R:3\nLi 0 0 0\n";
    std::ofstream(dir_ / "pot.yaml") << "style: lj/cut\n";
  }
  void TearDown() override { fs::remove_all(dir_); }
  Deck parse(const std::string& text) { return parse_deck(text, "deck.yaml", dir_.string()); }
  fs::path dir_;
};

const char* kGood = R"(system:
  structure: s.xyz
potential:
  classical: pot.yaml
seed: 7
decomposition: [1, 1, 1]
velocities: {temperature: 300}
stages:
  - {name: melt, type: nvt, timestep: 0.002, duration: 2.0, temperature: 3000}
  - name: quench
    type: nvt
    timestep: 0.001
    temperature: {start: 3000, end: 300, rate: 1000}
  - {name: relax, type: minimize, force_tolerance: 0.01}
  - {name: press, type: npt, steps: 50, temperature: 300, barostat: {pressure: 1.0, couple: z}}
output:
  trajectory: {file: t.h5md, every: 10}
  checkpoint: {file: c.h5, every: {steps: 100, minutes: 5}, keep: 3}
analysis:
  rdf: {pairs: Li-O, start: -5, plot: true, output: g.csv}
  msd: {remove-drift: false}
)";

TEST_F(DeckTest, ValidDeckGivesThePlan) {
  const Deck d = parse(kGood);
  ASSERT_EQ(d.stages.size(), 4u);
  EXPECT_EQ(d.stages[0].steps, 1000);  // 2 ps / 0.002 ps
  EXPECT_EQ(d.stages[1].steps, 2700);  // 2700 K at 1000 K/ps and 1 fs
  EXPECT_DOUBLE_EQ(d.stages[1].t_start, 3000.0);
  EXPECT_DOUBLE_EQ(d.stages[1].t_end, 300.0);
  EXPECT_EQ(d.stages[2].type, "minimize");
  EXPECT_EQ(d.stages[3].barostat.couple, "z");
  EXPECT_EQ(d.total_steps(), 1000 + 2700 + 0 + 50);
  EXPECT_EQ(d.seed, 7);
  EXPECT_TRUE(d.velocities.set);
  EXPECT_EQ(d.velocities.seed, 7);
  EXPECT_EQ(d.output.trajectory_every, 10);
  EXPECT_EQ(d.output.checkpoint_every.every_steps, 100);
  EXPECT_DOUBLE_EQ(d.output.checkpoint_every.every_minutes, 5.0);
  EXPECT_EQ(d.output.checkpoint_keep, 3);
  EXPECT_EQ(d.resolve("s.xyz"), (dir_ / "s.xyz").lexically_normal().string());
  ASSERT_EQ(d.analysis.size(), 2u);
  EXPECT_EQ(d.analysis[0].kind, "rdf");
  using Opt = std::pair<std::string, std::string>;
  EXPECT_EQ(d.analysis[0].options,
            (std::vector<Opt>{{"pairs", "Li-O"}, {"start", "-5"}, {"plot", ""}, {"output", "g.csv"}}));
  EXPECT_EQ(d.analysis[0].option_sources[1], "deck.yaml:20:22");
  EXPECT_EQ(d.analysis[1].kind, "msd");
  EXPECT_TRUE(d.analysis[1].options.empty());  // `false` leaves the flag off
}

struct BadDeck {
  const char* what;
  std::string text;
  const char* message;   // fragment the error must contain
  const char* location;  // "deck.yaml:L:C" prefix or "deck.yaml" when there is no position
};

std::string good_with(const std::string& from, const std::string& to) {
  std::string s = kGood;
  const auto pos = s.find(from);
  if (pos == std::string::npos) throw std::logic_error("test setup: `" + from + "` not in the good deck");
  return s.replace(pos, from.size(), to);
}

TEST_F(DeckTest, EveryMalformedDeckGivesOneLocatedError) {
  const std::vector<BadDeck> cases = {
      {"yaml syntax", "system: [unclosed\n", "YAML syntax error", "deck.yaml:"},
      {"tab/indent error", "system:\n  structure: s.xyz\n bad: 1\n", "YAML syntax error", "deck.yaml:"},
      {"empty deck", "", "empty", "deck.yaml"},
      {"top-level not a map", "- 1\n- 2\n", "must be a mapping", "deck.yaml:1:1"},
      {"unknown top-level key", good_with("seed: 7", "sed: 7"), "did you mean `seed`", "deck.yaml:5:1"},
      {"misspelled timestep", good_with("timestep: 0.002", "timestpe: 0.002"), "did you mean `timestep`",
       "deck.yaml:9:"},
      {"unknown key far from any", good_with("seed: 7", "zzzzzzzzzz: 7"), "allowed keys", "deck.yaml:5:1"},
      {"no system", good_with("system:\n  structure: s.xyz\n", ""), "no `system` section", "deck.yaml"},
      {"no potential", good_with("potential:\n  classical: pot.yaml\n", ""), "no `potential`", "deck.yaml"},
      {"no stages", std::string(kGood).substr(0, std::string(kGood).find("stages:")), "no `stages`",
       "deck.yaml"},
      {"missing structure file", good_with("s.xyz", "missing.xyz"), "not found", "deck.yaml:2:14"},
      {"missing model file", good_with("classical: pot.yaml", "model: nope.h5"), "not found",
       "deck.yaml:4:10"},
      {"missing classical file", good_with("pot.yaml", "nope.yaml"), "not found", "deck.yaml:4:14"},
      {"structure and build", good_with("structure: s.xyz", "structure: s.xyz\n  build: {kind: crystal}"),
       "not both", "deck.yaml:2:"},
      {"model and classical", good_with("classical: pot.yaml", "classical: pot.yaml\n  model: m.h5"),
       "exactly one", "deck.yaml:4:"},
      {"negative timestep", good_with("timestep: 0.002", "timestep: -0.002"), "must be positive",
       "deck.yaml:9:"},
      {"timestep in fs by mistake", good_with("timestep: 0.002", "timestep: 2"), "is in ps", "deck.yaml:9:"},
      {"non-numeric temperature", good_with("temperature: 3000}", "temperature: hot}"), "must be a number",
       "deck.yaml:9:"},
      {"negative temperature", good_with("temperature: 3000}", "temperature: -5}"), "must be positive",
       "deck.yaml:9:"},
      {"unknown stage type", good_with("type: nvt, timestep: 0.002", "type: nvx, timestep: 0.002"),
       "did you mean `nv", "deck.yaml:9:24"},
      {"stage without type", good_with("name: melt, type: nvt,", "name: melt,"), "needs `type`",
       "deck.yaml:9:"},
      {"nvt without temperature", good_with(", temperature: 3000}", "}"), "needs `temperature`",
       "deck.yaml:9:"},
      {"nve with temperature", good_with("type: nvt, timestep: 0.002", "type: nve, timestep: 0.002"),
       "only used by nvt and npt", "deck.yaml:9:"},
      {"no length", good_with("duration: 2.0, ", ""), "needs its length", "deck.yaml:9:"},
      {"length twice", good_with("duration: 2.0", "duration: 2.0, steps: 5"), "length twice", "deck.yaml:9:"},
      {"rate without ramp",
       good_with("{start: 3000, end: 300, rate: 1000}", "{start: 300, end: 300, rate: 10}"),
       "different start and end", "deck.yaml:13:18"},
      {"ramp missing end", good_with("{start: 3000, end: 300, rate: 1000}", "{start: 3000, rate: 1000}"),
       "needs `start` and `end`", "deck.yaml:13:18"},
      {"barostat on nvt", good_with("duration: 2.0,", "duration: 2.0, barostat: {pressure: 1},"),
       "only used by npt", "deck.yaml:9:"},
      {"bad couple", good_with("couple: z", "couple: xy"), "expected one of", "deck.yaml:15:"},
      {"langevin npt",
       good_with("barostat: {pressure: 1.0", "thermostat: {kind: langevin}, barostat: {pressure: 1.0"),
       "Nosé–Hoover", "deck.yaml:15:"},
      {"minimize with steps", good_with("type: minimize,", "type: minimize, steps: 3,"), "max_iterations",
       "deck.yaml:14:5"},
      {"tolerance on md stage", good_with("duration: 2.0,", "duration: 2.0, force_tolerance: 0.1,"),
       "minimize stages only", "deck.yaml:9:"},
      {"duplicate stage names", good_with("name: quench", "name: melt"), "used twice", "deck.yaml:10:"},
      {"stages not a list",
       good_with("stages:\n", "stages: 3\n")
           .substr(0, good_with("stages:\n", "stages: 3\n").find("  - {name: melt")),
       "non-empty list", "deck.yaml:8:"},
      {"decomposition wrong size", good_with("[1, 1, 1]", "[1, 1]"), "three rank counts", "deck.yaml:6:"},
      {"decomposition zero", good_with("[1, 1, 1]", "[1, 0, 1]"), "positive integer", "deck.yaml:6:"},
      {"seed not integer", good_with("seed: 7", "seed: 7.5"), "must be an integer", "deck.yaml:5:"},
      {"negative seed", good_with("seed: 7", "seed: -1"), "must not be negative", "deck.yaml:5:"},
      {"trajectory not h5md", good_with("t.h5md", "t.h5"), "must end in .h5md", "deck.yaml:17:22"},
      {"trajectory every zero", good_with("every: 10}", "every: 0}"), "positive integer", "deck.yaml:17:37"},
      {"same output file twice", good_with("file: c.h5", "file: t.h5md"), "used twice", "deck.yaml:17:3"},
      {"checkpoint without every", good_with(", every: {steps: 100, minutes: 5}", ""), "needs `file`",
       "deck.yaml:18:15"},
      {"float32 with classical",
       good_with("classical: pot.yaml", "classical: pot.yaml\n  precision: float32"), "NequIP models only",
       "deck.yaml:5:"},
      {"cuda with classical", good_with("classical: pot.yaml", "classical: pot.yaml\n  device: cuda"),
       "classical potentials run on the CPU", "deck.yaml:5:"},
      {"velocities without T", good_with("{temperature: 300}", "{seed: 3}"), "needs `temperature`",
       "deck.yaml:7:"},
      {"unknown analysis", good_with("  rdf: {", "  rfd: {"), "did you mean `rdf`", "deck.yaml:20:3"},
      {"analysis without a trajectory", good_with("  trajectory: {file: t.h5md, every: 10}\n", ""),
       "writes none", "deck.yaml:19:3"},
      {"analysis of another file", good_with("pairs: Li-O", "trajectory: x.h5md"), "own trajectory",
       "deck.yaml:20:9"},
      {"analysis option as a list", good_with("pairs: Li-O", "pairs: [Li-O]"), "as one string",
       "deck.yaml:20:16"},
      {"boolean wrong", good_with("every: 10}", "every: 10, forces: maybe}"), "true or false",
       "deck.yaml:17:49"},
  };
  ASSERT_GE(cases.size(), 30u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    try {
      parse(c.text);
      ADD_FAILURE() << "no error for: " << c.what;
    } catch (const DeckError& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find(c.message), std::string::npos) << msg;
      EXPECT_EQ(msg.rfind(c.location, 0), 0u) << msg;
      EXPECT_EQ(msg.find('\n'), std::string::npos) << "error spans several lines: " << msg;
    }
  }
}

TEST(ClosestKey, SuggestsOnlyCloseKeys) {
  EXPECT_EQ(e3md::closest_key("timestpe", {"timestep", "steps"}), "timestep");
  EXPECT_EQ(e3md::closest_key("temprature", {"temperature", "thermostat"}), "temperature");
  EXPECT_EQ(e3md::closest_key("qqqqqq", {"timestep", "steps"}), "");
}

}  // namespace
