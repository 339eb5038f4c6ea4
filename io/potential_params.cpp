#include "io/potential_params.hpp"

#include <map>
#include <set>
#include <stdexcept>
#include <vector>

#include "engine/units.hpp"

namespace e3md {
namespace {

struct Ctx {
  std::string source;
  [[noreturn]] void fail(const YAML::Node& node, const std::string& what) const {
    const int line = node.IsDefined() ? node.Mark().line + 1 : 0;
    throw std::runtime_error(source + (line > 0 ? ":" + std::to_string(line) : std::string()) + ": " + what);
  }
};

void check_keys(const Ctx& ctx, const YAML::Node& map, const std::set<std::string>& allowed, const std::string& where) {
  for (const auto& kv : map) {
    const auto key = kv.first.as<std::string>();
    if (!allowed.count(key)) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      ctx.fail(kv.first, "unknown key '" + key + "' in " + where + "; allowed keys: " + list);
    }
  }
}

double number(const Ctx& ctx, const YAML::Node& map, const std::string& key, const std::string& where,
              const double* fallback = nullptr) {
  const YAML::Node v = map[key];
  if (!v) {
    if (fallback) return *fallback;
    ctx.fail(map, "missing key '" + key + "' in " + where + "; add '" + key + ": <number>'");
  }
  try {
    return v.as<double>();
  } catch (const YAML::Exception&) {
    ctx.fail(v, "key '" + key + "' in " + where + " must be a number, got '" + v.as<std::string>("?") + "'");
  }
}

struct Style {
  std::string form;  // born | buck | pedone | lj
  bool coulomb = false;
};

Style parse_style(const Ctx& ctx, const YAML::Node& node) {
  static const std::map<std::string, Style> styles = {
      {"born/coul/dsf", {"born", true}}, {"buck/coul/dsf", {"buck", true}}, {"pedone/coul/dsf", {"pedone", true}},
      {"born", {"born", false}},         {"buck", {"buck", false}},         {"pedone", {"pedone", false}},
      {"lj/cut", {"lj", false}}};
  const YAML::Node s = node["style"];
  if (!s) ctx.fail(node, "missing key 'style'; use one of born/coul/dsf, buck/coul/dsf, pedone/coul/dsf, lj/cut");
  const auto name = s.as<std::string>();
  const auto it = styles.find(name);
  if (it == styles.end()) {
    ctx.fail(s, "unknown style '" + name + "'; use born/coul/dsf, buck/coul/dsf, pedone/coul/dsf, born, buck, "
                "pedone or lj/cut");
  }
  return it->second;
}

template <class Pair, class Make>
std::shared_ptr<ClassicalPotential> build(const Ctx& ctx, const YAML::Node& node, const std::string& style,
                                          std::vector<PairSpecies> species, std::optional<DsfCoulomb> coul,
                                          double cutoff, const Make& make) {
  const auto n = species.size();
  std::vector<Pair> pairs(n * n);
  std::vector<bool> seen(n * n, false);
  const YAML::Node pn = node["pairs"];
  if (!pn || !pn.IsMap()) ctx.fail(node, "missing map 'pairs'; give one entry 'A-B: {...}' per species pair");
  auto index = [&](const std::string& s) -> int {
    for (std::size_t k = 0; k < n; ++k)
      if (species[k].name == s) return static_cast<int>(k);
    return -1;
  };
  for (const auto& kv : pn) {
    const auto key = kv.first.as<std::string>();
    const auto dash = key.find('-');
    const int a = dash == std::string::npos ? -1 : index(key.substr(0, dash));
    const int b = dash == std::string::npos ? -1 : index(key.substr(dash + 1));
    if (a < 0 || b < 0) {
      ctx.fail(kv.first, "pair key '" + key + "' under 'pairs' must be 'A-B' with A and B listed under 'species'");
    }
    const auto ab = static_cast<std::size_t>(a) * n + static_cast<std::size_t>(b);
    const auto ba = static_cast<std::size_t>(b) * n + static_cast<std::size_t>(a);
    if (seen[ab]) ctx.fail(kv.first, "pair '" + key + "' given twice under 'pairs'; keep one of A-B and B-A");
    seen[ab] = seen[ba] = true;
    const YAML::Node v = kv.second;
    const bool none = (v.IsScalar() && v.as<std::string>() == "none") || (v.IsMap() && v.size() == 0);
    if (none) continue;  // cutsq stays 0: Coulomb only
    if (!v.IsMap()) ctx.fail(v, "pair '" + key + "' must be a map of parameters or 'none'");
    const double rc = number(ctx, v, "cutoff", "pair '" + key + "'", &cutoff);
    pairs[ab] = pairs[ba] = make(v, "pair '" + key + "'", rc);
  }
  for (std::size_t a = 0; a < n; ++a) {
    for (std::size_t b = a; b < n; ++b) {
      if (!seen[a * n + b]) {
        const std::string key = species[a].name + "-" + species[b].name;
        ctx.fail(pn, "pair '" + key + "' missing under 'pairs'; add '" + key +
                         ": {...}' with its parameters, or '" + key + ": none' for no short-range term");
      }
    }
  }
  return std::make_shared<PairPotential<Pair>>(style, std::move(species), std::move(pairs), coul);
}

}  // namespace

