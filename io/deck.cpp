#include "io/deck.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace e3md {
namespace {

namespace fs = std::filesystem;

// Reads one deck; every accessor checks the key set and types, and prefixes errors with file:line:col.
class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const YAML::Node& node, const std::string& msg) const {
    throw DeckError(where(node) + ": " + msg);
  }
  std::string where(const YAML::Node& node) const {
    const auto m = node.Mark();
    if (m.is_null()) return file_;
    return file_ + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
  }
  std::string line_of(const YAML::Node& node) const {
    const auto m = node.Mark();
    return m.is_null() ? file_ : file_ + ":" + std::to_string(m.line + 1);
  }

  void require_map(const YAML::Node& node, const std::string& what) const {
    if (!node.IsMap()) fail(node, "`" + what + "` must be a mapping of keys to values");
  }

  // Rejects keys outside `allowed`, suggesting the closest allowed key.
  void check_keys(const YAML::Node& node, const std::string& section,
                  const std::vector<std::string>& allowed) const {
    require_map(node, section);
    for (const auto& kv : node) {
      const auto key = kv.first.as<std::string>();
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
      std::string msg = "unknown key `" + key + "` in `" + section + "`";
      const auto guess = closest_key(key, allowed);
      if (!guess.empty()) {
        msg += "; did you mean `" + guess + "`?";
      } else {
        msg += "; allowed keys:";
        for (const auto& a : allowed) msg += " " + a;
      }
      fail(kv.first, msg);
    }
  }

  double number(const YAML::Node& node, const std::string& key) const {
    if (!node.IsScalar()) fail(node, "`" + key + "` must be a number");
    double v = 0;
    try {
      v = node.as<double>();
    } catch (const YAML::Exception&) {
      fail(node, "`" + key + "` must be a number, got `" + node.Scalar() + "`");
    }
    if (!std::isfinite(v)) fail(node, "`" + key + "` must be finite");
    return v;
  }
  double positive(const YAML::Node& node, const std::string& key) const {
    const double v = number(node, key);
    if (!(v > 0)) fail(node, "`" + key + "` must be positive, got " + node.Scalar());
    return v;
  }
  double non_negative(const YAML::Node& node, const std::string& key) const {
    const double v = number(node, key);
    if (v < 0) fail(node, "`" + key + "` must not be negative, got " + node.Scalar());
    return v;
  }
  long integer(const YAML::Node& node, const std::string& key) const {
    if (!node.IsScalar()) fail(node, "`" + key + "` must be an integer");
    long v = 0;
    try {
      v = node.as<long>();
    } catch (const YAML::Exception&) {
      fail(node, "`" + key + "` must be an integer, got `" + node.Scalar() + "`");
    }
    return v;
  }
  long positive_integer(const YAML::Node& node, const std::string& key) const {
    const long v = integer(node, key);
    if (v <= 0) fail(node, "`" + key + "` must be a positive integer, got " + node.Scalar());
    return v;
  }
  std::string string(const YAML::Node& node, const std::string& key) const {
    if (!node.IsScalar() || node.Scalar().empty()) fail(node, "`" + key + "` must be a non-empty string");
    return node.Scalar();
  }
  bool boolean(const YAML::Node& node, const std::string& key) const {
    if (!node.IsScalar()) fail(node, "`" + key + "` must be true or false");
    bool v = false;
    try {
      v = node.as<bool>();
    } catch (const YAML::Exception&) {
      fail(node, "`" + key + "` must be true or false, got `" + node.Scalar() + "`");
    }
    return v;
  }
  std::string choice(const YAML::Node& node, const std::string& key,
                     const std::vector<std::string>& options) const {
    const auto v = string(node, key);
    if (std::find(options.begin(), options.end(), v) != options.end()) return v;
    std::string msg = "`" + key + "` is `" + v + "`; expected one of:";
    for (const auto& o : options) msg += " " + o;
    const auto guess = closest_key(v, options);
    if (!guess.empty()) msg += " (did you mean `" + guess + "`?)";
    fail(node, msg);
  }

  const std::string& file() const { return file_; }

 private:
  std::string file_;
};

