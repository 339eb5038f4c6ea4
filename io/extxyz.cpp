#include "io/extxyz.hpp"

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

// ASE's time unit Å·sqrt(amu/eV) in ps (CODATA 2014 amu and e, as in ASE 3.22): momenta/mass in ASE
// units divided by this gives Å/ps.
const double kAseTimePs = 1e-10 * std::sqrt(1.660539040e-27 / 1.6021766208e-19) * 1e12;

struct KeyValue {
  std::string key, value;
};

bool key_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool key_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; }

std::vector<KeyValue> parse_comment(const std::string& line, const std::string& file, long lineno) {
  std::vector<KeyValue> out;
  std::size_t p = 0;
  const std::size_t n = line.size();
  auto skip_ws = [&] {
    while (p < n && std::isspace(static_cast<unsigned char>(line[p]))) ++p;
  };
  while (true) {
    skip_ws();
    if (p >= n) break;
    if (!key_start(line[p])) {
      throw StructureFileError(where(file, lineno) + ": unexpected character '" + std::string(1, line[p]) +
                               "' in the extended XYZ comment line; write key=value pairs (quote values "
                               "with spaces)");
    }
    const std::size_t k0 = p;
    while (p < n && key_char(line[p])) ++p;
    KeyValue kv{line.substr(k0, p - k0), "T"};
    skip_ws();
    if (p < n && line[p] == '=') {
      ++p;
      skip_ws();
      if (p < n && (line[p] == '"' || line[p] == '{')) {
        const char close = line[p] == '"' ? '"' : '}';
        const std::size_t end = line.find(close, p + 1);
        if (end == std::string::npos) {
          throw StructureFileError(where(file, lineno) + ": value of key '" + kv.key + "' has no closing " +
                                   std::string(1, close) + "; close the quote");
        }
        kv.value = line.substr(p + 1, end - p - 1);
        p = end + 1;
      } else {
        const std::size_t v0 = p;
        while (p < n && !std::isspace(static_cast<unsigned char>(line[p]))) ++p;
        kv.value = line.substr(v0, p - v0);
      }
    }
    out.push_back(kv);
  }
  return out;
}

bool parse_flag(const std::string& t, const std::string& file, long lineno) {
  if (t == "T" || t == "True" || t == "true" || t == "1") return true;
  if (t == "F" || t == "False" || t == "false" || t == "0") return false;
  throw StructureFileError(where(file, lineno) + ": pbc entry '" + t +
                           "' is not T or F; write pbc=\"T T T\"");
}

struct Column {
  std::string name;
  char type;
  int count;
};

