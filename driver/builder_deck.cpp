#include "driver/builder_deck.hpp"

#include <filesystem>
#include <map>
#include <set>
#include <stdexcept>

#include "driver/builder_amorphous.hpp"
#include "driver/builder_crystal.hpp"
#include "driver/builder_defects.hpp"
#include "driver/builder_interface.hpp"
#include "driver/builder_slab.hpp"
#include "driver/builder_strain.hpp"
#include "io/structure_io.hpp"

namespace e3md {

namespace {

struct Ctx {
  std::string source, directory;
  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw std::runtime_error(source + ": build." + key + ": " + what);
  }
  std::string path(const std::string& p) const {
    const std::filesystem::path q(p);
    return q.is_absolute() ? p : (std::filesystem::path(directory) / q).string();
  }
  void keys(const YAML::Node& n, const std::string& where, const std::set<std::string>& allowed) const {
    if (!n.IsMap()) fail(where, "must be a mapping");
    for (const auto& kv : n) {
      const std::string k = kv.first.as<std::string>();
      if (!allowed.count(k)) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        fail(where.empty() ? k : where + "." + k, "unknown key; allowed: " + list);
      }
    }
  }
  template <class T>
  T get(const YAML::Node& n, const std::string& key, const std::string& where, T fallback) const {
    if (!n[key]) return fallback;
    try {
      return n[key].as<T>();
    } catch (const YAML::Exception&) {
      fail(where + key, "has the wrong type (line " + std::to_string(n[key].Mark().line + 1) + ")");
    }
  }
};

AmorphousOptions amorphous_options(const YAML::Node& n, const Ctx& c, const std::string& where) {
  c.keys(n, where, {"composition", "density", "units", "atoms", "seed", "lateral", "min_distance"});
  AmorphousOptions o;
  if (!n["composition"] || !n["density"]) c.fail(where, "needs composition and density (g/cm³)");
  o.composition = c.get<std::string>(n, "composition", where + ".", "");
  o.density = c.get<double>(n, "density", where + ".", 0.0);
  o.formula_units = c.get<long>(n, "units", where + ".", 0);
  o.min_atoms = c.get<long>(n, "atoms", where + ".", 0);
  o.seed = c.get<std::uint64_t>(n, "seed", where + ".", 1);
  const auto lat = c.get<std::vector<double>>(n, "lateral", where + ".", {});
  if (lat.size() == 2) {
    o.lateral_a = lat[0];
    o.lateral_b = lat[1];
  } else if (!lat.empty()) {
    c.fail(where + ".lateral", "needs two lengths [a, b] in Å");
  }
  o.min_distance = c.get<std::map<std::string, double>>(n, "min_distance", where + ".", {});
  return o;
}

Vec3i triple(const std::vector<int>& v, const Ctx& c, const std::string& key) {
  if (v.size() != 3) c.fail(key, "needs three integers");
  return Vec3i(v[0], v[1], v[2]);
}

}  // namespace