void read_system(const Reader& r, const YAML::Node& n, Deck& deck) {
  r.check_keys(n, "system", {"structure", "format", "build"});
  deck.system.source = r.line_of(n);
  if (n["structure"] && n["build"]) r.fail(n, "`system` takes either `structure` or `build`, not both");
  if (n["structure"]) {
    deck.system.structure = r.string(n["structure"], "system.structure");
    const auto path = deck.resolve(deck.system.structure);
    if (!fs::exists(path)) {
      r.fail(n["structure"], "structure file `" + deck.system.structure + "` not found (looked for " + path +
                                 "); fix the path or use `build`");
    }
  } else if (n["build"]) {
    r.require_map(n["build"], "system.build");
    deck.system.build = n["build"];
  } else {
    r.fail(n, "`system` needs `structure: FILE` or `build: {...}`");
  }
  if (n["format"]) {
    deck.system.format = r.choice(n["format"], "system.format", {"extxyz", "xyz", "poscar", "lammps-data"});
  }
}

void read_potential(const Reader& r, const YAML::Node& n, Deck& deck) {
  r.check_keys(n, "potential", {"model", "classical", "precision", "device", "gpu_aware_mpi"});
  deck.potential.source = r.line_of(n);
  const int given = (n["model"] ? 1 : 0) + (n["classical"] ? 1 : 0);
  if (given != 1) r.fail(n, "`potential` takes exactly one of `model: FILE.h5` (NequIP) or `classical: ...`");
  if (n["model"]) {
    deck.potential.model = r.string(n["model"], "potential.model");
    const auto path = deck.resolve(deck.potential.model);
    if (!fs::exists(path)) {
      r.fail(n["model"], "model file `" + deck.potential.model + "` not found (looked for " + path +
                             "); export one with tools/export_nequip.py or fix the path");
    }
  } else if (n["classical"].IsMap()) {
    deck.potential.inline_params = n["classical"];
  } else {
    deck.potential.classical = r.string(n["classical"], "potential.classical");
    const auto path = deck.resolve(deck.potential.classical);
    if (!fs::exists(path)) {
      r.fail(n["classical"], "classical parameter file `" + deck.potential.classical +
                                 "` not found (looked for " + path + "); see inputs/potentials/");
    }
  }
  if (n["precision"]) {
    deck.potential.precision = r.choice(n["precision"], "potential.precision", {"float64", "float32"});
    if (!n["model"] && deck.potential.precision != "float64") {
      r.fail(n["precision"],
             "`precision: float32` applies to NequIP models only; remove it for classical potentials");
    }
  }
  for (const char* key : {"device", "gpu_aware_mpi"}) {
    if (n[key] && !n["model"]) {
      r.fail(n[key],
             std::string("`") + key + "` applies to NequIP models only; classical potentials run on the CPU");
    }
  }
  if (n["device"]) deck.potential.device = r.choice(n["device"], "potential.device", {"cpu", "cuda"});
  if (n["gpu_aware_mpi"]) {
    deck.potential.gpu_aware_mpi =
        r.choice(n["gpu_aware_mpi"], "potential.gpu_aware_mpi", {"auto", "true", "false"});
    if (deck.potential.device != "cuda") {
      r.fail(n["gpu_aware_mpi"], "`gpu_aware_mpi` applies to `device: cuda` only; add it or remove this key");
    }
  }
}

