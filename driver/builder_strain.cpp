#include "driver/builder_strain.hpp"

#include <Eigen/LU>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "driver/builder_crystal.hpp"

namespace e3md {

StrainKind parse_strain_kind(const std::string& name) {
  if (name == "hydrostatic") return StrainKind::Hydrostatic;
  if (name == "orthorhombic") return StrainKind::Orthorhombic;
  if (name == "monoclinic") return StrainKind::Monoclinic;
  throw std::invalid_argument("unknown strain kind '" + name +
                              "'; use hydrostatic, orthorhombic or monoclinic");
}

std::string strain_kind_name(StrainKind k) {
  switch (k) {
    case StrainKind::Hydrostatic:
      return "hydrostatic";
    case StrainKind::Orthorhombic:
      return "orthorhombic";
    case StrainKind::Monoclinic:
      return "monoclinic";
  }
  return "?";
}

std::array<double, 6> cell_parameters(const Mat3& h) {
  std::array<double, 6> p{};
  for (int k = 0; k < 3; ++k) p[static_cast<std::size_t>(k)] = h.row(k).norm();
  for (int k = 0; k < 3; ++k) {
    const int i = (k + 1) % 3, j = (k + 2) % 3;
    const double c =
        h.row(i).dot(h.row(j)) / (p[static_cast<std::size_t>(i)] * p[static_cast<std::size_t>(j)]);
    p[static_cast<std::size_t>(3 + k)] = std::acos(std::clamp(c, -1.0, 1.0)) * 180.0 / M_PI;
  }
  return p;
}

Structure apply_strain(const Structure& s, StrainKind kind, double eps, int axis, int angle) {
  if (!(eps > -0.5 && eps < 0.5)) {
    throw std::invalid_argument(
        "strain " + std::to_string(eps) +
        " is outside (-50 %, +50 %); give strains as fractions such as -0.10 or 0.09");
  }
  if (axis < 0 || axis > 2 || angle < 0 || angle > 2) {
    throw std::invalid_argument("strain axis/angle index must be 0, 1 or 2 (a/b/c, alpha/beta/gamma)");
  }
  const Mat3 h0 = s.box.cell();
  Mat3 h = h0;
  switch (kind) {
    case StrainKind::Hydrostatic:
      h *= std::cbrt(1.0 + eps);
      break;
    case StrainKind::Orthorhombic:
      h.row(axis) *= 1.0 + eps;
      break;
    case StrainKind::Monoclinic: {
      auto p = cell_parameters(h0);
      p[static_cast<std::size_t>(3 + angle)] *= 1.0 + eps;
      if (!(p[static_cast<std::size_t>(3 + angle)] < 180.0)) {
        throw std::invalid_argument("monoclinic strain " + std::to_string(eps) +
                                    " makes a cell angle >= 180°");
      }
      Mat3 g;
      try {
        g = cell_from_parameters(p[0], p[1], p[2], p[3], p[4], p[5]);
      } catch (const std::invalid_argument& e) {
        throw std::invalid_argument("monoclinic strain " + std::to_string(eps) + ": " + e.what());
      }
      h = g * std::cbrt(h0.determinant() / g.determinant());
      break;
    }
  }
  Structure out = s;
  out.box = Box(h, s.box.periodic());
  for (std::size_t i = 0; i < s.size(); ++i)
    out.positions[i] = out.box.to_cartesian(s.box.to_fractional(s.positions[i]));
  // Labels of the unstrained cell do not describe the strained one.
  out.has_energy = false;
  out.has_stress = false;
  out.forces.clear();
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", eps);
  out.info["config_type"] = "strain_" + strain_kind_name(kind);
  out.info["strain"] = buf;
  return out;
}

std::vector<double> strain_values(const StrainSeriesOptions& o) {
  if (!(o.step > 0.0) || o.max < o.min) {
    throw std::invalid_argument(
        "strain series needs step > 0 and max >= min (fractions, e.g. -0.10 0.09 0.01)");
  }
  const long n = std::lround((o.max - o.min) / o.step);
  std::vector<double> v;
  for (long k = 0; k <= n; ++k) {
    // Integer multiples of the step: 0 is exactly 0 and there is no drift.
    v.push_back(std::round((o.min + static_cast<double>(k) * o.step) * 1e10) / 1e10);
  }
  return v;
}

std::vector<Structure> strain_series(const Structure& s, const StrainSeriesOptions& o) {
  std::vector<Structure> frames;
  for (double e : strain_values(o)) frames.push_back(apply_strain(s, o.kind, e, o.axis, o.angle));
  return frames;
}

}  // namespace e3md
