#include "io/lammps_data.hpp"

#include <Eigen/LU>
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "io/structure_io.hpp"

namespace e3md {

namespace {

using structure_io_detail::format_real;
using structure_io_detail::parse_integer;
using structure_io_detail::parse_real;
using structure_io_detail::split_ws;
using structure_io_detail::where;

const std::set<std::string> kSections = {"Atoms",
                                         "Velocities",
                                         "Masses",
                                         "Ellipsoids",
                                         "Lines",
                                         "Triangles",
                                         "Bodies",
                                         "Bonds",
                                         "Angles",
                                         "Dihedrals",
                                         "Impropers",
                                         "Pair Coeffs",
                                         "PairIJ Coeffs",
                                         "Bond Coeffs",
                                         "Angle Coeffs",
                                         "Dihedral Coeffs",
                                         "Improper Coeffs",
                                         "BondBond Coeffs",
                                         "BondAngle Coeffs",
                                         "MiddleBondTorsion Coeffs",
                                         "EndBondTorsion Coeffs",
                                         "AngleTorsion Coeffs",
                                         "AngleAngleTorsion Coeffs",
                                         "BondBond13 Coeffs",
                                         "AngleAngle Coeffs"};

std::string strip_comment(const std::string& line, std::string* comment = nullptr) {
  const auto hash = line.find('#');
  if (comment != nullptr) *comment = hash == std::string::npos ? "" : line.substr(hash + 1);
  std::string s = hash == std::string::npos ? line : line.substr(0, hash);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  std::size_t b = 0;
  while (b < s.size() && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  return s.substr(b);
}

struct RawLine {
  long number;
  std::string text;     // without comment, trimmed
  std::string comment;  // text after '#'
};

}  // namespace

Structure read_lammps_data(const std::string& path, const std::vector<std::string>& species) {
  std::ifstream in(path);
  if (!in) throw StructureFileError(path + ": cannot open the structure file; check the path");
  std::vector<RawLine> lines;
  std::string line;
  long no = 0;
  while (std::getline(in, line)) {
    ++no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    RawLine r{no, "", ""};
    r.text = strip_comment(line, &r.comment);
    lines.push_back(r);
  }
  long natoms = -1, ntypes = -1;
  double lo[3] = {0, 0, 0}, hi[3] = {0, 0, 0};
  bool have[3] = {false, false, false};
  double xy = 0, xz = 0, yz = 0;
  std::size_t k = 1;  // line 1 is the title
  for (; k < lines.size(); ++k) {
    const auto& r = lines[k];
    if (r.text.empty()) continue;
    if (kSections.count(r.text) != 0) break;
    const auto t = split_ws(r.text);
    auto ends = [&](const std::string& a, const std::string& b) {
      return t.size() >= 2 && t[t.size() - 2] == a && t.back() == b;
    };
    if (t.size() == 2 && t[1] == "atoms") {
      natoms = parse_integer(t[0], path, r.number, "atom count");
    } else if (t.size() == 3 && t[1] == "atom" && t[2] == "types") {
      ntypes = parse_integer(t[0], path, r.number, "atom type count");
    } else if (t.size() == 4 && (ends("xlo", "xhi") || ends("ylo", "yhi") || ends("zlo", "zhi"))) {
      const int d = t[2][0] - 'x';
      lo[d] = parse_real(t[0], path, r.number, "box bound");
      hi[d] = parse_real(t[1], path, r.number, "box bound");
      have[d] = true;
    } else if (t.size() == 6 && t[3] == "xy" && t[4] == "xz" && t[5] == "yz") {
      xy = parse_real(t[0], path, r.number, "tilt factor xy");
      xz = parse_real(t[1], path, r.number, "tilt factor xz");
      yz = parse_real(t[2], path, r.number, "tilt factor yz");
    }
    // Other header lines (bonds, extra/bond/per/atom, ...) do not concern atomic structures.
  }
  if (natoms < 0 || ntypes < 1) {
    throw StructureFileError(path +
                             ": header lacks '<N> atoms' or '<M> atom types'; add both before the sections");
  }
  for (int d = 0; d < 3; ++d) {
    if (!have[d] || !(hi[d] > lo[d])) {
      throw StructureFileError(path + ": box bounds " + std::string(1, static_cast<char>('x' + d)) + "lo " +
                               std::string(1, static_cast<char>('x' + d)) +
                               "hi are missing or empty; give them in the header");
    }
  }
  Mat3 h;
  h << hi[0] - lo[0], 0, 0, xy, hi[1] - lo[1], 0, xz, yz, hi[2] - lo[2];
  const Vec3 origin(lo[0], lo[1], lo[2]);

  std::vector<double> masses(static_cast<std::size_t>(ntypes), -1.0);
  std::vector<std::string> mass_names(static_cast<std::size_t>(ntypes));
  struct AtomRow {
    long id, type, line;
    Vec3 x;
    Vec3i image;
  };
  std::vector<AtomRow> atoms;
  std::map<long, Vec3> vel;
  long atoms_header = -1;
  while (k < lines.size()) {
    const std::string section = lines[k].text;
    const std::string style = split_ws(lines[k].comment).empty() ? "" : split_ws(lines[k].comment)[0];
    const long header_line = lines[k].number;
    ++k;
    std::vector<const RawLine*> body;
    for (; k < lines.size(); ++k) {
      if (kSections.count(lines[k].text) != 0) break;
      if (!lines[k].text.empty()) body.push_back(&lines[k]);
    }
    if (section == "Masses") {
      for (const auto* r : body) {
        const auto t = split_ws(r->text);
        if (t.size() != 2) {
          throw StructureFileError(where(path, r->number) + ": Masses line needs 'type mass', found '" +
                                   r->text + "'");
        }
        const long ty = parse_integer(t[0], path, r->number, "atom type");
        if (ty < 1 || ty > ntypes) {
          throw StructureFileError(where(path, r->number) + ": atom type " + t[0] + " outside 1.." +
                                   std::to_string(ntypes) + "; fix the type or the 'atom types' header");
        }
        masses[static_cast<std::size_t>(ty - 1)] = parse_real(t[1], path, r->number, "mass");
        const auto c = split_ws(r->comment);
        if (!c.empty()) mass_names[static_cast<std::size_t>(ty - 1)] = c[0];
      }
    } else if (section == "Atoms") {
      atoms_header = header_line;
      if (static_cast<long>(body.size()) != natoms) {
        throw StructureFileError(where(path, header_line) + ": Atoms section has " +
                                 std::to_string(body.size()) + " lines but the header says " +
                                 std::to_string(natoms) +
                                 " atoms; the file is truncated or the atom count is wrong");
      }
      for (const auto* r : body) {
        const auto t = split_ws(r->text);
        // Column layout from the style comment, else from the column count.
        int xcol = -1, tcol = 1;
        const std::size_t n = t.size();
        if (style == "atomic" || (style.empty() && (n == 5 || n == 8))) {
          xcol = 2;
        } else if (style == "charge" || (style.empty() && (n == 6 || n == 9))) {
          xcol = 3;
        } else if (style == "full" || (style.empty() && (n == 7 || n == 10))) {
          xcol = 4;
          tcol = 2;
        } else {
          throw StructureFileError(where(path, r->number) + ": cannot read atom style '" + style + "' with " +
                                   std::to_string(n) +
                                   " columns; write the data file with atom_style atomic");
        }
        if (n != static_cast<std::size_t>(xcol + 3) && n != static_cast<std::size_t>(xcol + 6)) {
          throw StructureFileError(where(path, r->number) + ": Atoms line has " + std::to_string(n) +
                                   " columns; atom style " + (style.empty() ? "atomic" : style) + " needs " +
                                   std::to_string(xcol + 3) + " (or " + std::to_string(xcol + 6) +
                                   " with image flags)");
        }
        AtomRow a{parse_integer(t[0], path, r->number, "atom id"),
                  parse_integer(t[static_cast<std::size_t>(tcol)], path, r->number, "atom type"), r->number,
                  Vec3::Zero(), Vec3i::Zero()};
        for (int d = 0; d < 3; ++d)
          a.x[d] = parse_real(t[static_cast<std::size_t>(xcol + d)], path, r->number, "coordinate");
        if (n == static_cast<std::size_t>(xcol + 6)) {
          for (int d = 0; d < 3; ++d) {
            a.image[d] = static_cast<int>(
                parse_integer(t[static_cast<std::size_t>(xcol + 3 + d)], path, r->number, "image flag"));
          }
        }
        if (a.type < 1 || a.type > ntypes) {
          throw StructureFileError(where(path, r->number) + ": atom type " + std::to_string(a.type) +
                                   " outside 1.." + std::to_string(ntypes) +
                                   "; fix the type or the 'atom types' header");
        }
        atoms.push_back(a);
      }
    } else if (section == "Velocities") {
      for (const auto* r : body) {
        const auto t = split_ws(r->text);
        if (t.size() < 4) {
          throw StructureFileError(where(path, r->number) + ": Velocities line needs 'id vx vy vz'");
        }
        vel[parse_integer(t[0], path, r->number, "atom id")] =
            Vec3(parse_real(t[1], path, r->number, "velocity"), parse_real(t[2], path, r->number, "velocity"),
                 parse_real(t[3], path, r->number, "velocity"));
      }
    }
  }
  if (atoms_header < 0 && natoms > 0) {
    throw StructureFileError(path + ": no Atoms section; the file is truncated");
  }
  std::sort(atoms.begin(), atoms.end(), [](const AtomRow& a, const AtomRow& b) { return a.id < b.id; });
  for (std::size_t i = 1; i < atoms.size(); ++i) {
    if (atoms[i].id == atoms[i - 1].id) {
      throw StructureFileError(where(path, atoms[i].line) + ": atom id " + std::to_string(atoms[i].id) +
                               " appears twice; atom ids must be unique");
    }
  }
  // Species per type.
  std::vector<std::string> type_species(static_cast<std::size_t>(ntypes));
  for (long ty = 1; ty <= ntypes; ++ty) {
    const auto u = static_cast<std::size_t>(ty - 1);
    if (!species.empty()) {
      if (static_cast<long>(species.size()) < ntypes) {
        throw StructureFileError(path + ": the file has " + std::to_string(ntypes) +
                                 " atom types but the species list has " + std::to_string(species.size()) +
                                 " entries; give one species per type");
      }
      type_species[u] = species[u];
    } else if (is_element(mass_names[u])) {
      type_species[u] = mass_names[u];
    } else if (masses[u] > 0.0) {
      type_species[u] = element_for_mass(masses[u], 0.1);
      if (type_species[u].empty()) {
        throw StructureFileError(path + ": mass " + format_real(masses[u]) + " of atom type " +
                                 std::to_string(ty) +
                                 " matches no element within 0.1 amu; give the species list (type 1 first)");
      }
    } else {
      throw StructureFileError(
          path + ": atom type " + std::to_string(ty) +
          " has no mass and no species was given; add a Masses section or give the species list");
    }
  }
  Structure s;
  try {
    s.box = Box(h, {{true, true, true}});
  } catch (const std::invalid_argument& e) {
    throw StructureFileError(path + ": box is singular (" + std::string(e.what()) +
                             "); fix the header bounds");
  }
  bool any_image = false;
  for (const auto& a : atoms) {
    s.species.push_back(type_species[static_cast<std::size_t>(a.type - 1)]);
    s.positions.push_back(a.x - origin);
    s.images.push_back(a.image);
    any_image = any_image || !a.image.isZero();
  }
  if (!any_image) s.images.clear();
  if (!vel.empty()) {
    for (const auto& a : atoms) {
      auto it = vel.find(a.id);
      if (it == vel.end()) {
        throw StructureFileError(path + ": Velocities section lacks atom id " + std::to_string(a.id) +
                                 "; give a velocity for every atom or none");
      }
      s.velocities.push_back(it->second);
    }
  }
  return s;
}

namespace {

// Rigid rotation of a right-handed cell to a along x, b in the xy plane (the fractional coordinates of
// every atom are unchanged).
Mat3 lammps_rotated(const Mat3& cell_rows) {
  const Vec3 a = cell_rows.row(0), b = cell_rows.row(1), c = cell_rows.row(2);
  const double lx = a.norm();
  const double xy = b.dot(a) / lx;
  const double ly = std::sqrt(std::max(b.squaredNorm() - xy * xy, 0.0));
  const double xz = c.dot(a) / lx;
  const double yz = (b.dot(c) - xy * xz) / ly;
  Mat3 r;
  r << lx, 0, 0, xy, ly, 0, xz, yz, std::sqrt(std::max(c.squaredNorm() - xz * xz - yz * yz, 0.0));
  return r;
}

}  // namespace

Mat3 lammps_restricted_cell(const Mat3& cell_rows) {
  Mat3 r = lammps_rotated(cell_rows);
  // Tilt reduction by lattice-vector combinations: yz first (it moves xz), then xz, then xy.
  r.row(2) -= std::round(r(2, 1) / r(1, 1)) * r.row(1);
  r.row(2) -= std::round(r(2, 0) / r(0, 0)) * r.row(0);
  r.row(1) -= std::round(r(1, 0) / r(0, 0)) * r.row(0);
  return r;
}

void write_lammps_data(const std::string& path, const Structure& s,
                       const std::vector<std::string>& species_order) {
  std::vector<std::string> order = species_order;
  if (order.empty()) {
    for (const auto& [sp, n] : composition(s)) order.push_back(sp);
  }
  std::vector<int> type(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto it = std::find(order.begin(), order.end(), s.species[i]);
    if (it == order.end()) {
      throw std::invalid_argument("cannot write LAMMPS data " + path + ": species '" + s.species[i] +
                                  "' is not in the species order; add it to the list");
    }
    type[i] = static_cast<int>(it - order.begin()) + 1;
  }
  for (const auto& sp : order) {
    if (!is_element(sp)) {
      throw std::invalid_argument("cannot write LAMMPS data " + path + ": species '" + sp +
                                  "' is not a chemical element, so its mass is unknown; use element symbols");
    }
  }
  const Mat3 old_h = s.box.cell();
  const Mat3 new_h = lammps_restricted_cell(old_h);
  // Same fractional coordinates in the rotated cell; integer combinations of rows express the tilt
  // reduction, so fractional coordinates in the reduced cell follow from the unwrapped Cartesian ones.
  const Mat3 rot_h = lammps_rotated(old_h);
  const Box new_box(new_h, {{true, true, true}});
  std::ostringstream out;
  out << "LAMMPS data file written by e3md: " << formula(s) << " (atom_style atomic, units metal)\n\n";
  out << s.size() << " atoms\n" << order.size() << " atom types\n\n";
  out << "0.0 " << format_real(new_h(0, 0)) << " xlo xhi\n";
  out << "0.0 " << format_real(new_h(1, 1)) << " ylo yhi\n";
  out << "0.0 " << format_real(new_h(2, 2)) << " zlo zhi\n";
  out << format_real(new_h(1, 0)) << ' ' << format_real(new_h(2, 0)) << ' ' << format_real(new_h(2, 1))
      << " xy xz yz\n\nMasses\n\n";
  for (std::size_t t = 0; t < order.size(); ++t) {
    out << t + 1 << ' ' << format_real(atomic_mass(order[t])) << " # " << order[t] << '\n';
  }
  out << "\nAtoms # atomic\n\n";
  const Box old_box = s.box;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const Vec3i img = s.images.empty() ? Vec3i::Zero() : s.images[i];
    const Vec3 frac_unwrapped = old_box.to_fractional(s.positions[i]) + img.cast<double>();
    const Vec3 x_unwrapped = rot_h.transpose() * frac_unwrapped;
    Vec3 f = new_box.to_fractional(x_unwrapped);
    Vec3i n;
    for (int d = 0; d < 3; ++d) {
      n[d] = static_cast<int>(std::floor(f[d]));
      f[d] -= n[d];
    }
    const Vec3 x = new_box.to_cartesian(f);
    out << i + 1 << ' ' << type[i] << ' ' << format_real(x[0]) << ' ' << format_real(x[1]) << ' '
        << format_real(x[2]) << ' ' << n[0] << ' ' << n[1] << ' ' << n[2] << '\n';
  }
  if (!s.velocities.empty()) {
    // Velocities rotate with the cell: v_new = v · (H_old^-1 H_rot).
    const Mat3 m = old_box.inverse() * rot_h;
    out << "\nVelocities\n\n";
    for (std::size_t i = 0; i < s.size(); ++i) {
      const Vec3 v = m.transpose() * s.velocities[i];
      out << i + 1 << ' ' << format_real(v[0]) << ' ' << format_real(v[1]) << ' ' << format_real(v[2])
          << '\n';
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
