#include "io/poscar.hpp"

#include <Eigen/LU>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "io/structure_io.hpp"

namespace e3md {

namespace {

using structure_io_detail::format_real;
using structure_io_detail::parse_integer;
using structure_io_detail::parse_real;
using structure_io_detail::split_ws;
using structure_io_detail::where;

class Lines {
 public:
  explicit Lines(const std::string& path) : path_(path), in_(path) {
    if (!in_) throw StructureFileError(path + ": cannot open the structure file; check the path");
  }
  // Next line; throws "truncated" naming what was expected.
  std::string next(const std::string& expected) {
    std::string line;
    if (!get(line)) {
      throw StructureFileError(where(path_, lineno_ + 1) + ": file ends where " + expected +
                               " was expected; the POSCAR is truncated");
    }
    return line;
  }
  bool get(std::string& line) {
    if (!std::getline(in_, line)) return false;
    ++lineno_;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return true;
  }
  long line() const { return lineno_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::ifstream in_;
  long lineno_ = 0;
};

Vec3 three_reals(const std::vector<std::string>& t, const Lines& L, const std::string& what) {
  if (t.size() < 3) {
    throw StructureFileError(where(L.path(), L.line()) + ": " + what + " needs 3 numbers, found " +
                             std::to_string(t.size()) + "; fix this line");
  }
  return Vec3(parse_real(t[0], L.path(), L.line(), what), parse_real(t[1], L.path(), L.line(), what),
              parse_real(t[2], L.path(), L.line(), what));
}

bool looks_numeric(const std::string& t) {
  return !t.empty() && (std::isdigit(static_cast<unsigned char>(t[0])) || t[0] == '-' || t[0] == '+');
}

std::string element_of(const std::string& token) {
  const auto cut = token.find_first_of("_/");
  return cut == std::string::npos ? token : token.substr(0, cut);
}

}  // namespace

Structure read_poscar(const std::string& path, const std::vector<std::string>& species_given) {
  Lines L(path);
  Structure s;
  const std::string comment = L.next("the comment line");
  s.info["comment"] = comment;

  const auto scale_t = split_ws(L.next("the scale factor"));
  if (scale_t.empty()) {
    throw StructureFileError(where(path, L.line()) + ": line 2 must hold the scale factor (e.g. 1.0)");
  }
  Vec3 scale3 = Vec3::Ones();
  double volume_target = 0.0;
  if (scale_t.size() >= 3 && looks_numeric(scale_t[1])) {
    scale3 = three_reals(scale_t, L, "scale factor");
    if ((scale3.array() <= 0.0).any()) {
      throw StructureFileError(where(path, L.line()) + ": three scale factors must all be positive");
    }
  } else {
    const double sc = parse_real(scale_t[0], path, L.line(), "scale factor");
    if (sc == 0.0) throw StructureFileError(where(path, L.line()) + ": scale factor is 0; use 1.0");
    if (sc < 0.0) {
      volume_target = -sc;  // VASP: a negative scale is the cell volume
    } else {
      scale3 = Vec3::Constant(sc);
    }
  }
  Mat3 h;
  for (int r = 0; r < 3; ++r) {
    h.row(r) = three_reals(split_ws(L.next("lattice vector " + std::to_string(r + 1))), L,
                           "lattice vector " + std::to_string(r + 1))
                   .transpose();
  }
  const long lattice_line = L.line();
  if (volume_target > 0.0) {
    const double v0 = std::abs(h.determinant());
    if (v0 < 1e-12) {
      throw StructureFileError(where(path, lattice_line) + ": lattice vectors are singular; fix lines 3-5");
    }
    scale3 = Vec3::Constant(std::cbrt(volume_target / v0));
  }
  for (int r = 0; r < 3; ++r) h.row(r) *= scale3[r];
  try {
    s.box = Box(h, {{true, true, true}});
  } catch (const std::invalid_argument& e) {
    throw StructureFileError(where(path, lattice_line) +
                             ": lattice vectors on lines 3-5 are singular or "
                             "left-handed; give a, b, c as a right-handed set (" +
                             std::string(e.what()) + ")");
  }

  // Species line (VASP 5) or counts directly (VASP 4).
  auto t = split_ws(L.next("the species or counts line"));
  std::vector<std::string> names;
  long species_line = 0;
  if (!t.empty() && !looks_numeric(t[0])) {
    species_line = L.line();
    for (const auto& tok : t) {
      const std::string el = element_of(tok);
      if (!is_element(el)) {
        throw StructureFileError(where(path, species_line) + ": species '" + tok +
                                 "' is not a chemical element; write element symbols on the species line");
      }
      names.push_back(el);
    }
    t = split_ws(L.next("the counts line"));
  }
  std::vector<long> counts;
  for (const auto& tok : t) {
    if (!looks_numeric(tok)) break;
    counts.push_back(parse_integer(tok, path, L.line(), "atom count"));
    if (counts.back() < 0) {
      throw StructureFileError(where(path, L.line()) + ": negative atom count " + tok);
    }
  }
  const long counts_line = L.line();
  if (counts.empty()) {
    throw StructureFileError(where(path, counts_line) +
                             ": expected the atom counts per species on this line");
  }
  if (names.empty()) {
    if (species_given.empty()) {
      throw StructureFileError(where(path, counts_line) +
                               ": VASP 4 POSCAR has no species line; add a species line above the counts "
                               "(VASP 5) or give the species list");
    }
    names = species_given;
  } else if (!species_given.empty() && species_given != names) {
    throw StructureFileError(where(path, species_line) +
                             ": species line differs from the species list given; drop the list or fix it");
  }
  if (names.size() != counts.size()) {
    throw StructureFileError(where(path, counts_line) + ": " + std::to_string(counts.size()) +
                             " counts for " + std::to_string(names.size()) +
                             " species; give one count per species");
  }
  for (const auto& nm : names) {
    if (!is_element(nm)) {
      throw StructureFileError(path + ": species '" + nm +
                               "' from the species list is not a chemical element; use element symbols");
    }
  }

  std::string mode = L.next("the coordinate mode line (Direct or Cartesian)");
  bool selective = false;
  auto first = [](const std::string& line) {
    for (char c : line) {
      if (!std::isspace(static_cast<unsigned char>(c)))
        return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return '\0';
  };
  if (first(mode) == 's') {
    selective = true;
    mode = L.next("the coordinate mode line (Direct or Cartesian)");
  }
  const char m = first(mode);
  bool cartesian = false;
  if (m == 'c' || m == 'k') {
    cartesian = true;
    if (scale3[0] != scale3[1] || scale3[0] != scale3[2]) {
      throw StructureFileError(
          where(path, L.line()) +
          ": three different scale factors with Cartesian coordinates are ambiguous; use "
          "one scale factor or Direct coordinates");
    }
  } else if (m != 'd') {
    throw StructureFileError(where(path, L.line()) + ": coordinate mode '" + mode +
                             "' is neither Direct nor Cartesian; write Direct or Cartesian");
  }
  long total = 0;
  for (long c : counts) total += c;
  for (std::size_t g = 0; g < names.size(); ++g) {
    for (long k = 0; k < counts[g]; ++k) {
      const auto tt = split_ws(
          L.next("coordinates of atom " + std::to_string(s.size() + 1) + " of " + std::to_string(total)));
      Vec3 v = three_reals(tt, L, "coordinate");
      if (selective && tt.size() < 6) {
        throw StructureFileError(where(path, L.line()) +
                                 ": Selective dynamics needs three T/F flags after the coordinates");
      }
      const Vec3 x = cartesian ? Vec3(v * scale3[0]) : s.box.to_cartesian(v);
      s.species.push_back(names[g]);
      s.positions.push_back(x);
    }
  }
  // Optional velocity block (CONTCAR of MD runs): blank line, then one Cartesian Å/fs vector per atom.
  std::string line;
  while (L.get(line)) {
    const auto tt = split_ws(line);
    if (tt.empty()) continue;
    if (!looks_numeric(tt[0])) break;  // e.g. "Lattice velocities and vectors" blocks: not used
    s.velocities.resize(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
      const auto vt = i == 0 ? tt : split_ws(L.next("velocity of atom " + std::to_string(i + 1)));
      s.velocities[i] = three_reals(vt, L, "velocity") * 1000.0;  // Å/fs -> Å/ps
    }
    break;
  }
  return s;
}

void write_poscar(const std::string& path, const Structure& s, bool direct) {
  std::ostringstream out;
  auto it = s.info.find("comment");
  std::string comment = it != s.info.end() ? it->second : formula(s);
  for (auto& c : comment) {
    if (c == '\n') c = ' ';
  }
  out << comment << "\n1.0\n";
  for (int r = 0; r < 3; ++r) {
    out << "  " << format_real(s.box.cell()(r, 0)) << ' ' << format_real(s.box.cell()(r, 1)) << ' '
        << format_real(s.box.cell()(r, 2)) << '\n';
  }
  std::vector<std::pair<std::string, long>> runs;
  for (const auto& sp : s.species) {
    if (!is_element(sp)) {
      throw std::invalid_argument("cannot write POSCAR " + path + ": species '" + sp +
                                  "' is not a chemical element (VASP needs element symbols)");
    }
    if (runs.empty() || runs.back().first != sp) {
      runs.emplace_back(sp, 1);
    } else {
      ++runs.back().second;
    }
  }
  for (const auto& r : runs) out << ' ' << r.first;
  out << '\n';
  for (const auto& r : runs) out << ' ' << r.second;
  out << '\n' << (direct ? "Direct" : "Cartesian") << '\n';
  for (const auto& x : s.positions) {
    const Vec3 v = direct ? s.box.to_fractional(x) : x;
    out << "  " << format_real(v[0]) << ' ' << format_real(v[1]) << ' ' << format_real(v[2]) << '\n';
  }
  if (!s.velocities.empty()) {
    out << '\n';
    for (const auto& v : s.velocities) {
      const Vec3 w = v / 1000.0;  // Å/ps -> Å/fs
      out << "  " << format_real(w[0]) << ' ' << format_real(w[1]) << ' ' << format_real(w[2]) << '\n';
    }
  }
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp);
    if (!f)
      throw StructureFileError(path + ": cannot open for writing; check the folder exists and is writable");
    f << out.str();
    if (!f) throw StructureFileError(path + ": write failed (disk full?)");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    throw StructureFileError(path + ": cannot move the finished file into place from " + tmp);
  }
}

}  // namespace e3md
