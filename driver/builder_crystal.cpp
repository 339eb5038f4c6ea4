#include "driver/builder_crystal.hpp"

#include <yaml-cpp/yaml.h>

#include <Eigen/LU>
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <stdexcept>

#include "driver/builder_symmetry.hpp"
#include "io/structure_io.hpp"

namespace e3md {

namespace {

namespace fs = std::filesystem;

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// cos of an angle in degrees, exact for the angles crystallography uses most (90, 60, 120).
double cos_deg(double deg) {
  if (std::abs(deg - 90.0) < 1e-10) return 0.0;
  if (std::abs(deg - 60.0) < 1e-10) return 0.5;
  if (std::abs(deg - 120.0) < 1e-10) return -0.5;
  return std::cos(deg * M_PI / 180.0);
}

std::string at(const std::string& file, const YAML::Node& n) {
  return file + ":" + std::to_string(n.Mark().line + 1);
}

double coordinate(const YAML::Node& n, const std::string& file) {
  const std::string t = n.as<std::string>();
  const auto slash = t.find('/');
  char* end = nullptr;
  if (slash != std::string::npos) {
    const std::string p = t.substr(0, slash), q = t.substr(slash + 1);
    const double num = std::strtod(p.c_str(), &end);
    const bool ok1 = end == p.c_str() + p.size() && !p.empty();
    const double den = std::strtod(q.c_str(), &end);
    const bool ok2 = end == q.c_str() + q.size() && !q.empty() && den != 0.0;
    if (ok1 && ok2) return num / den;
  } else {
    const double v = std::strtod(t.c_str(), &end);
    if (!t.empty() && end == t.c_str() + t.size() && std::isfinite(v)) return v;
  }
  throw std::runtime_error(at(file, n) + ": coordinate '" + t +
                           "' is not a number or fraction; write e.g. 0.25 or \"1/3\"");
}

double number(const YAML::Node& parent, const char* key, const std::string& file, bool required) {
  const YAML::Node n = parent[key];
  if (!n) {
    if (required) {
      throw std::runtime_error(at(file, parent) + ": key '" + key + "' is missing; add it");
    }
    return 0.0;
  }
  try {
    return n.as<double>();
  } catch (const YAML::Exception&) {
    throw std::runtime_error(at(file, n) + ": key '" + key + "' must be a number, found '" +
                             n.as<std::string>() + "'");
  }
}

void check_keys(const YAML::Node& map, const std::set<std::string>& allowed, const std::string& file) {
  for (const auto& kv : map) {
    const std::string k = kv.first.as<std::string>();
    if (allowed.count(k) == 0) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      throw std::runtime_error(at(file, kv.first) + ": unknown key '" + k + "'; allowed: " + list);
    }
  }
}

}  // namespace

Mat3 cell_from_parameters(double a, double b, double c, double alpha, double beta, double gamma) {
  if (!(a > 0 && b > 0 && c > 0)) {
    throw std::invalid_argument("cell lengths must be positive (a, b, c in Å)");
  }
  const double ca = cos_deg(alpha), cb = cos_deg(beta), cg = cos_deg(gamma);
  const double sg = std::sqrt(1.0 - cg * cg);
  const double cx = cb, cy = (ca - cb * cg) / sg;
  const double cz2 = 1.0 - cx * cx - cy * cy;
  if (!(cz2 > 1e-12) || !(sg > 1e-12)) {
    throw std::invalid_argument(
        "cell angles alpha, beta, gamma do not form a cell (volume <= 0); check them");
  }
  Mat3 h;
  h << a, 0.0, 0.0, b * cg, b * sg, 0.0, c * cx, c * cy, c * std::sqrt(cz2);
  return h;
}

std::string crystal_library_dir() {
  if (const char* env = std::getenv("E3MD_STRUCTURES"); env != nullptr && *env != '\0') return env;
  // This file lives in <source>/driver/: the shipped definitions are in <source>/inputs/structures.
  return (fs::path(__FILE__).parent_path().parent_path() / "inputs" / "structures").string();
}