std::shared_ptr<ClassicalPotential> make_classical_potential(const YAML::Node& node, const std::string& source) {
  const Ctx ctx{source};
  if (!node.IsMap()) ctx.fail(node, "a potential must be a YAML map with 'style', 'cutoff', 'species', 'pairs'");
  const Style style = parse_style(ctx, node);
  std::set<std::string> top = {"style", "cutoff", "species", "pairs", "shift", "comment", "reference", "status"};
  if (style.coulomb) top.insert({"alpha", "coulomb_cutoff", "erfc"});
  check_keys(ctx, node, top, "the potential (style " + node["style"].as<std::string>() + ")");

  const double cutoff = number(ctx, node, "cutoff", "the potential");
  if (!(cutoff > 0.0)) ctx.fail(node["cutoff"], "'cutoff' must be positive (Å)");
  const bool shift = node["shift"] ? node["shift"].as<bool>() : false;

  std::optional<DsfCoulomb> coul;
  if (style.coulomb) {
    const double alpha = number(ctx, node, "alpha", "the potential");
    const double rc = number(ctx, node, "coulomb_cutoff", "the potential", &cutoff);
    if (!(alpha >= 0.0) || !(rc > 0.0)) ctx.fail(node, "'alpha' must be >= 0 and 'coulomb_cutoff' > 0");
    // Defaults follow the LAMMPS style each form mirrors: born/coul/dsf calls erfc(), coul/dsf (used with
    // buck and pedone through hybrid/overlay) the Abramowitz-Stegun polynomial.
    const std::string erfc = node["erfc"] ? node["erfc"].as<std::string>() : (style.form == "born" ? "exact" : "polynomial");
    if (erfc != "polynomial" && erfc != "exact") ctx.fail(node["erfc"], "'erfc' must be 'polynomial' or 'exact'");
    coul = DsfCoulomb::make(alpha, rc, units::qqr2e, erfc == "exact");
  }

  const YAML::Node sn = node["species"];
  if (!sn || !sn.IsMap() || sn.size() == 0) ctx.fail(node, "missing map 'species'; e.g. species: {Li: {charge: 0.6}}");
  std::vector<PairSpecies> species;
  for (const auto& kv : sn) {
    PairSpecies s;
    s.name = kv.first.as<std::string>();
    const YAML::Node v = kv.second;
    if (v.IsNull()) {
      species.push_back(s);
      continue;
    }
    if (!v.IsMap()) ctx.fail(v, "species '" + s.name + "' must be a map {charge: ..., mass: ...}");
    std::set<std::string> allowed = {"mass"};
    if (style.coulomb) allowed.insert("charge");
    check_keys(ctx, v, allowed, "species '" + s.name + "'");
    const double zero = 0.0;
    s.charge = number(ctx, v, "charge", "species '" + s.name + "'", &zero);
    s.mass = number(ctx, v, "mass", "species '" + s.name + "'", &zero);
    if (s.mass < 0.0) ctx.fail(v["mass"], "mass of '" + s.name + "' must be positive (amu)");
    species.push_back(s);
  }

  const std::string name = node["style"].as<std::string>();
  if (style.form == "born") {
    return build<BornPair>(ctx, node, name, species, coul, cutoff, [&](const YAML::Node& v, const std::string& w, double rc) {
      check_keys(ctx, v, {"A", "rho", "sigma", "C", "D", "cutoff"}, w + " (born: A, rho, sigma, C, D)");
      const double zero = 0.0;
      const double rho = number(ctx, v, "rho", w);
      if (!(rho > 0.0)) ctx.fail(v["rho"], "'rho' of " + w + " must be positive (Å)");
      return BornPair::make(number(ctx, v, "A", w), rho, number(ctx, v, "sigma", w, &zero), number(ctx, v, "C", w, &zero),
                            number(ctx, v, "D", w, &zero), rc, shift);
    });
  }
  if (style.form == "buck") {
    return build<BuckPair>(ctx, node, name, species, coul, cutoff, [&](const YAML::Node& v, const std::string& w, double rc) {
      check_keys(ctx, v, {"A", "rho", "C", "cutoff"}, w + " (buck: A, rho, C)");
      const double zero = 0.0;
      const double rho = number(ctx, v, "rho", w);
      if (!(rho > 0.0)) ctx.fail(v["rho"], "'rho' of " + w + " must be positive (Å)");
      return BuckPair::make(number(ctx, v, "A", w), rho, number(ctx, v, "C", w, &zero), rc, shift);
    });
  }
  if (style.form == "pedone") {
    return build<PedonePair>(ctx, node, name, species, coul, cutoff, [&](const YAML::Node& v, const std::string& w, double rc) {
      check_keys(ctx, v, {"D0", "alpha", "r0", "C", "cutoff"}, w + " (pedone: D0, alpha, r0, C)");
      const double zero = 0.0;
      return PedonePair::make(number(ctx, v, "D0", w), number(ctx, v, "alpha", w), number(ctx, v, "r0", w),
                              number(ctx, v, "C", w, &zero), rc, shift);
    });
  }
  return build<LjPair>(ctx, node, name, species, coul, cutoff, [&](const YAML::Node& v, const std::string& w, double rc) {
    check_keys(ctx, v, {"epsilon", "sigma", "cutoff"}, w + " (lj/cut: epsilon, sigma)");
    return LjPair::make(number(ctx, v, "epsilon", w), number(ctx, v, "sigma", w), rc, shift);
  });
}

std::shared_ptr<ClassicalPotential> load_classical_potential(const std::string& path) {
  YAML::Node node;
  try {
    node = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw std::runtime_error(path + ": cannot open the potential file; check the path");
  } catch (const YAML::ParserException& e) {
    throw std::runtime_error(path + ":" + std::to_string(e.mark.line + 1) + ": YAML syntax error: " + e.msg);
  }
  return make_classical_potential(node, path);
}

}  // namespace e3md