std::vector<Column> parse_properties(const std::string& value, const std::string& file, long lineno) {
  std::vector<std::string> f;
  std::string cur;
  for (char c : value) {
    if (c == ':') {
      f.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  f.push_back(cur);
  if (f.size() % 3 != 0) {
    throw StructureFileError(where(file, lineno) + ": Properties='" + value +
                             "' is not a list of name:type:count triples; e.g. species:S:1:pos:R:3");
  }
  std::vector<Column> cols;
  for (std::size_t i = 0; i < f.size(); i += 3) {
    if (f[i + 1].size() != 1 || std::string("RISL").find(f[i + 1][0]) == std::string::npos) {
      throw StructureFileError(where(file, lineno) + ": Properties column '" + f[i] + "' has type '" +
                               f[i + 1] + "'; the type must be one of R, I, S, L");
    }
    const long count = parse_integer(f[i + 2], file, lineno, "Properties column count of '" + f[i] + "'");
    if (count < 1) {
      throw StructureFileError(where(file, lineno) + ": Properties column '" + f[i] + "' has count " +
                               f[i + 2] + "; counts must be >= 1");
    }
    cols.push_back({f[i], f[i + 1][0], static_cast<int>(count)});
  }
  return cols;
}

std::vector<double> numbers(const std::string& value, std::size_t expected_a, std::size_t expected_b,
                            const std::string& key, const std::string& file, long lineno) {
  std::vector<double> v;
  for (const auto& t : split_ws(value)) v.push_back(parse_real(t, file, lineno, key + " entry"));
  if (v.size() != expected_a && v.size() != expected_b) {
    throw StructureFileError(
        where(file, lineno) + ": " + key + " has " + std::to_string(v.size()) + " numbers; expected " +
        std::to_string(expected_a) +
        (expected_b != expected_a ? " or " + std::to_string(expected_b) : std::string()));
  }
  return v;
}

bool next_line(std::istream& in, std::string& line, long& lineno) {
  if (!std::getline(in, line)) return false;
  ++lineno;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return true;
}

bool is_blank(const std::string& s) {
  for (char c : s) {
    if (!std::isspace(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

Structure parse_frame(std::istream& in, long natoms, const std::string& file, long& lineno, long frame) {
  std::string line;
  if (!next_line(in, line, lineno)) {
    throw StructureFileError(where(file, lineno) + ": frame " + std::to_string(frame) +
                             " ends before its comment line; the file is truncated");
  }
  const long comment_line = lineno;
  Structure s;
  bool have_lattice = false, have_pbc = false;
  Mat3 cell = Mat3::Zero();
  std::array<bool, 3> pbc{{true, true, true}};
  std::vector<Column> cols{{"species", 'S', 1}, {"pos", 'R', 3}};
  for (const auto& kv : parse_comment(line, file, comment_line)) {
    if (kv.key == "Lattice") {
      const auto v = numbers(kv.value, 9, 9, "Lattice", file, comment_line);
      for (int r = 0; r < 3; ++r) {
        for (int c = 0; c < 3; ++c) cell(r, c) = v[static_cast<std::size_t>(3 * r + c)];
      }
      have_lattice = true;
    } else if (kv.key == "Properties") {
      cols = parse_properties(kv.value, file, comment_line);
    } else if (kv.key == "pbc") {
      const auto t = split_ws(kv.value);
      if (t.size() != 3) {
        throw StructureFileError(where(file, comment_line) + ": pbc=\"" + kv.value +
                                 "\" needs three flags; write pbc=\"T T T\"");
      }
      for (int k = 0; k < 3; ++k)
        pbc[static_cast<std::size_t>(k)] = parse_flag(t[static_cast<std::size_t>(k)], file, comment_line);
      have_pbc = true;
    } else if (kv.key == "energy") {
      s.energy = parse_real(kv.value, file, comment_line, "energy");
      s.has_energy = true;
    } else if (kv.key == "stress") {
      const auto v = numbers(kv.value, 9, 6, "stress", file, comment_line);
      if (v.size() == 9) {
        for (int r = 0; r < 3; ++r) {
          for (int c = 0; c < 3; ++c) s.stress(r, c) = v[static_cast<std::size_t>(3 * r + c)];
        }
      } else {  // Voigt: xx yy zz yz xz xy
        s.stress << v[0], v[5], v[4], v[5], v[1], v[3], v[4], v[3], v[2];
      }
      s.has_stress = true;
    } else {
      s.info[kv.key] = kv.value;
    }
  }
  // Locate the columns this engine uses; everything else is skipped.
  int total = 0, c_species = -1, c_pos = -1, c_vel = -1, c_mom = -1, c_force = -1, c_image = -1;
  for (const auto& c : cols) {
    auto want = [&](int count, char type, int& slot) {
      if (c.count != count || c.type != type) {
        throw StructureFileError(where(file, comment_line) + ": Properties column '" + c.name + "' is " +
                                 std::string(1, c.type) + ":" + std::to_string(c.count) + "; expected " +
                                 std::string(1, type) + ":" + std::to_string(count));
      }
      slot = total;
    };
    if (c.name == "species")
      want(1, 'S', c_species);
    else if (c.name == "pos")
      want(3, 'R', c_pos);
    else if (c.name == "vel" || c.name == "velo" || c.name == "velocities")
      want(3, 'R', c_vel);
    else if (c.name == "momenta")
      want(3, 'R', c_mom);
    else if (c.name == "forces" || c.name == "force")
      want(3, 'R', c_force);
    else if (c.name == "image" || c.name == "images")
      want(3, 'I', c_image);
    total += c.count;
  }
  if (c_species < 0 || c_pos < 0) {
    throw StructureFileError(where(file, comment_line) +
                             ": Properties lacks species:S:1 or pos:R:3; every frame needs both columns");
  }
  const auto n = static_cast<std::size_t>(natoms);
  s.species.resize(n);
  s.positions.resize(n);
  if (c_vel >= 0 || c_mom >= 0) s.velocities.resize(n);
  if (c_force >= 0) s.forces.resize(n);
  if (c_image >= 0) s.images.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (!next_line(in, line, lineno)) {
      throw StructureFileError(where(file, lineno) + ": frame " + std::to_string(frame) + " ends after " +
                               std::to_string(i) + " of " + std::to_string(natoms) +
                               " atoms; the file is truncated or the atom count is wrong");
    }
    const auto t = split_ws(line);
    if (static_cast<int>(t.size()) != total) {
      throw StructureFileError(where(file, lineno) + ": atom line has " + std::to_string(t.size()) +
                               " fields but Properties declares " + std::to_string(total) +
                               "; fix the line or the Properties key (or the atom count)");
    }
    auto vec = [&](int c, const char* what) {
      return Vec3(parse_real(t[static_cast<std::size_t>(c)], file, lineno, what),
                  parse_real(t[static_cast<std::size_t>(c + 1)], file, lineno, what),
                  parse_real(t[static_cast<std::size_t>(c + 2)], file, lineno, what));
    };
    // ASE capitalises symbols on read; do the same so "LI" and "li" mean Li.
    std::string sp = t[static_cast<std::size_t>(c_species)];
    for (std::size_t k = 0; k < sp.size(); ++k) {
      sp[k] = static_cast<char>(k == 0 ? std::toupper(static_cast<unsigned char>(sp[k]))
                                       : std::tolower(static_cast<unsigned char>(sp[k])));
    }
    s.species[i] = sp;
    s.positions[i] = vec(c_pos, "position");
    if (c_vel >= 0) s.velocities[i] = vec(c_vel, "velocity");
    if (c_mom >= 0) {
      double m = 0.0;
      try {
        m = atomic_mass(sp);
      } catch (const std::invalid_argument&) {
        throw StructureFileError(where(file, lineno) + ": momenta need element masses but species '" + sp +
                                 "' is not an element; write velocities as vel:R:3 (Å/ps) instead");
      }
      s.velocities[i] = vec(c_mom, "momentum") / m / kAseTimePs;
    }
    if (c_force >= 0) s.forces[i] = vec(c_force, "force");
    if (c_image >= 0) {
      for (int k = 0; k < 3; ++k) {
        s.images[i][k] = static_cast<int>(
            parse_integer(t[static_cast<std::size_t>(c_image + k)], file, lineno, "image flag"));
      }
    }
  }
  if (have_lattice) {
    try {
      s.box = Box(cell, pbc);
    } catch (const std::invalid_argument& e) {
      throw StructureFileError(where(file, comment_line) + ": Lattice is singular or left-handed (" +
                               e.what() + ")");
    }
  } else {
    // Plain XYZ: no cell. A non-periodic box that spans the atoms keeps every layer working.
    if (have_pbc && (pbc[0] || pbc[1] || pbc[2])) {
      throw StructureFileError(where(file, comment_line) +
                               ": pbc has T flags but no Lattice is given; add Lattice=\"...\"");
    }
    Vec3 lo = Vec3::Zero(), hi = Vec3::Zero();
    if (n > 0) lo = hi = s.positions[0];
    for (const auto& x : s.positions) {
      lo = lo.cwiseMin(x);
      hi = hi.cwiseMax(x);
    }
    Mat3 h = Mat3::Zero();
    for (int k = 0; k < 3; ++k) h(k, k) = hi[k] - lo[k] + 10.0;
    s.box = Box(h, {{false, false, false}});
  }
  return s;
}

void check_key(const std::string& key) {
  bool ok = !key.empty() && key_start(key[0]);
  for (char c : key) ok = ok && key_char(c);
  if (!ok) {
    throw std::invalid_argument(
        "extended XYZ info key '" + key +
        "' is not a valid key; use letters, digits, '_' and '-', starting with a letter");
  }
  if (key == "Lattice" || key == "Properties" || key == "pbc" || key == "energy" || key == "stress") {
    throw std::invalid_argument("info key '" + key +
                                "' is reserved in extended XYZ; set Structure::energy/stress/box instead");
  }
}

std::string quote_if_needed(const std::string& key, const std::string& v) {
  if (v.find('"') != std::string::npos || v.find('\n') != std::string::npos) {
    throw std::invalid_argument("info value of '" + key +
                                "' contains a double quote or newline, which extended XYZ cannot hold");
  }
  bool plain = !v.empty();
  for (char c : v)
    plain = plain && !std::isspace(static_cast<unsigned char>(c)) && c != '=' && c != '{' && c != '}';
  return plain ? v : "\"" + v + "\"";
}

}  // namespace

std::vector<Structure> parse_extxyz(std::istream& in, const std::string& name) {
  std::vector<Structure> frames;
  std::string line;
  long lineno = 0;
  while (next_line(in, line, lineno)) {
    if (is_blank(line)) continue;  // blank lines between or after frames
    const auto t = split_ws(line);
    const long natoms = parse_integer(t[0], name, lineno, "atom count");
    if (t.size() != 1 || natoms < 0) {
      throw StructureFileError(where(name, lineno) + ": expected the atom count of frame " +
                               std::to_string(frames.size()) + " alone on this line, found '" + line + "'");
    }
    frames.push_back(parse_frame(in, natoms, name, lineno, static_cast<long>(frames.size())));
  }
  if (frames.empty()) {
    throw StructureFileError(name +
                             ":1: the file has no frames; an extended XYZ frame starts with the atom count");
  }
  return frames;
}

std::vector<Structure> read_extxyz(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw StructureFileError(path + ": cannot open the structure file; check the path");
  return parse_extxyz(in, path);
}

void write_extxyz_frame(std::ostream& out, const Structure& s) {
  const std::size_t n = s.size();
  if (s.species.size() != n || (!s.velocities.empty() && s.velocities.size() != n) ||
      (!s.forces.empty() && s.forces.size() != n) || (!s.images.empty() && s.images.size() != n)) {
    throw std::invalid_argument("structure arrays have inconsistent lengths (" + std::to_string(n) +
                                " positions); cannot write extended XYZ");
  }
  out << n << '\n';
  out << "Lattice=\"";
  const Mat3& h = s.box.cell();
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) out << (r + c == 0 ? "" : " ") << format_real(h(r, c));
  }
  out << "\" Properties=species:S:1:pos:R:3";
  if (!s.velocities.empty()) out << ":vel:R:3";
  if (!s.forces.empty()) out << ":forces:R:3";
  if (!s.images.empty()) out << ":image:I:3";
  if (s.has_energy) out << " energy=" << format_real(s.energy);
  if (s.has_stress) {
    out << " stress=\"";
    for (int r = 0; r < 3; ++r) {
      for (int c = 0; c < 3; ++c) out << (r + c == 0 ? "" : " ") << format_real(s.stress(r, c));
    }
    out << "\"";
  }
  for (const auto& [k, v] : s.info) {
    check_key(k);
    out << ' ' << k << '=' << quote_if_needed(k, v);
  }
  out << " pbc=\"" << (s.box.periodic(0) ? 'T' : 'F') << ' ' << (s.box.periodic(1) ? 'T' : 'F') << ' '
      << (s.box.periodic(2) ? 'T' : 'F') << "\"\n";
  auto put = [&](const Vec3& v) {
    out << ' ' << format_real(v[0]) << ' ' << format_real(v[1]) << ' ' << format_real(v[2]);
  };
  for (std::size_t i = 0; i < n; ++i) {
    out << s.species[i];
    put(s.positions[i]);
    if (!s.velocities.empty()) put(s.velocities[i]);
    if (!s.forces.empty()) put(s.forces[i]);
    if (!s.images.empty()) out << ' ' << s.images[i][0] << ' ' << s.images[i][1] << ' ' << s.images[i][2];
    out << '\n';
  }
}

void write_extxyz(const std::string& path, const std::vector<Structure>& frames, bool append) {
  std::ostringstream buf;  // format everything first: a bad frame throws before the file is touched
  for (const auto& s : frames) write_extxyz_frame(buf, s);
  if (append) {
    std::ofstream out(path, std::ios::app);
    if (!out)
      throw StructureFileError(path + ": cannot open for appending; check the folder exists and is writable");
    out << buf.str();
    if (!out) throw StructureFileError(path + ": write failed (disk full?)");
    return;
  }
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    if (!out)
      throw StructureFileError(path + ": cannot open for writing; check the folder exists and is writable");
    out << buf.str();
    if (!out) throw StructureFileError(path + ": write failed (disk full?)");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    throw StructureFileError(path + ": cannot move the finished file into place from " + tmp);
  }
}

}  // namespace e3md
