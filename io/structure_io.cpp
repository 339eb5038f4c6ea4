#include "io/structure_io.hpp"

#include <Eigen/LU>
#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "io/extxyz.hpp"
#include "io/lammps_data.hpp"
#include "io/poscar.hpp"

namespace e3md {

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string basename(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

struct Element {
  const char* symbol;
  double mass;
};

// IUPAC 2016 standard atomic weights (conventional values), amu; the values ASE and pymatgen use.
constexpr std::array<Element, 94> kElements{{
    {"H", 1.008},      {"He", 4.0026},    {"Li", 6.94},      {"Be", 9.0122},     {"B", 10.81},
    {"C", 12.011},     {"N", 14.007},     {"O", 15.999},     {"F", 18.998403},   {"Ne", 20.1797},
    {"Na", 22.98977},  {"Mg", 24.305},    {"Al", 26.981538}, {"Si", 28.085},     {"P", 30.973762},
    {"S", 32.06},      {"Cl", 35.45},     {"Ar", 39.948},    {"K", 39.0983},     {"Ca", 40.078},
    {"Sc", 44.955908}, {"Ti", 47.867},    {"V", 50.9415},    {"Cr", 51.9961},    {"Mn", 54.938044},
    {"Fe", 55.845},    {"Co", 58.933194}, {"Ni", 58.6934},   {"Cu", 63.546},     {"Zn", 65.38},
    {"Ga", 69.723},    {"Ge", 72.63},     {"As", 74.921595}, {"Se", 78.971},     {"Br", 79.904},
    {"Kr", 83.798},    {"Rb", 85.4678},   {"Sr", 87.62},     {"Y", 88.90584},    {"Zr", 91.224},
    {"Nb", 92.90637},  {"Mo", 95.95},     {"Tc", 97.90721},  {"Ru", 101.07},     {"Rh", 102.9055},
    {"Pd", 106.42},    {"Ag", 107.8682},  {"Cd", 112.414},   {"In", 114.818},    {"Sn", 118.71},
    {"Sb", 121.76},    {"Te", 127.6},     {"I", 126.90447},  {"Xe", 131.293},    {"Cs", 132.905452},
    {"Ba", 137.327},   {"La", 138.90547}, {"Ce", 140.116},   {"Pr", 140.90766},  {"Nd", 144.242},
    {"Pm", 144.91276}, {"Sm", 150.36},    {"Eu", 151.964},   {"Gd", 157.25},     {"Tb", 158.92535},
    {"Dy", 162.5},     {"Ho", 164.93033}, {"Er", 167.259},   {"Tm", 168.93422},  {"Yb", 173.054},
    {"Lu", 174.9668},  {"Hf", 178.49},    {"Ta", 180.94788}, {"W", 183.84},      {"Re", 186.207},
    {"Os", 190.23},    {"Ir", 192.217},   {"Pt", 195.084},   {"Au", 196.966569}, {"Hg", 200.592},
    {"Tl", 204.38},    {"Pb", 207.2},     {"Bi", 208.9804},  {"Po", 208.98243},  {"At", 209.98715},
    {"Rn", 222.01758}, {"Fr", 223.01974}, {"Ra", 226.02541}, {"Ac", 227.02775},  {"Th", 232.0377},
    {"Pa", 231.03588}, {"U", 238.02891},  {"Np", 237.04817}, {"Pu", 244.06421},
}};

const Element* find_element(const std::string& symbol) {
  for (const auto& e : kElements) {
    if (symbol == e.symbol) return &e;
  }
  return nullptr;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------
// format dispatch

StructureFormat parse_structure_format(const std::string& name) {
  const std::string n = lower(name);
  if (n == "extxyz" || n == "xyz") return StructureFormat::ExtXYZ;
  if (n == "poscar" || n == "vasp" || n == "contcar") return StructureFormat::Poscar;
  if (n == "lammps-data" || n == "lammps" || n == "data" || n == "lmp") return StructureFormat::LammpsData;
  throw StructureFileError("unknown structure format '" + name + "'; use one of extxyz, poscar, lammps-data");
}

StructureFormat detect_structure_format(const std::string& path, const std::string& format) {
  if (!format.empty()) return parse_structure_format(format);
  const std::string base = basename(path);
  const std::string lb = lower(base);
  if (ends_with(lb, ".xyz") || ends_with(lb, ".extxyz")) return StructureFormat::ExtXYZ;
  if (lb.rfind("poscar", 0) == 0 || lb.rfind("contcar", 0) == 0 || ends_with(lb, ".vasp") ||
      ends_with(lb, ".poscar")) {
    return StructureFormat::Poscar;
  }
  if (ends_with(lb, ".data") || ends_with(lb, ".lmp") || ends_with(lb, ".lammps") ||
      lb.rfind("data.", 0) == 0) {
    return StructureFormat::LammpsData;
  }
  throw StructureFileError(path + ": cannot tell the structure format from the file name '" + base +
                           "'; name it *.xyz, POSCAR/*.vasp or *.data, or give the format explicitly "
                           "(extxyz, poscar, lammps-data)");
}

std::string format_name(StructureFormat f) {
  switch (f) {
    case StructureFormat::ExtXYZ:
      return "extxyz";
    case StructureFormat::Poscar:
      return "poscar";
    case StructureFormat::LammpsData:
      return "lammps-data";
  }
  return "?";
}

std::vector<Structure> read_structures(const std::string& path, const StructureReadOptions& opt) {
  switch (detect_structure_format(path, opt.format)) {
    case StructureFormat::ExtXYZ:
      return read_extxyz(path);
    case StructureFormat::Poscar:
      return {read_poscar(path, opt.species)};
    case StructureFormat::LammpsData:
      return {read_lammps_data(path, opt.species)};
  }
  return {};
}

Structure read_structure(const std::string& path, const StructureReadOptions& opt) {
  auto frames = read_structures(path, opt);
  const long n = static_cast<long>(frames.size());
  const long k = opt.frame < 0 ? n + opt.frame : opt.frame;
  if (k < 0 || k >= n) {
    throw StructureFileError(path + ": frame " + std::to_string(opt.frame) + " requested but the file has " +
                             std::to_string(n) + " frame(s); choose a frame in [" + std::to_string(-n) +
                             ", " + std::to_string(n - 1) + "]");
  }
  return std::move(frames[static_cast<std::size_t>(k)]);
}

void write_structures(const std::string& path, const std::vector<Structure>& frames,
                      const StructureWriteOptions& opt) {
  const StructureFormat f = detect_structure_format(path, opt.format);
  if (f == StructureFormat::ExtXYZ) {
    write_extxyz(path, frames, opt.append);
    return;
  }
  if (frames.size() != 1) {
    throw StructureFileError(path + ": " + format_name(f) + " holds exactly one structure but " +
                             std::to_string(frames.size()) + " were given; write datasets as extxyz");
  }
  if (f == StructureFormat::Poscar) write_poscar(path, frames[0], opt.poscar_direct);
  if (f == StructureFormat::LammpsData) write_lammps_data(path, frames[0], opt.species_order);
}

void write_structure(const std::string& path, const Structure& s, const StructureWriteOptions& opt) {
  write_structures(path, std::vector<Structure>{s}, opt);
}

// ---------------------------------------------------------------------------------------------------------
// elements, composition, density

bool is_element(const std::string& symbol) { return find_element(symbol) != nullptr; }

double atomic_mass(const std::string& symbol) {
  const Element* e = find_element(symbol);
  if (e == nullptr) {
    throw std::invalid_argument("unknown chemical element '" + symbol +
                                "'; species must be element symbols such as Li, P, O, N");
  }
  return e->mass;
}

std::string element_for_mass(double mass, double tolerance) {
  std::string best;
  int hits = 0;
  for (const auto& e : kElements) {
    if (std::abs(e.mass - mass) <= tolerance) {
      best = e.symbol;
      ++hits;
    }
  }
  return hits == 1 ? best : std::string();
}

double mass_density(const Structure& s) {
  double m = 0.0;
  for (const auto& sp : s.species) m += atomic_mass(sp);
  constexpr double amu_per_A3_to_g_per_cm3 = 1.66053906660;  // 1 amu / 1 Å³ = 1.66054 g/cm³
  return m / s.box.volume() * amu_per_A3_to_g_per_cm3;
}

std::vector<std::pair<std::string, long>> composition(const Structure& s) {
  std::vector<std::pair<std::string, long>> out;
  for (const auto& sp : s.species) {
    auto it = std::find_if(out.begin(), out.end(), [&](const auto& p) { return p.first == sp; });
    if (it == out.end()) {
      out.emplace_back(sp, 1);
    } else {
      ++it->second;
    }
  }
  return out;
}

std::string formula(const Structure& s) {
  std::string f;
  for (const auto& [sp, n] : composition(s)) f += sp + (n == 1 ? std::string() : std::to_string(n));
  return f;
}

// ---------------------------------------------------------------------------------------------------------
// pair search: linked cells in fractional coordinates, sized by the plane spacings so that any cell shape
// and any cutoff are exact (several images of one bin are visited when the cell is thinner than the cutoff).

void for_each_pair_within(const Structure& s, double cutoff,
                          const std::function<void(long, long, const Vec3&, double)>& f) {
  const long n = static_cast<long>(s.size());
  if (n == 0 || !(cutoff > 0.0)) return;
  const Box& box = s.box;
  std::vector<Vec3> frac(static_cast<std::size_t>(n));
  std::vector<Vec3i> wrap(static_cast<std::size_t>(n), Vec3i::Zero());
  Vec3 lo = Vec3::Constant(0.0), hi = Vec3::Constant(1.0);
  for (int k = 0; k < 3; ++k) {
    if (!box.periodic(k)) {
      lo[k] = std::numeric_limits<double>::infinity();
      hi[k] = -std::numeric_limits<double>::infinity();
    }
  }
  for (long i = 0; i < n; ++i) {
    Vec3 f_i = box.to_fractional(s.positions[static_cast<std::size_t>(i)]);
    for (int k = 0; k < 3; ++k) {
      if (box.periodic(k)) {
        const double fl = std::floor(f_i[k]);
        wrap[static_cast<std::size_t>(i)][k] = static_cast<int>(fl);
        f_i[k] -= fl;
        if (f_i[k] >= 1.0) f_i[k] = 0.0;
      } else {
        lo[k] = std::min(lo[k], f_i[k]);
        hi[k] = std::max(hi[k], f_i[k]);
      }
    }
    frac[static_cast<std::size_t>(i)] = f_i;
  }
  std::array<long, 3> nb{}, reach{};
  for (int k = 0; k < 3; ++k) {
    const double extent = std::max(hi[k] - lo[k], 0.0) * box.plane_spacing(k);  // Å, perpendicular
    long cells = static_cast<long>(std::floor(extent / cutoff));
    // Cap the grid at ~2 bins per atom per direction so sparse boxes do not allocate huge grids.
    cells = std::clamp(cells, 1L, std::max(1L, static_cast<long>(std::cbrt(2.0 * n)) + 1));
    nb[static_cast<std::size_t>(k)] = cells;
    const double width = extent / static_cast<double>(cells);
    long r = width > 0.0 ? static_cast<long>(std::ceil(cutoff / width)) : 0;
    if (!box.periodic(k)) r = std::min(r, cells - 1);
    reach[static_cast<std::size_t>(k)] = r;
  }
  auto bin_of = [&](const Vec3& fr) {
    std::array<long, 3> b{};
    for (int k = 0; k < 3; ++k) {
      const double span = hi[k] - lo[k];
      const double u = span > 0.0 ? (fr[k] - lo[k]) / span : 0.0;
      b[static_cast<std::size_t>(k)] =
          std::clamp(static_cast<long>(std::floor(u * static_cast<double>(nb[static_cast<std::size_t>(k)]))),
                     0L, nb[static_cast<std::size_t>(k)] - 1);
    }
    return b;
  };
  const long total = nb[0] * nb[1] * nb[2];
  std::vector<long> head(static_cast<std::size_t>(total), -1), next(static_cast<std::size_t>(n), -1);
  std::vector<std::array<long, 3>> bins(static_cast<std::size_t>(n));
  for (long i = n - 1; i >= 0; --i) {
    const auto b = bin_of(frac[static_cast<std::size_t>(i)]);
    bins[static_cast<std::size_t>(i)] = b;
    const long id = (b[0] * nb[1] + b[1]) * nb[2] + b[2];
    next[static_cast<std::size_t>(i)] = head[static_cast<std::size_t>(id)];
    head[static_cast<std::size_t>(id)] = i;
  }
  const double cut2 = cutoff * cutoff;
  const Mat3& H = box.cell();
  for (long i = 0; i < n; ++i) {
    const auto bi = bins[static_cast<std::size_t>(i)];
    const Vec3 xi = H.transpose() * frac[static_cast<std::size_t>(i)];
    for (long dx = -reach[0]; dx <= reach[0]; ++dx) {
      for (long dy = -reach[1]; dy <= reach[1]; ++dy) {
        for (long dz = -reach[2]; dz <= reach[2]; ++dz) {
          const std::array<long, 3> d{dx, dy, dz};
          std::array<long, 3> bj{};
          Vec3i m = Vec3i::Zero();
          bool inside = true;
          for (int k = 0; k < 3; ++k) {
            const long t = bi[static_cast<std::size_t>(k)] + d[static_cast<std::size_t>(k)];
            const long c = nb[static_cast<std::size_t>(k)];
            if (box.periodic(k)) {
              const long q = t >= 0 ? t / c : -((-t + c - 1) / c);
              m[k] = static_cast<int>(q);
              bj[static_cast<std::size_t>(k)] = t - q * c;
            } else {
              if (t < 0 || t >= c) inside = false;
              bj[static_cast<std::size_t>(k)] = t;
            }
          }
          if (!inside) continue;
          const Vec3 shift = H.transpose() * m.cast<double>();
          for (long j = head[static_cast<std::size_t>((bj[0] * nb[1] + bj[1]) * nb[2] + bj[2])]; j >= 0;
               j = next[static_cast<std::size_t>(j)]) {
            if (j < i) continue;
            if (j == i) {
              // An atom and its own image: visit each ±n pair once (n lexicographically positive).
              if (m.isZero()) continue;
              const bool positive = m[0] > 0 || (m[0] == 0 && (m[1] > 0 || (m[1] == 0 && m[2] > 0)));
              if (!positive) continue;
            }
            const Vec3 dv = H.transpose() * frac[static_cast<std::size_t>(j)] + shift - xi;
            const double r2 = dv.squaredNorm();
            if (r2 < cut2) f(i, j, dv, std::sqrt(r2));
          }
        }
      }
    }
  }
}

ClosestPair min_distance_check(const Structure& s, double min_distance) {
  ClosestPair best;
  if (s.size() == 0) return best;
  double limit = 0.0;  // beyond this radius every atom has met its own periodic image or all atoms
  for (int k = 0; k < 3; ++k) limit += s.box.vector(k).norm();
  Vec3 lo = s.positions[0], hi = s.positions[0];
  for (const auto& x : s.positions) {
    lo = lo.cwiseMin(x);
    hi = hi.cwiseMax(x);
  }
  limit += (hi - lo).norm();
  for (double r = std::max(min_distance, 2.0);; r *= 2.0) {
    for_each_pair_within(s, r, [&](long i, long j, const Vec3& d, double dist) {
      if (dist < best.distance) {
        best.i = i;
        best.j = j;
        best.distance = dist;
        // n from d = x_j + n·H - x_i
        const Vec3 nf = s.box.to_fractional(
            d - (s.positions[static_cast<std::size_t>(j)] - s.positions[static_cast<std::size_t>(i)]));
        best.image = Vec3i(static_cast<int>(std::lround(nf[0])), static_cast<int>(std::lround(nf[1])),
                           static_cast<int>(std::lround(nf[2])));
      }
    });
    if (best.found() || r > 2.0 * limit) return best;
  }
}

// ---------------------------------------------------------------------------------------------------------
// parsing helpers

namespace structure_io_detail {

std::string where(const std::string& file, long line) { return file + ":" + std::to_string(line); }

double parse_real(const std::string& token, const std::string& file, long line, const std::string& what) {
  const char* begin = token.c_str();
  char* end = nullptr;
  const double v = std::strtod(begin, &end);
  if (token.empty() || end != begin + token.size() || !std::isfinite(v)) {
    throw StructureFileError(where(file, line) + ": " + what + " '" + token +
                             "' is not a finite number; fix the value on this line");
  }
  return v;
}

long parse_integer(const std::string& token, const std::string& file, long line, const std::string& what) {
  const char* begin = token.c_str();
  char* end = nullptr;
  const long v = std::strtol(begin, &end, 10);
  if (token.empty() || end != begin + token.size()) {
    throw StructureFileError(where(file, line) + ": " + what + " '" + token +
                             "' is not an integer; fix the value on this line");
  }
  return v;
}

std::vector<std::string> split_ws(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  std::string t;
  while (in >> t) out.push_back(t);
  return out;
}

std::string format_real(double v) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

}  // namespace structure_io_detail

}  // namespace e3md
