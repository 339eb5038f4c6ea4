#include "driver/builder_amorphous.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <random>
#include <stdexcept>

#include "io/structure_io.hpp"

namespace e3md {

std::vector<std::pair<std::string, long>> parse_composition(const std::string& f, long formula_units) {
  std::vector<std::pair<std::string, double>> raw;
  std::size_t i = 0;
  auto fail = [&](const std::string& why) {
    throw std::invalid_argument("composition '" + f + "': " + why + "; write a formula such as Li3PO3.3N0.5");
  };
  while (i < f.size()) {
    if (!std::isupper(static_cast<unsigned char>(f[i])))
      fail("expected an element symbol at position " + std::to_string(i + 1));
    std::string el(1, f[i++]);
    while (i < f.size() && std::islower(static_cast<unsigned char>(f[i]))) el += f[i++];
    if (!is_element(el)) fail("'" + el + "' is not a chemical element");
    std::size_t j = i;
    while (j < f.size() && (std::isdigit(static_cast<unsigned char>(f[j])) || f[j] == '.')) ++j;
    double n = 1.0;
    if (j > i) {
      char* end = nullptr;
      const std::string t = f.substr(i, j - i);
      n = std::strtod(t.c_str(), &end);
      if (end != t.c_str() + t.size() || !(n > 0.0)) fail("bad count '" + t + "'");
    }
    i = j;
    auto it = std::find_if(raw.begin(), raw.end(), [&](const auto& p) { return p.first == el; });
    if (it == raw.end())
      raw.emplace_back(el, n);
    else
      it->second += n;
  }
  if (raw.empty()) fail("empty");
  long mult = 0;
  for (long m = 1; m <= 1000 && mult == 0; ++m) {
    bool whole = true;
    for (const auto& [el, n] : raw) whole = whole && std::abs(n * m - std::round(n * m)) < 1e-6;
    if (whole) mult = m;
  }
  if (mult == 0) fail("subscripts need more than 3 decimals to become whole numbers");
  if (formula_units < 1) throw std::invalid_argument("formula units must be >= 1");
  std::vector<std::pair<std::string, long>> out;
  for (const auto& [el, n] : raw)
    out.emplace_back(el, std::lround(n * static_cast<double>(mult)) * formula_units);
  return out;
}

double default_min_distance(const std::string& a, const std::string& b) {
  const std::string p = a < b ? a + "-" + b : b + "-" + a;
  static const std::map<std::string, double> table = {
      {"O-P", 1.35}, {"N-P", 1.45}, {"Li-O", 1.6}, {"Li-N", 1.7}, {"Li-Li", 1.9},
      {"Li-P", 2.2}, {"P-P", 2.4},  {"O-O", 2.0},  {"N-N", 2.1},  {"N-O", 2.05},
  };
  auto it = table.find(p);
  return it != table.end() ? it->second : 1.5;
}

namespace {

double pair_distance(const AmorphousOptions& o, const std::string& a, const std::string& b) {
  for (const auto& key : {a + "-" + b, b + "-" + a}) {
    auto it = o.min_distance.find(key);
    if (it != o.min_distance.end()) return it->second;
  }
  return default_min_distance(a, b);
}

}  // namespace

Structure build_amorphous(const AmorphousOptions& o) {
  auto counts = parse_composition(o.composition, 1);
  long per_unit = 0;
  for (const auto& c : counts) per_unit += c.second;
  long units = o.formula_units;
  if (units <= 0) units = o.min_atoms > 0 ? (o.min_atoms + per_unit - 1) / per_unit : 1;
  counts = parse_composition(o.composition, units);
  if (!(o.density > 0.0)) throw std::invalid_argument("density must be > 0 g/cm³");
  std::vector<std::string> kinds;
  double mass = 0.0;
  long n = 0;
  for (const auto& [el, c] : counts) {
    kinds.push_back(el);
    mass += atomic_mass(el) * static_cast<double>(c);
    n += c;
  }
  constexpr double amu_A3_to_g_cm3 = 1.66053906660;
  const double volume = mass * amu_A3_to_g_cm3 / o.density;  // Å³
  Vec3 L;
  if (o.lateral_a > 0.0 && o.lateral_b > 0.0) {
    L = Vec3(o.lateral_a, o.lateral_b, volume / (o.lateral_a * o.lateral_b));
  } else {
    L = Vec3::Constant(std::cbrt(volume));
  }
  const std::size_t nk = kinds.size();
  std::vector<std::vector<double>> dmin(nk, std::vector<double>(nk));
  double dmax = 0.0;
  for (std::size_t a = 0; a < nk; ++a)
    for (std::size_t b = 0; b < nk; ++b) {
      dmin[a][b] = pair_distance(o, kinds[a], kinds[b]);
      dmax = std::max(dmax, dmin[a][b]);
    }
  double excluded = 0.0;
  for (std::size_t a = 0; a < nk; ++a) {
    excluded += static_cast<double>(counts[a].second) * 4.0 / 3.0 * M_PI * std::pow(0.5 * dmin[a][a], 3);
  }
  char buf[256];
  if (excluded / volume > 0.64) {
    std::snprintf(
        buf, sizeof(buf),
        "density %.4g g/cm³ is impossible for %s with these minimum distances: spheres of radius d_ii/2 "
        "would fill %.0f %% of the box (> 64 %%, random close packing); lower the density or the distances",
        o.density, o.composition.c_str(), 100.0 * excluded / volume);
    throw std::invalid_argument(buf);
  }
  if (2.0 * dmax >= L.minCoeff()) {
    throw std::invalid_argument("box of " + std::to_string(L.minCoeff()) +
                                " Å is too small for the minimum distances; use more formula units");
  }
  // Insertion order: species with the largest self-exclusion first (they are the hardest to place).
  std::vector<std::size_t> order;
  for (std::size_t a = 0; a < nk; ++a)
    for (long k = 0; k < counts[a].second; ++k) order.push_back(a);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return dmin[a][a] > dmin[b][b]; });
  // Linked cells at least dmax wide: neighbours of a trial point are in the 27 surrounding cells.
  Eigen::Vector3i nb;
  for (int k = 0; k < 3; ++k) nb[k] = std::max(1, static_cast<int>(std::floor(L[k] / dmax)));
  const bool brute = (nb.array() < 3).any();
  for (int attempt = 0; attempt <= o.restarts; ++attempt) {
    std::mt19937_64 rng(o.seed * 7919ULL + static_cast<std::uint64_t>(attempt));
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::vector<Vec3> pos;
    std::vector<std::size_t> kind;
    std::vector<std::vector<int>> cells(static_cast<std::size_t>(nb.prod()));
    auto cell_of = [&](const Vec3& x) {
      Eigen::Vector3i c;
      for (int k = 0; k < 3; ++k) c[k] = std::min(nb[k] - 1, static_cast<int>(x[k] / L[k] * nb[k]));
      return c;
    };
    auto id = [&](const Eigen::Vector3i& c) {
      return static_cast<std::size_t>((c[0] * nb[1] + c[1]) * nb[2] + c[2]);
    };
    auto fits = [&](const Vec3& x, std::size_t a, int j) {
      Vec3 d = pos[static_cast<std::size_t>(j)] - x;
      for (int k = 0; k < 3; ++k) d[k] -= L[k] * std::round(d[k] / L[k]);
      return d.norm() >= dmin[a][kind[static_cast<std::size_t>(j)]];
    };
    bool ok = true;
    for (std::size_t a : order) {
      bool placed = false;
      for (long t = 0; t < o.max_trials_per_atom && !placed; ++t) {
        const Vec3 x(u(rng) * L[0], u(rng) * L[1], u(rng) * L[2]);
        bool free = true;
        if (brute) {
          for (int j = 0; j < static_cast<int>(pos.size()) && free; ++j) free = fits(x, a, j);
        } else {
          const Eigen::Vector3i c = cell_of(x);
          for (int dx = -1; dx <= 1 && free; ++dx)
            for (int dy = -1; dy <= 1 && free; ++dy)
              for (int dz = -1; dz <= 1 && free; ++dz) {
                Eigen::Vector3i q(c[0] + dx, c[1] + dy, c[2] + dz);
                for (int k = 0; k < 3; ++k) q[k] = (q[k] + nb[k]) % nb[k];
                for (int j : cells[id(q)]) {
                  if (!fits(x, a, j)) {
                    free = false;
                    break;
                  }
                }
              }
        }
        if (free) {
          cells[id(cell_of(x))].push_back(static_cast<int>(pos.size()));
          pos.push_back(x);
          kind.push_back(a);
          placed = true;
        }
      }
      if (!placed) {
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    Structure s;
    Mat3 h = Mat3::Zero();
    for (int k = 0; k < 3; ++k) h(k, k) = L[k];
    s.box = Box(h, {{true, true, true}});
    for (std::size_t a = 0; a < nk; ++a) {
      for (std::size_t i = 0; i < pos.size(); ++i) {
        if (kind[i] != a) continue;
        s.species.push_back(kinds[a]);
        s.positions.push_back(pos[i]);
      }
    }
    s.info["config_type"] = "amorphous_start";
    std::snprintf(buf, sizeof(buf), "%.6g", o.density);
    s.info["density"] = buf;
    s.info["seed"] = std::to_string(o.seed);
    return s;
  }
  std::snprintf(
      buf, sizeof(buf),
      "could not pack %ld atoms of %s at %.4g g/cm³ with the minimum distances after %d restarts; the "
      "density is too high for random insertion: lower the density or the minimum distances",
      n, o.composition.c_str(), o.density, o.restarts + 1);
  throw std::invalid_argument(buf);
}

}  // namespace e3md
