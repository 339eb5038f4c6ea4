#include "driver/builder_interface.hpp"

#include <Eigen/Eigenvalues>
#include <Eigen/Geometry>
#include <Eigen/LU>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "driver/builder_slab.hpp"

namespace e3md {

namespace {

// Cartesian rows of a structure's cell and positions, rigidly rotated so a is along x and b in the xy plane.
struct Upright {
  Mat3 cell;
  std::vector<Vec3> x;
};

Upright upright(const Structure& s) {
  const Vec3 a = s.box.vector(0), b = s.box.vector(1);
  Mat3 r;
  r.col(0) = a.normalized();
  r.col(2) = a.cross(b).normalized();
  r.col(1) = r.col(2).cross(r.col(0));
  Upright u;
  u.cell = s.box.cell() * r;
  for (const auto& p : s.positions) u.x.push_back(r.transpose() * p);
  return u;
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), f, v);
  return buf;
}

// The true in-plane translation lattice of a slab (rows, xy). The slab builder works with the conventional
// lattice of the bulk, whose surface cell V can be a multiple of the primitive surface cell (bcc (110) is
// centred rectangular): every in-plane vector between equivalent atoms of one plane that maps the whole slab
// onto itself is a lattice translation; the shortest two spanning the right area are the basis.
Eigen::Matrix2d primitive_surface_cell(const Structure& slab) {
  const Eigen::Matrix2d V = slab.box.cell().topLeftCorner<2, 2>();
  const Eigen::Matrix2d Vinv = V.inverse();
  auto frac = [&](const Vec3& x) {
    Eigen::RowVector2d f = x.head<2>().transpose() * Vinv;
    return f;
  };
  auto same = [&](const Eigen::RowVector2d& a, const Eigen::RowVector2d& b) {
    Eigen::RowVector2d d = a - b;
    for (int k = 0; k < 2; ++k) d[k] -= std::round(d[k]);
    return (d * V).norm() < 1e-6;
  };
  std::vector<Eigen::RowVector2d> group{Eigen::RowVector2d::Zero()};
  const Vec3& x0 = slab.positions[0];
  for (std::size_t j = 1; j < slab.size(); ++j) {
    if (slab.species[j] != slab.species[0] || std::abs(slab.positions[j][2] - x0[2]) > 1e-6) continue;
    const Eigen::RowVector2d t = frac(slab.positions[j]) - frac(x0);
    bool known = false;
    for (const auto& g : group) known = known || same(g, t);
    if (known) continue;
    bool translation = true;
    for (std::size_t i = 0; i < slab.size() && translation; ++i) {
      bool hit = false;
      for (std::size_t k = 0; k < slab.size() && !hit; ++k) {
        hit = slab.species[k] == slab.species[i] &&
              std::abs(slab.positions[k][2] - slab.positions[i][2]) < 1e-6 &&
              same(frac(slab.positions[i]) + t, frac(slab.positions[k]));
      }
      translation = hit;
    }
    if (translation) group.push_back(t);
  }
  // Candidates g + (i, j); shortest first; a basis spans 1/|G| of V's area.
  std::vector<Eigen::RowVector2d> cand;
  for (const auto& g : group)
    for (int i = -2; i <= 2; ++i)
      for (int j = -2; j <= 2; ++j) {
        Eigen::RowVector2d c = g;
        for (int k = 0; k < 2; ++k) c[k] -= std::floor(c[k] + 1e-9);
        c += Eigen::RowVector2d(i, j);
        if ((c * V).norm() > 1e-6) cand.push_back(c);
      }
  std::stable_sort(cand.begin(), cand.end(),
                   [&](const auto& a, const auto& b) { return (a * V).norm() < (b * V).norm() - 1e-9; });
  const double area = 1.0 / static_cast<double>(group.size());
  const Eigen::RowVector2d w1 = cand.front();
  for (const auto& w2 : cand) {
    const double det = w1[0] * w2[1] - w1[1] * w2[0];
    if (std::abs(std::abs(det) - area) < 1e-6) {
      Eigen::Matrix2d W;
      W.row(0) = w1;
      W.row(1) = det > 0 ? w2 : Eigen::RowVector2d(-w2);
      return W * V;
    }
  }
  return V;
}

}  // namespace