void read_temperature(const Reader& r, const YAML::Node& n, DeckStage& s, double& rate) {
  if (n.IsScalar()) {
    s.t_start = s.t_end = r.positive(n, "temperature");
    return;
  }
  r.check_keys(n, "temperature", {"start", "end", "rate"});
  if (!n["start"] || !n["end"]) r.fail(n, "a temperature ramp needs `start` and `end` (K)");
  s.t_start = r.positive(n["start"], "temperature.start");
  s.t_end = r.positive(n["end"], "temperature.end");
  if (n["rate"]) rate = r.positive(n["rate"], "temperature.rate");
}

DeckStage read_stage(const Reader& r, const YAML::Node& n, std::size_t index) {
  r.check_keys(n, "stages[" + std::to_string(index) + "]",
               {"name", "type", "timestep", "steps", "duration", "temperature", "thermostat", "barostat",
                "force_tolerance", "max_iterations", "relax_cell"});
  DeckStage s;
  s.source = r.line_of(n);
  s.name = n["name"] ? r.string(n["name"], "name") : "stage" + std::to_string(index + 1);
  if (!n["type"]) r.fail(n, "stage `" + s.name + "` needs `type` (minimize, nve, nvt or npt)");
  s.type = r.choice(n["type"], "type", {"minimize", "nve", "nvt", "npt"});
  if (n["timestep"]) s.timestep = r.positive(n["timestep"], "timestep");
  if (s.timestep > 0.01) {
    r.fail(n["timestep"],
           "`timestep` is in ps; " + n["timestep"].Scalar() + " ps is far too long for MD (typical: 0.001)");
  }
  const bool thermal = s.type == "nvt" || s.type == "npt";
  double rate = 0.0;
  if (n["temperature"]) {
    if (!thermal)
      r.fail(n["temperature"], "`temperature` is only used by nvt and npt stages, not `" + s.type + "`");
    read_temperature(r, n["temperature"], s, rate);
  } else if (thermal) {
    r.fail(n, "stage `" + s.name + "` (" + s.type + ") needs `temperature` (K, or {start, end[, rate]})");
  }
  if (s.type == "minimize") {
    if (n["steps"] || n["duration"]) r.fail(n, "a minimize stage takes `max_iterations`, not steps/duration");
    if (n["force_tolerance"]) s.force_tolerance = r.positive(n["force_tolerance"], "force_tolerance");
    if (n["max_iterations"]) s.max_iterations = r.positive_integer(n["max_iterations"], "max_iterations");
    if (n["relax_cell"]) s.relax_cell = r.boolean(n["relax_cell"], "relax_cell");
  } else {
    for (const char* k : {"force_tolerance", "max_iterations", "relax_cell"}) {
      if (n[k]) r.fail(n[k], std::string("`") + k + "` belongs to minimize stages only");
    }
    const int given = (n["steps"] ? 1 : 0) + (n["duration"] ? 1 : 0) + (rate > 0 ? 1 : 0);
    if (given == 0) {
      r.fail(n, "stage `" + s.name +
                    "` needs its length: `steps`, `duration` (ps) or a temperature `rate` (K/ps)");
    }
    if (given > 1)
      r.fail(n, "stage `" + s.name + "` gives its length twice: use one of steps, duration, rate");
    if (n["steps"]) {
      s.steps = r.positive_integer(n["steps"], "steps");
    } else if (n["duration"]) {
      s.steps = std::lround(r.positive(n["duration"], "duration") / s.timestep);
    } else {
      if (s.t_start == s.t_end)
        r.fail(n["temperature"], "a `rate` needs different start and end temperatures");
      s.steps = std::lround(std::abs(s.t_end - s.t_start) / rate / s.timestep);
    }
    if (s.steps <= 0) r.fail(n, "stage `" + s.name + "` has no steps; lengthen it");
  }
  if (n["thermostat"]) {
    if (!thermal) r.fail(n["thermostat"], "`thermostat` is only used by nvt and npt stages");
    const auto& t = n["thermostat"];
    r.check_keys(t, "thermostat", {"kind", "damping", "chain"});
    if (t["kind"]) s.thermostat.kind = r.choice(t["kind"], "thermostat.kind", {"nose-hoover", "langevin"});
    if (t["damping"]) s.thermostat.damping = r.positive(t["damping"], "thermostat.damping");
    if (t["chain"]) s.thermostat.chain = static_cast<int>(r.positive_integer(t["chain"], "thermostat.chain"));
    if (s.type == "npt" && s.thermostat.kind != "nose-hoover") {
      r.fail(t["kind"], "npt stages use the Nosé–Hoover (MTK) thermostat; remove `kind: langevin`");
    }
  }
  if (n["barostat"]) {
    if (s.type != "npt") r.fail(n["barostat"], "`barostat` is only used by npt stages");
    const auto& b = n["barostat"];
    r.check_keys(b, "barostat", {"pressure", "damping", "couple"});
    if (b["pressure"]) s.barostat.pressure = r.number(b["pressure"], "barostat.pressure");
    if (b["damping"]) s.barostat.damping = r.positive(b["damping"], "barostat.damping");
    if (b["couple"]) s.barostat.couple = r.choice(b["couple"], "barostat.couple", {"iso", "aniso", "z"});
  }
  return s;
}

