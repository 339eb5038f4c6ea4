#include "driver/builder_defects.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <set>
#include <stdexcept>

#include "io/structure_io.hpp"

namespace e3md {

DefectKind parse_defect_kind(const std::string& name) {
  if (name == "li-rich") return DefectKind::LiRich;
  if (name == "li-poor") return DefectKind::LiPoor;
  if (name == "p-to-li5") return DefectKind::PToLi5;
  throw std::invalid_argument("unknown defect kind '" + name + "'; use li-rich, li-poor or p-to-li5");
}

std::string defect_kind_name(DefectKind k) {
  switch (k) {
    case DefectKind::LiRich:
      return "li-rich";
    case DefectKind::LiPoor:
      return "li-poor";
    case DefectKind::PToLi5:
      return "p-to-li5";
  }
  return "?";
}

int formal_charge(const Structure& s) {
  int q = 0;
  for (const auto& sp : s.species) {
    if (sp == "Li")
      q += 1;
    else if (sp == "P")
      q += 5;
    else if (sp == "O")
      q -= 2;
    else if (sp == "N")
      q -= 3;
    else
      throw std::invalid_argument("formal charge of species '" + sp + "' is not known (only Li, P, O, N)");
  }
  return q;
}

namespace {

// Distance from each trial point to its nearest atom (all periodic images), capped at `cap` Å: one pair
// search over atoms + points, so the cost is linear in their number.
std::vector<double> nearest_atom(const Structure& s, const std::vector<Vec3>& points, double cap) {
  Structure t;
  t.box = s.box;
  t.positions = s.positions;
  t.positions.insert(t.positions.end(), points.begin(), points.end());
  t.species.assign(t.positions.size(), "X");
  const long n = static_cast<long>(s.size());
  std::vector<double> d(points.size(), cap);
  for_each_pair_within(t, cap, [&](long i, long j, const Vec3&, double r) {
    if ((i < n) == (j < n)) return;  // atom-atom or point-point
    const long p = (i < n ? j : i) - n;
    d[static_cast<std::size_t>(p)] = std::min(d[static_cast<std::size_t>(p)], r);
  });
  return d;
}

class DefectMaker {
 public:
  DefectMaker(Structure s, const DefectOptions& o, std::mt19937_64& rng)
      : s_(std::move(s)), o_(o), rng_(rng) {}

  // Index of a random atom of `species` not touched yet; throws when none is left.
  long pick(const std::string& species) {
    std::vector<long> c;
    for (std::size_t i = 0; i < s_.size(); ++i) {
      if (s_.species[i] == species && touched_.count(static_cast<long>(i)) == 0)
        c.push_back(static_cast<long>(i));
    }
    if (c.empty()) {
      throw std::invalid_argument(
          "defect " + defect_kind_name(o_.kind) + " needs a " + species +
          " atom but the structure has none left; use a larger supercell or fewer defects");
    }
    const long i = c[std::uniform_int_distribution<std::size_t>(0, c.size() - 1)(rng_)];
    touched_.insert(i);
    signature_.push_back(species + std::to_string(i));
    return i;
  }
  void substitute(const std::string& from, const std::string& to) {
    s_.species[static_cast<std::size_t>(pick(from))] = to;
  }
  void remove(const std::string& species) { removed_.insert(pick(species)); }
  void add_li() {
    std::uniform_real_distribution<double> u(0.0, 1.0);
    double best_d = -1.0;
    Vec3 best = Vec3::Zero();
    std::vector<Vec3> points;
    for (int t = 0; t < o_.trials; ++t)
      points.push_back(s_.box.to_cartesian(Vec3(u(rng_), u(rng_), u(rng_))));
    const auto d = nearest_atom(s_, points, std::max(3.0, o_.min_li_distance + 1.0));
    for (std::size_t t = 0; t < points.size(); ++t) {
      // Ties (several points beyond the cap) go to the first drawn: still seeded and reproducible.
      if (d[t] > best_d) {
        best_d = d[t];
        best = points[t];
      }
    }
    if (best_d < o_.min_li_distance) {
      throw std::invalid_argument("no room for an added Li: the largest void found leaves " +
                                  std::to_string(best_d) + " Å to the nearest atom (< " +
                                  std::to_string(o_.min_li_distance) +
                                  " Å); use fewer defects, a larger supercell or a smaller min_li_distance");
    }
    s_.species.push_back("Li");
    s_.positions.push_back(best);
    signature_.push_back("Li@" + std::to_string(std::lround(best[0] * 10)) + "," +
                         std::to_string(std::lround(best[1] * 10)) + "," +
                         std::to_string(std::lround(best[2] * 10)));
  }
  // Removes the marked atoms (an atom removed is no longer in the structure when Li is added next).
  void flush_removals() {
    Structure t = s_;
    t.species.clear();
    t.positions.clear();
    for (std::size_t i = 0; i < s_.size(); ++i) {
      if (removed_.count(static_cast<long>(i)) == 0) {
        t.species.push_back(s_.species[i]);
        t.positions.push_back(s_.positions[i]);
      }
    }
    // Indices shift after removal: keep the touched set meaningful by remapping.
    std::set<long> touched;
    for (long i : touched_) {
      if (removed_.count(i) != 0) continue;
      long shift = 0;
      for (long r : removed_) shift += r < i ? 1 : 0;
      touched.insert(i - shift);
    }
    touched_ = touched;
    removed_.clear();
    s_ = t;
  }
  Structure& structure() { return s_; }
  std::string signature() const {
    std::vector<std::string> v = signature_;
    std::sort(v.begin(), v.end());
    std::string out;
    for (const auto& x : v) out += x + ";";
    return out;
  }