std::array<double, 2> principal_strains(const Eigen::Matrix2d& f) {
  // Stretches are the square roots of the eigenvalues of F Fᵀ (row convention: |x F|² = x F Fᵀ xᵀ).
  Eigen::SelfAdjointEigenSolver<Eigen::Matrix2d> es(f * f.transpose());
  const Eigen::Vector2d ev = es.eigenvalues();
  return {{std::sqrt(ev[0]) - 1.0, std::sqrt(ev[1]) - 1.0}};
}

InterfaceResult build_interface(const Structure& li_bulk, const Structure& block, const InterfaceOptions& o) {
  if (!(o.gap > 0.0)) throw std::invalid_argument("interface gap must be > 0 Å");
  if (o.vacuum < 0.0) throw std::invalid_argument("interface vacuum must be >= 0 Å (0 = periodic along c)");
  if (o.max_multiple < 1 || o.block_repeat_max < 1) {
    throw std::invalid_argument("max_multiple and block_repeat_max must be >= 1");
  }
  // Block: lateral cell L, c perpendicular.
  const Upright B = upright(block);
  const double bc = B.cell.row(2).norm();
  if (std::hypot(B.cell(2, 0), B.cell(2, 1)) > 1e-6 * bc) {
    throw std::invalid_argument(
        "the block's c vector is not perpendicular to its a, b plane; give an "
        "orthorhombic-like block (the amorphous builder makes one)");
  }
  // Li slab and its surface lattice V.
  SlabOptions so;
  so.miller = o.li_miller;
  so.layers = o.li_layers;
  so.min_thickness = o.li_layers > 0 ? 0.0 : o.li_min_thickness;
  so.vacuum = 10.0;
  const SlabResult slab = build_slab(li_bulk, so);
  const Eigen::Matrix2d V = primitive_surface_cell(slab.slab);
  const Eigen::Matrix2d Vslab = slab.slab.box.cell().topLeftCorner<2, 2>();
  const double per_cell = static_cast<double>(slab.slab.size()) * V.determinant() / Vslab.determinant();
  // Search S (and block repeats) for the smallest Li principal strain.
  InterfaceResult r;
  double best = 1e300;
  long best_atoms = 0;
  Eigen::Matrix2d best_L = Eigen::Matrix2d::Zero();
  const int n = o.max_multiple;
  for (int ma = 1; ma <= o.block_repeat_max; ++ma) {
    for (int mb = 1; mb <= o.block_repeat_max; ++mb) {
      Eigen::Matrix2d L = B.cell.topLeftCorner<2, 2>();
      L.row(0) *= ma;
      L.row(1) *= mb;
      const double area_l = L.determinant();
      for (int s00 = -n; s00 <= n; ++s00)
        for (int s01 = -n; s01 <= n; ++s01)
          for (int s10 = -n; s10 <= n; ++s10)
            for (int s11 = -n; s11 <= n; ++s11) {
              const int det = s00 * s11 - s01 * s10;
              if (det <= 0) continue;
              Eigen::Matrix2i S;
              S << s00, s01, s10, s11;
              const Eigen::Matrix2d P = S.cast<double>() * V;
              const double ratio = P.determinant() / area_l;
              if (ratio < 0.7 || ratio > 1.3) continue;  // cannot be within any sensible strain
              const Eigen::Matrix2d F = P.inverse() * L;
              const auto e = principal_strains(F);
              const double m = std::max(std::abs(e[0]), std::abs(e[1]));
              const long atoms =
                  std::lround(det * per_cell) + static_cast<long>(ma * mb) * static_cast<long>(block.size());
              if (m < best - 1e-9 || (std::abs(m - best) <= 1e-9 && atoms < best_atoms)) {
                best = m;
                best_atoms = atoms;
                r.li_supercell = S;
                r.block_repeat = {{ma, mb}};
                r.li_deformation = F;
                r.li_strain = e;
                best_L = L;
              }
            }
    }
  }
  if (!(best <= o.max_strain)) {
    throw std::invalid_argument(
        "no Li supercell within |S_ij| <= " + std::to_string(n) +
        " matches the block's lateral cell with strain <= " + fmt("%.3g", o.max_strain) + " (best " +
        (best < 1e299 ? fmt("%.4g", best) : std::string("none")) +
        "); raise max_multiple, block_repeat_max or max_strain");
  }
  r.li_surface_cell = V;
  // Li atoms of the supercell P = S V (every lattice translation whose image falls inside P).
  const Eigen::Matrix2d P = r.li_supercell.cast<double>() * V;
  const Eigen::Matrix2d Pinv = P.inverse();
  // Range of slab-cell translations whose images can fall inside P.
  int span = 1;
  for (int ca = 0; ca <= 1; ++ca)
    for (int cb = 0; cb <= 1; ++cb) {
      const Eigen::RowVector2d corner = (Eigen::RowVector2d(ca, cb) * P) * Vslab.inverse();
      span = std::max(span, static_cast<int>(std::ceil(corner.cwiseAbs().maxCoeff())) + 1);
    }
  Structure out;
  std::vector<Vec3> li;
  double li_top = -1e300;
  for (std::size_t i = 0; i < slab.slab.size(); ++i) {
    const Vec3& p = slab.slab.positions[i];
    for (int a = -span; a <= span; ++a)
      for (int b = -span; b <= span; ++b) {
        const Eigen::RowVector2d xy = p.head<2>().transpose() + a * Vslab.row(0) + b * Vslab.row(1);
        const Eigen::RowVector2d f = xy * Pinv;
        if (f[0] < -1e-9 || f[0] >= 1.0 - 1e-9 || f[1] < -1e-9 || f[1] >= 1.0 - 1e-9) continue;
        const Eigen::RowVector2d mapped = xy * r.li_deformation;
        li.emplace_back(mapped[0], mapped[1], p[2]);
        li_top = std::max(li_top, p[2]);
      }
  }
  const long li_expected = std::lround(r.li_supercell.cast<double>().determinant() * per_cell);
  if (static_cast<long>(li.size()) != li_expected) {
    throw std::logic_error("Li supercell tiling produced " + std::to_string(li.size()) + " atoms, expected " +
                           std::to_string(li_expected));
  }
  // Block atoms, wrapped into its (repeated) cell, shifted above the gap.
  const Box bbox(B.cell, {{true, true, true}});
  std::vector<Vec3> bx;
  double bzmin = 1e300, bzmax = -1e300;
  for (int ia = 0; ia < r.block_repeat[0]; ++ia)
    for (int ib = 0; ib < r.block_repeat[1]; ++ib)
      for (const auto& p : B.x) {
        Vec3 f = bbox.to_fractional(p);
        for (int k = 0; k < 3; ++k) f[k] -= std::floor(f[k]);
        f[0] += ia;
        f[1] += ib;
        const Vec3 q = bbox.to_cartesian(f);
        bx.push_back(q);
        bzmin = std::min(bzmin, q[2]);
        bzmax = std::max(bzmax, q[2]);
      }
  r.li_thickness = li_top;  // the slab builder puts its lowest atom at z = 0
  r.block_thickness = bzmax - bzmin;
  r.gap = o.gap;
  r.li_atoms = static_cast<long>(li.size());
  r.block_atoms = static_cast<long>(bx.size());
  const double zshift = li_top + o.gap - bzmin;
  const double cz = li_top + o.gap + r.block_thickness + (o.vacuum > 0.0 ? o.vacuum : o.gap);
  Mat3 h = Mat3::Zero();
  h.topLeftCorner<2, 2>() = best_L;
  h(2, 2) = cz;
  out.box = Box(h, {{true, true, true}});
  for (const auto& p : li) {
    out.species.push_back("Li");
    out.positions.push_back(p);
  }
  for (std::size_t k = 0; k < bx.size(); ++k) {
    out.species.push_back(block.species[k % block.size()]);
    out.positions.push_back(bx[k] + Vec3(0.0, 0.0, zshift));
  }
  out.info["config_type"] = "interface";
  out.info["li_miller"] = slab.slab.info.at("miller");
  out.info["li_strain"] = fmt("%.6g", r.li_strain[0]) + " " + fmt("%.6g", r.li_strain[1]);
  out.info["block_strain"] = "0 0";
  out.info["gap"] = fmt("%.6g", o.gap);
  out.info["vacuum"] = fmt("%.6g", o.vacuum);
  r.structure = out;
  return r;
}

}  // namespace e3md