void read_interval(const Reader& r, const YAML::Node& n, const std::string& key, DeckInterval& out) {
  if (n.IsScalar()) {
    out.every_steps = r.positive_integer(n, key);
    return;
  }
  r.check_keys(n, key, {"steps", "minutes"});
  if (n["steps"]) out.every_steps = r.positive_integer(n["steps"], key + ".steps");
  if (n["minutes"]) out.every_minutes = r.positive(n["minutes"], key + ".minutes");
}

// The `analysis` section (after `output`: the analyses read the run's trajectory). The option names are
// checked against `e3md analyze` by the driver, which knows them.
void read_analysis(const Reader& r, const YAML::Node& n, Deck& deck) {
  r.check_keys(n, "analysis", {"rdf", "msd", "diffusion", "profile"});
  if (deck.output.trajectory.empty()) {
    r.fail(n,
           "`analysis` reads the run's trajectory, and the deck writes none; add `output.trajectory` "
           "({file: NAME.h5md, every: STEPS})");
  }
  for (const auto& kv : n) {
    DeckAnalysis a;
    a.kind = kv.first.as<std::string>();
    a.source = r.where(kv.first);
    const std::string section = "analysis." + a.kind;
    if (!kv.second.IsNull()) r.require_map(kv.second, section);
    for (const auto& o : kv.second) {
      const auto name = o.first.as<std::string>();
      if (name == "trajectory" || name == "format") {
        r.fail(o.first, "`" + section + "." + name + "`: a deck's analyses read the run's own trajectory (" +
                            deck.output.trajectory + "); analyse another file with `e3md analyze " + a.kind +
                            "`");
      }
      if (!o.second.IsScalar() || o.second.Scalar().empty()) {
        r.fail(o.second, "`" + section + "." + name +
                             "` must be a number, a word or true/false; lists are written " +
                             "as one string, e.g. pairs: Li-O,P-O");
      }
      std::string value = o.second.Scalar();
      bool flag = false;
      if (o.second.Tag() != "!" && YAML::convert<bool>::decode(o.second, flag)) {
        if (!flag) continue;  // a flag left off
        value.clear();
      }
      a.options.emplace_back(name, value);
      a.option_sources.push_back(r.where(o.first));
    }
    deck.analysis.push_back(std::move(a));
  }
}