std::vector<std::string> known_crystals(const std::string& dir) {
  const std::string d = dir.empty() ? crystal_library_dir() : dir;
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(d, ec)) {
    if (e.path().extension() == ".yaml") names.push_back(e.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

CrystalSpec load_crystal_spec(const std::string& name_or_path, const std::string& dir) {
  std::string file;
  if (name_or_path.size() > 5 && name_or_path.substr(name_or_path.size() - 5) == ".yaml") {
    file = name_or_path;
    if (!fs::exists(file))
      throw std::invalid_argument("crystal definition " + file + " does not exist; check the path");
  } else {
    const std::string d = dir.empty() ? crystal_library_dir() : dir;
    const auto names = known_crystals(d);
    for (const auto& n : names) {
      if (lower(n) == lower(name_or_path)) file = (fs::path(d) / (n + ".yaml")).string();
    }
    if (file.empty()) {
      std::string list;
      for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
      throw std::invalid_argument("unknown crystal '" + name_or_path + "'; known crystals (in " + d +
                                  "): " + (list.empty() ? "none" : list) +
                                  "; or give a path to a definition file (*.yaml)");
    }
  }
  YAML::Node root;
  try {
    root = YAML::LoadFile(file);
  } catch (const YAML::Exception& e) {
    throw std::runtime_error(file + ":" + std::to_string(e.mark.line + 1) + ": not valid YAML (" + e.msg +
                             ")");
  }
  check_keys(root,
             {"name", "source", "space_group", "symbol", "cell", "density", "atoms", "sites", "setting"},
             file);
  CrystalSpec s;
  s.file = file;
  s.name = root["name"] ? root["name"].as<std::string>() : fs::path(file).stem().string();
  s.source = root["source"] ? root["source"].as<std::string>() : "";
  s.symbol = root["symbol"] ? root["symbol"].as<std::string>() : "";
  s.space_group = static_cast<int>(number(root, "space_group", file, true));
  try {
    space_group_info(s.space_group);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(at(file, root["space_group"]) + ": " + e.what());
  }
  const YAML::Node cell = root["cell"];
  if (!cell || !cell.IsMap())
    throw std::runtime_error(at(file, root) + ": key 'cell' {a, b, c, alpha, beta, gamma} is missing");
  check_keys(cell, {"a", "b", "c", "alpha", "beta", "gamma"}, file);
  s.a = number(cell, "a", file, true);
  s.b = number(cell, "b", file, true);
  s.c = number(cell, "c", file, true);
  s.alpha = number(cell, "alpha", file, true);
  s.beta = number(cell, "beta", file, true);
  s.gamma = number(cell, "gamma", file, true);
  s.density = number(root, "density", file, false);
  s.atoms = static_cast<long>(number(root, "atoms", file, false));
  const YAML::Node sites = root["sites"];
  if (!sites || !sites.IsSequence() || sites.size() == 0) {
    throw std::runtime_error(at(file, root) +
                             ": key 'sites' must be a non-empty list of {species, wyckoff, xyz}");
  }
  for (const auto& n : sites) {
    check_keys(n, {"species", "wyckoff", "xyz"}, file);
    CrystalSite site;
    site.line = n.Mark().line + 1;
    if (!n["species"]) throw std::runtime_error(at(file, n) + ": site lacks 'species'");
    site.species = n["species"].as<std::string>();
    if (!is_element(site.species)) {
      throw std::runtime_error(at(file, n) + ": species '" + site.species + "' is not a chemical element");
    }
    site.wyckoff = n["wyckoff"] ? n["wyckoff"].as<std::string>() : "";
    const YAML::Node xyz = n["xyz"];
    if (!xyz || !xyz.IsSequence() || xyz.size() != 3) {
      throw std::runtime_error(at(file, n) + ": site 'xyz' must be a list of three fractional coordinates");
    }
    for (int k = 0; k < 3; ++k) site.xyz[k] = coordinate(xyz[static_cast<std::size_t>(k)], file);
    s.sites.push_back(site);
  }
  return s;
}

Structure build_crystal(const CrystalSpec& spec) {
  Mat3 h;
  try {
    h = cell_from_parameters(spec.a, spec.b, spec.c, spec.alpha, spec.beta, spec.gamma);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(spec.file + ": cell: " + e.what());
  }
  const auto ops = space_group_operations(spec.space_group);
  Structure s;
  s.box = Box(h, {{true, true, true}});
  for (const auto& site : spec.sites) {
    const auto orbit = expand_orbit(ops, site.xyz, h, 0.01);
    if (!site.wyckoff.empty()) {
      const long mult = std::strtol(site.wyckoff.c_str(), nullptr, 10);
      if (mult != static_cast<long>(orbit.size())) {
        throw std::runtime_error(
            spec.file + ":" + std::to_string(site.line) + ": site " + site.species + " " + site.wyckoff +
            " expands to " + std::to_string(orbit.size()) + " positions under space group " +
            std::to_string(spec.space_group) +
            "; check the coordinates (special positions need exact fractions such as \"1/3\")");
      }
    }
    for (const auto& f : orbit) {
      s.species.push_back(site.species);
      s.positions.push_back(s.box.to_cartesian(f));
    }
  }
  if (spec.atoms > 0 && static_cast<long>(s.size()) != spec.atoms) {
    throw std::runtime_error(spec.file + ": sites expand to " + std::to_string(s.size()) +
                             " atoms but 'atoms' says " + std::to_string(spec.atoms) + "; check the sites");
  }
  const ClosestPair p = min_distance_check(s, 0.5);
  if (p.found() && p.distance < 0.5) {
    throw std::runtime_error(
        spec.file + ": atoms " + std::to_string(p.i) + " (" + s.species[static_cast<std::size_t>(p.i)] +
        ") and " + std::to_string(p.j) + " (" + s.species[static_cast<std::size_t>(p.j)] + ") are only " +
        std::to_string(p.distance) + " Å apart; two sites overlap, check their coordinates");
  }
  s.info["config_type"] = "crystal";
  s.info["crystal"] = spec.name;
  if (!spec.source.empty()) s.info["source"] = spec.source;
  return s;
}

Structure build_crystal(const std::string& name_or_path, const std::string& dir) {
  return build_crystal(load_crystal_spec(name_or_path, dir));
}

Structure make_supercell(const Structure& s, int na, int nb, int nc) {
  if (na < 1 || nb < 1 || nc < 1) {
    throw std::invalid_argument("supercell counts must be >= 1, got " + std::to_string(na) + " " +
                                std::to_string(nb) + " " + std::to_string(nc));
  }
  Structure out;
  Mat3 h = s.box.cell();
  h.row(0) *= na;
  h.row(1) *= nb;
  h.row(2) *= nc;
  out.box = Box(h, s.box.periodic());
  out.info = s.info;
  for (std::size_t i = 0; i < s.size(); ++i) {
    for (int x = 0; x < na; ++x) {
      for (int y = 0; y < nb; ++y) {
        for (int z = 0; z < nc; ++z) {
          out.species.push_back(s.species[i]);
          out.positions.push_back(s.positions[i] + s.box.shift(Vec3i(x, y, z)));
          if (!s.velocities.empty()) out.velocities.push_back(s.velocities[i]);
          if (!s.forces.empty()) out.forces.push_back(s.forces[i]);
        }
      }
    }
  }
  return out;
}

}  // namespace e3md