Structure build_from_yaml(const YAML::Node& b, const std::string& source, const std::string& directory) {
  const Ctx c{source, directory};
  c.keys(b, "",
         {"crystal", "input", "amorphous", "interface", "supercell", "strain", "slab", "defects", "library"});
  const std::string library = b["library"] ? c.path(b["library"].as<std::string>()) : "";
  const int bases =
      (b["crystal"] ? 1 : 0) + (b["input"] ? 1 : 0) + (b["amorphous"] ? 1 : 0) + (b["interface"] ? 1 : 0);
  if (bases != 1) c.fail("crystal", "give exactly one of crystal, input, amorphous, interface");
  try {
    if (b["amorphous"]) return build_amorphous(amorphous_options(b["amorphous"], c, "amorphous"));
    if (b["interface"]) {
      const YAML::Node n = b["interface"];
      c.keys(n, "interface",
             {"li_face", "li_layers", "li_thickness", "gap", "vacuum", "max_multiple", "block_repeat",
              "max_strain", "block", "block_amorphous"});
      InterfaceOptions o;
      o.li_miller =
          triple(c.get<std::vector<int>>(n, "li_face", "interface.", {1, 1, 0}), c, "interface.li_face");
      o.li_layers = c.get<int>(n, "li_layers", "interface.", 0);
      o.li_min_thickness = c.get<double>(n, "li_thickness", "interface.", o.li_min_thickness);
      o.gap = c.get<double>(n, "gap", "interface.", o.gap);
      o.vacuum = c.get<double>(n, "vacuum", "interface.", 0.0);
      o.max_multiple = c.get<int>(n, "max_multiple", "interface.", o.max_multiple);
      o.block_repeat_max = c.get<int>(n, "block_repeat", "interface.", 1);
      o.max_strain = c.get<double>(n, "max_strain", "interface.", o.max_strain);
      Structure block;
      if (n["block"]) {
        block = read_structure(c.path(n["block"].as<std::string>()));
      } else if (n["block_amorphous"]) {
        block = build_amorphous(amorphous_options(n["block_amorphous"], c, "interface.block_amorphous"));
      } else {
        c.fail("interface", "needs block: FILE or block_amorphous: {...}");
      }
      return build_interface(build_crystal("Li", library), block, o).structure;
    }
    Structure s = b["crystal"] ? build_crystal(b["crystal"].as<std::string>(), library)
                               : read_structure(c.path(b["input"].as<std::string>()));
    if (b["supercell"]) {
      const Vec3i n = triple(c.get<std::vector<int>>(b, "supercell", "", {}), c, "supercell");
      s = make_supercell(s, n[0], n[1], n[2]);
    }
    if (b["strain"]) {
      const YAML::Node n = b["strain"];
      c.keys(n, "strain", {"kind", "value", "axis", "angle"});
      const std::map<std::string, int> ax{{"a", 0}, {"b", 1}, {"c", 2}},
          an{{"alpha", 0}, {"beta", 1}, {"gamma", 2}};
      const std::string axis = c.get<std::string>(n, "axis", "strain.", "c");
      const std::string angle = c.get<std::string>(n, "angle", "strain.", "beta");
      if (!ax.count(axis)) c.fail("strain.axis", "must be a, b or c");
      if (!an.count(angle)) c.fail("strain.angle", "must be alpha, beta or gamma");
      s = apply_strain(s, parse_strain_kind(c.get<std::string>(n, "kind", "strain.", "hydrostatic")),
                       c.get<double>(n, "value", "strain.", 0.0), ax.at(axis), an.at(angle));
    }
    if (b["slab"]) {
      const YAML::Node n = b["slab"];
      c.keys(n, "slab", {"miller", "layers", "thickness", "vacuum", "termination"});
      SlabOptions o;
      o.miller = triple(c.get<std::vector<int>>(n, "miller", "slab.", {}), c, "slab.miller");
      o.layers = c.get<int>(n, "layers", "slab.", 0);
      o.min_thickness = c.get<double>(n, "thickness", "slab.", 0.0);
      o.vacuum = c.get<double>(n, "vacuum", "slab.", o.vacuum);
      o.termination = c.get<int>(n, "termination", "slab.", 0);
      s = build_slab(s, o).slab;
    }
    if (b["defects"]) {
      const YAML::Node n = b["defects"];
      c.keys(n, "defects", {"kind", "count", "seed"});
      DefectOptions o;
      o.kind = parse_defect_kind(c.get<std::string>(n, "kind", "defects.", "li-rich"));
      o.count = c.get<int>(n, "count", "defects.", 1);
      o.seed = c.get<std::uint64_t>(n, "seed", "defects.", 1);
      o.cap = 1;
      s = enumerate_defects(s, o).front();
    }
    return s;
  } catch (const std::invalid_argument& e) {
    // Builder messages name the problem and the fix; add where in the deck it came from.
    throw std::runtime_error(source + ": build: " + e.what());
  }
}

}  // namespace e3md