void read_output(const Reader& r, const YAML::Node& n, Deck& deck) {
  r.check_keys(n, "output", {"directory", "trajectory", "xyz", "thermo", "checkpoint", "final_structure"});
  auto& o = deck.output;
  if (n["directory"]) o.directory = r.string(n["directory"], "output.directory");
  if (n["trajectory"]) {
    const auto& t = n["trajectory"];
    r.check_keys(t, "output.trajectory", {"file", "every", "velocities", "forces"});
    if (!t["file"] || !t["every"]) r.fail(t, "`output.trajectory` needs `file` (*.h5md) and `every` (steps)");
    o.trajectory = r.string(t["file"], "output.trajectory.file");
    if (fs::path(o.trajectory).extension() != ".h5md") {
      r.fail(t["file"],
             "trajectory files are H5MD and must end in .h5md (analysis tools pick the reader by it)");
    }
    o.trajectory_every = r.positive_integer(t["every"], "output.trajectory.every");
    if (t["velocities"]) o.trajectory_velocities = r.boolean(t["velocities"], "output.trajectory.velocities");
    if (t["forces"]) o.trajectory_forces = r.boolean(t["forces"], "output.trajectory.forces");
  }
  if (n["xyz"]) {
    const auto& t = n["xyz"];
    r.check_keys(t, "output.xyz", {"file", "every"});
    if (!t["file"] || !t["every"]) r.fail(t, "`output.xyz` needs `file` and `every` (steps)");
    o.xyz = r.string(t["file"], "output.xyz.file");
    o.xyz_every = r.positive_integer(t["every"], "output.xyz.every");
  }
  if (n["thermo"]) {
    const auto& t = n["thermo"];
    if (t.IsScalar()) {
      o.thermo_every = r.positive_integer(t, "output.thermo");
    } else {
      r.check_keys(t, "output.thermo", {"every"});
      if (t["every"]) o.thermo_every = r.positive_integer(t["every"], "output.thermo.every");
    }
  }
  if (n["checkpoint"]) {
    const auto& c = n["checkpoint"];
    r.check_keys(c, "output.checkpoint", {"file", "every", "keep"});
    if (!c["file"] || !c["every"]) r.fail(c, "`output.checkpoint` needs `file` (*.h5) and `every`");
    o.checkpoint = r.string(c["file"], "output.checkpoint.file");
    read_interval(r, c["every"], "output.checkpoint.every", o.checkpoint_every);
    if (c["keep"])
      o.checkpoint_keep = static_cast<int>(r.positive_integer(c["keep"], "output.checkpoint.keep"));
  }
  if (n["final_structure"]) o.final_structure = r.string(n["final_structure"], "output.final_structure");
  std::set<std::string> files;
  for (const auto* f : {&o.trajectory, &o.xyz, &o.checkpoint, &o.final_structure}) {
    if (f->empty()) continue;
    if (!files.insert(*f).second)
      r.fail(n, "output file `" + *f + "` is used twice; give each output its own name");
  }
}

}  // namespace

long Deck::total_steps() const {
  long n = 0;
  for (const auto& s : stages) n += s.steps;
  return n;
}

std::string Deck::resolve(const std::string& p) const {
  if (p.empty() || fs::path(p).is_absolute()) return p;
  return (fs::path(directory) / p).lexically_normal().string();
}

std::string closest_key(const std::string& key, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_d = std::max<std::size_t>(2, key.size() / 3) + 1;
  for (const auto& c : candidates) {
    std::vector<std::size_t> prev(c.size() + 1), cur(c.size() + 1);
    for (std::size_t j = 0; j <= c.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= key.size(); ++i) {
      cur[0] = i;
      for (std::size_t j = 1; j <= c.size(); ++j) {
        const std::size_t sub = prev[j - 1] + (key[i - 1] == c[j - 1] ? 0 : 1);
        cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
      }
      std::swap(prev, cur);
    }
    if (prev[c.size()] < best_d) {
      best_d = prev[c.size()];
      best = c;
    }
  }
  return best;
}

