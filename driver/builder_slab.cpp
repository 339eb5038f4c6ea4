#include "driver/builder_slab.hpp"

#include <Eigen/Geometry>
#include <Eigen/LU>
#include <Eigen/QR>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <stdexcept>

namespace e3md {

namespace {

constexpr double kPlaneTolerance = 0.05;  // Å: atoms closer than this along the normal share a plane

std::string miller_text(const Vec3i& m) {
  return std::to_string(m[0]) + " " + std::to_string(m[1]) + " " + std::to_string(m[2]);
}

Vec3i primitive_miller(const Vec3i& m) {
  if (m.isZero()) {
    throw std::invalid_argument("Miller index 0 0 0 does not define a plane; give h k l not all zero");
  }
  const int g = std::gcd(std::gcd(std::abs(m[0]), std::abs(m[1])), std::abs(m[2]));
  return m / g;
}

// Rotation (columns e1, e2, e3) taking the rows of h to a along x, b in the xy plane.
Mat3 upright_rotation(const Mat3& h) {
  const Vec3 a = h.row(0), b = h.row(1);
  const Vec3 e1 = a.normalized();
  const Vec3 e3 = a.cross(b).normalized();
  const Vec3 e2 = e3.cross(e1);
  Mat3 r;
  r.col(0) = e1;
  r.col(1) = e2;
  r.col(2) = e3;
  return r;  // x_new (row) = x_old (row) · r
}

struct Layered {
  Mat3 cell;                   // rotated unimodular cell, rows u1, u2, u3
  std::vector<Vec3> frac;      // fractional coordinates in that cell, in [0, 1)
  std::vector<double> planes;  // distinct plane positions along u3 (fractional), ascending
  double d = 0.0;              // Å
  Eigen::Matrix3i m;
};

Layered layer_bulk(const Structure& bulk, const Vec3i& miller) {
  Layered L;
  L.m = surface_transform(bulk.box.cell(), miller);
  const Mat3 hp = L.m.cast<double>() * bulk.box.cell();
  L.cell = hp * upright_rotation(hp);
  L.d = L.cell(2, 2);
  const Mat3 inv = hp.inverse();
  std::vector<double> s3;
  for (const auto& x : bulk.positions) {
    Vec3 f = (x.transpose() * inv).transpose();
    for (int k = 0; k < 3; ++k) {
      f[k] -= std::floor(f[k]);
      if (f[k] >= 1.0) f[k] = 0.0;
    }
    L.frac.push_back(f);
    s3.push_back(f[2]);
  }
  std::sort(s3.begin(), s3.end());
  const double tol = kPlaneTolerance / L.d;
  for (double v : s3) {
    if (L.planes.empty() || v - L.planes.back() > tol) L.planes.push_back(v);
  }
  // A plane just below 1 is the same as the plane at 0 of the next period.
  if (L.planes.size() > 1 && L.planes.back() + tol > 1.0 + L.planes.front()) L.planes.pop_back();
  return L;
}

}  // namespace

Eigen::Matrix3i surface_transform(const Mat3& bulk_cell, const Vec3i& miller_in) {
  const Vec3i hkl = primitive_miller(miller_in);
  const int n = hkl.cwiseAbs().maxCoeff() + 2;
  auto cart = [&](const Vec3i& u) { return Vec3(bulk_cell.transpose() * u.cast<double>()); };
  std::vector<Vec3i> plane;
  for (int x = -n; x <= n; ++x)
    for (int y = -n; y <= n; ++y)
      for (int z = -n; z <= n; ++z) {
        const Vec3i u(x, y, z);
        if (!u.isZero() && hkl.dot(u) == 0) plane.push_back(u);
      }
  std::stable_sort(plane.begin(), plane.end(),
                   [&](const Vec3i& a, const Vec3i& b) { return cart(a).norm() < cart(b).norm() - 1e-9; });
  const Vec3i u1 = plane.front();
  Vec3i u2 = Vec3i::Zero();
  for (const auto& u : plane) {
    const Vec3i c = u1.cross(u);
    if (c == hkl) {
      u2 = u;
      break;
    }
    if (c == -hkl) {
      u2 = -u;
      break;
    }
  }
  if (u2.isZero()) throw std::logic_error("no in-plane lattice basis found for (" + miller_text(hkl) + ")");
  // Any u3 with hkl·u3 = 1, then reduced against u1, u2 to minimise its in-plane part.
  Vec3i u3 = Vec3i::Zero();
  for (int x = -n; x <= n && u3.isZero(); ++x)
    for (int y = -n; y <= n && u3.isZero(); ++y)
      for (int z = -n; z <= n && u3.isZero(); ++z)
        if (hkl.dot(Vec3i(x, y, z)) == 1) u3 = Vec3i(x, y, z);
  const Vec3 c1 = cart(u1), c2 = cart(u2);
  Eigen::Matrix<double, 3, 2> basis;
  basis.col(0) = c1;
  basis.col(1) = c2;
  const Eigen::Vector2d ab = basis.colPivHouseholderQr().solve(cart(u3));
  u3 -= static_cast<int>(std::round(ab[0])) * u1 + static_cast<int>(std::round(ab[1])) * u2;
  Vec3i best = u3;
  for (int i = -1; i <= 1; ++i)
    for (int j = -1; j <= 1; ++j) {
      const Vec3i cand = u3 + i * u1 + j * u2;
      if (cart(cand).norm() < cart(best).norm() - 1e-9) best = cand;
    }
  Eigen::Matrix3i m;
  m.row(0) = u1.transpose();
  m.row(1) = u2.transpose();
  m.row(2) = best.transpose();
  return m;
}

int count_terminations(const Structure& bulk, const Vec3i& miller) {
  return static_cast<int>(layer_bulk(bulk, miller).planes.size());
}

SlabResult build_slab(const Structure& bulk, const SlabOptions& o) {
  const Vec3i hkl = primitive_miller(o.miller);
  if (!(o.vacuum > 0.0)) {
    throw std::invalid_argument("slab vacuum must be > 0 Å (got " + std::to_string(o.vacuum) +
                                "); for a bulk-periodic cell use the crystal builder");
  }
  if (o.layers < 0 || (o.layers == 0 && !(o.min_thickness > 0.0))) {
    throw std::invalid_argument("slab needs layers >= 1 or a positive minimum thickness (Å)");
  }
  const Layered L = layer_bulk(bulk, hkl);
  const int nterm = static_cast<int>(L.planes.size());
  if (o.termination < 0 || o.termination >= nterm) {
    throw std::invalid_argument("termination " + std::to_string(o.termination) + " out of range: (" +
                                miller_text(hkl) + ") has " + std::to_string(nterm) +
                                " distinct planes per period; choose 0.." + std::to_string(nterm - 1));
  }
  const double tol = kPlaneTolerance / L.d;
  std::vector<double> s3w(L.frac.size());
  double top = 0.0;
  for (std::size_t i = 0; i < L.frac.size(); ++i) {
    double v = L.frac[i][2] - L.planes[static_cast<std::size_t>(o.termination)] + tol;
    v -= std::floor(v);
    s3w[i] = v;
    top = std::max(top, v);
  }
  int layers = o.layers;
  if (layers == 0) {
    layers = 1;
    while ((static_cast<double>(layers - 1) + top) * L.d < o.min_thickness - 1e-12) ++layers;
  }
  SlabResult r;
  r.transform = L.m;
  r.d_spacing = L.d;
  r.terminations = nterm;
  r.layers = layers;
  Structure& s = r.slab;
  std::vector<Vec3> x;
  double zmin = 1e300, zmax = -1e300;
  for (std::size_t i = 0; i < L.frac.size(); ++i) {
    for (int k = 0; k < layers; ++k) {
      const Vec3 f(L.frac[i][0], L.frac[i][1], s3w[i] + k);
      const Vec3 p = L.cell.transpose() * f;
      x.push_back(p);
      s.species.push_back(bulk.species[i]);
      zmin = std::min(zmin, p[2]);
      zmax = std::max(zmax, p[2]);
    }
  }
  r.thickness = zmax - zmin;
  Mat3 h = L.cell;
  h.row(2) = Vec3(0.0, 0.0, r.thickness + o.vacuum).transpose();
  s.box = Box(h, {{true, true, true}});
  for (auto& p : x) {
    p[2] -= zmin;
    Vec3 f = s.box.to_fractional(p);
    for (int k = 0; k < 2; ++k) f[k] -= std::floor(f[k]);
    s.positions.push_back(s.box.to_cartesian(f));
  }
  s.info = bulk.info;
  s.info.erase("strain");
  s.info["config_type"] = "slab";
  s.info["miller"] = miller_text(hkl);
  s.info["termination"] = std::to_string(o.termination);
  s.info["layers"] = std::to_string(layers);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.6f", o.vacuum);
  s.info["vacuum"] = buf;
  return r;
}

}  // namespace e3md