 private:
  Structure s_;
  const DefectOptions& o_;
  std::mt19937_64& rng_;
  std::set<long> touched_, removed_;
  std::vector<std::string> signature_;
};

}  // namespace

std::vector<Structure> enumerate_defects(const Structure& cell, const DefectOptions& o) {
  if (o.count < 1 || o.cap < 1) throw std::invalid_argument("defect count and cap must be >= 1");
  Structure base = cell;
  base.velocities.clear();
  base.forces.clear();
  base.images.clear();
  base.has_energy = base.has_stress = false;
  const int q0 = formal_charge(base);
  // Species order of the input, used to regroup atoms after Li are appended.
  std::vector<std::string> order;
  for (const auto& [sp, n] : composition(base)) order.push_back(sp);
  for (const char* sp : {"Li", "P", "O", "N"}) {
    if (std::find(order.begin(), order.end(), sp) == order.end()) order.push_back(sp);
  }
  std::vector<Structure> out;
  std::set<std::string> seen;
  for (int attempt = 0; static_cast<int>(out.size()) < o.cap && attempt < 20 * o.cap; ++attempt) {
    std::mt19937_64 rng(o.seed * 1000003ULL + static_cast<std::uint64_t>(attempt));
    DefectMaker m(base, o, rng);
    for (int d = 0; d < o.count; ++d) {
      switch (o.kind) {
        case DefectKind::LiRich:
          m.substitute("O", "N");
          m.add_li();
          break;
        case DefectKind::LiPoor: {
          bool has_n = false;
          for (const auto& sp : m.structure().species) has_n = has_n || sp == "N";
          if (has_n) {
            m.substitute("N", "O");
            m.remove("Li");
          } else {
            m.substitute("O", "N");
            m.remove("Li");
            m.remove("O");
          }
          m.flush_removals();
          break;
        }
        case DefectKind::PToLi5:
          m.remove("P");
          m.flush_removals();
          for (int k = 0; k < 5; ++k) m.add_li();
          break;
      }
    }
    if (!seen.insert(m.signature()).second) continue;
    Structure s = m.structure();
    if (formal_charge(s) != q0) throw std::logic_error("defect changed the formal charge");
    // Regroup by species (stable), so files list each species in one block.
    std::vector<std::size_t> idx(s.size());
    std::iota(idx.begin(), idx.end(), 0);
    auto rank = [&](std::size_t i) {
      return std::find(order.begin(), order.end(), s.species[i]) - order.begin();
    };
    std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return rank(a) < rank(b); });
    Structure g = s;
    for (std::size_t k = 0; k < idx.size(); ++k) {
      g.species[k] = s.species[idx[k]];
      g.positions[k] = s.positions[idx[k]];
    }
    g.info["config_type"] = "defect_" + defect_kind_name(o.kind);
    g.info["defects"] = std::to_string(o.count);
    g.info["defect_seed"] = std::to_string(o.seed);
    g.info["defect_attempt"] = std::to_string(attempt);
    out.push_back(g);
  }
  return out;
}

}  // namespace e3md