Deck parse_deck(const std::string& text, const std::string& name, const std::string& directory,
                const DeckOverrides& overrides) {
  Reader r(name);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw DeckError(name + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                    ": YAML syntax error: " + e.msg);
  }
  if (!root || root.IsNull()) throw DeckError(name + ": the deck is empty; see inputs/decks/ for examples");
  if (!overrides.model.empty()) {
    if (!fs::exists(overrides.model)) {
      throw DeckError("--model " + overrides.model +
                      ": model file not found; export one with tools/export_nequip.py");
    }
    if (root.IsMap()) {
      YAML::Node p;
      p["model"] = fs::absolute(overrides.model).lexically_normal().string();
      if (root["potential"] && root["potential"].IsMap()) {
        for (const char* key : {"precision", "device", "gpu_aware_mpi"})
          if (root["potential"][key]) p[key] = root["potential"][key];
      }
      root["potential"] = p;
    }
  }
  Deck deck;
  deck.path = name;
  deck.directory = directory;
  r.check_keys(root, "deck",
               {"system", "potential", "neighbor", "seed", "decomposition", "velocities", "stages", "output",
                "analysis"});
  if (!root["system"]) r.fail(root, "the deck has no `system` section (a structure file or a builder)");
  if (!root["potential"])
    r.fail(root, "the deck has no `potential` section (a NequIP model or a classical potential)");
  if (!root["stages"]) r.fail(root, "the deck has no `stages` list (minimize, nve, nvt, npt)");
  read_system(r, root["system"], deck);
  read_potential(r, root["potential"], deck);
  if (root["neighbor"]) {
    r.check_keys(root["neighbor"], "neighbor", {"skin"});
    if (root["neighbor"]["skin"]) deck.skin = r.non_negative(root["neighbor"]["skin"], "neighbor.skin");
  }
  if (root["seed"]) {
    deck.seed = r.integer(root["seed"], "seed");
    if (deck.seed < 0) r.fail(root["seed"], "`seed` must not be negative");
  }
  if (const auto& d = root["decomposition"]) {
    deck.grid_source = r.where(d);
    if (d.IsScalar()) {
      if (d.Scalar() != "auto")
        r.fail(d, "`decomposition` is `auto` or a list of three rank counts, e.g. [2, 1, 1]");
    } else if (d.IsSequence() && d.size() == 3) {
      for (std::size_t k = 0; k < 3; ++k) {
        deck.grid[k] = static_cast<int>(r.positive_integer(d[k], "decomposition[" + std::to_string(k) + "]"));
      }
    } else {
      r.fail(d, "`decomposition` is `auto` or a list of three rank counts, e.g. [2, 1, 1]");
    }
  }
  if (const auto& v = root["velocities"]) {
    r.check_keys(v, "velocities", {"temperature", "seed"});
    if (!v["temperature"]) r.fail(v, "`velocities` needs `temperature` (K)");
    deck.velocities.set = true;
    deck.velocities.temperature = r.non_negative(v["temperature"], "velocities.temperature");
    deck.velocities.seed = v["seed"] ? r.integer(v["seed"], "velocities.seed") : deck.seed;
  }
  const auto& stages = root["stages"];
  if (!stages.IsSequence() || stages.size() == 0) r.fail(stages, "`stages` must be a non-empty list");
  std::set<std::string> names;
  for (std::size_t i = 0; i < stages.size(); ++i) {
    deck.stages.push_back(read_stage(r, stages[i], i));
    if (!names.insert(deck.stages.back().name).second) {
      r.fail(stages[i], "stage name `" + deck.stages.back().name + "` is used twice; names must be unique");
    }
  }
  if (root["output"]) read_output(r, root["output"], deck);
  if (root["analysis"]) read_analysis(r, root["analysis"], deck);
  return deck;
}

Deck load_deck(const std::string& path, const DeckOverrides& overrides) {
  std::ifstream in(path);
  if (!in) throw DeckError(path + ": cannot open the deck file; check the path");
  std::stringstream ss;
  ss << in.rdbuf();
  const auto dir = fs::path(path).parent_path();
  return parse_deck(ss.str(), path, dir.empty() ? "." : dir.string(), overrides);
}

}  // namespace e3md
