// Real spherical harmonics of an edge vector in e3nn's basis (normalize=True, normalization="component"):
// Y^l_m(e3nn)(x,y,z) = sqrt(4 pi) Y_{l,m-l}(textbook real form, no Condon-Shortley phase)(X=z, Y=x, Z=y),
// i.e. the polar axis is y. Evaluated for every l by recurrences (associated Legendre polynomials in the
// polar coordinate, (X + iY)^m for the azimuth), so no per-l formula exists in the code. Sum_m (Y^l_m)^2 =
// 2l+1 on the sphere. Layout: Y = [Y^0 | Y^1 | ... | Y^lmax], block l starts at l*l.
#pragma once

#include "kernels/hd.hpp"

namespace e3md::kernels {

constexpr int kShLmaxMax = 8;
constexpr int kShDimMax = (kShLmaxMax + 1) * (kShLmaxMax + 1);

E3MD_HD_INLINE constexpr int sh_dim(int lmax) { return (lmax + 1) * (lmax + 1); }

// Y (sh_dim(lmax) values) of r (not necessarily unit; r = 0 gives the harmonics of (0,0,0)/1e-12, like
// torch's F.normalize). When dY is not null it receives dY/dr, layout dY[c * sh_dim + i] for c = x,y,z:
// the derivative with respect to the unnormalised vector (tangential, divided by |r|).
template <class Real>
E3MD_HD void spherical_harmonics(int lmax, const Real r[3], Real* Y, Real* dY) {
  const int dim = sh_dim(lmax);
  Real n = hd_sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2]);
  if (n < Real(1e-12)) n = Real(1e-12);
  const Real u[3] = {r[0] / n, r[1] / n, r[2] / n};
  // Textbook axes in e3nn variables: X = z, Y = x, Z = y (the polar axis).
  const Real X = u[2], Yt = u[0], Z = u[1];

  // c_m + i s_m = (X + i Y)^m and their partial derivatives in X and Y.
  Real c[kShLmaxMax + 1], s[kShLmaxMax + 1];
  c[0] = Real(1);
  s[0] = Real(0);
  for (int m = 1; m <= lmax; ++m) {
    c[m] = X * c[m - 1] - Yt * s[m - 1];
    s[m] = X * s[m - 1] + Yt * c[m - 1];
  }

  // Q_l^m(Z) = P_l^m / (1-Z^2)^(m/2) without the Condon-Shortley phase, and dQ/dZ; index l*(l+1)/2 + m.
  constexpr int kQ = (kShLmaxMax + 1) * (kShLmaxMax + 2) / 2;
  Real Q[kQ], dQ[kQ];
  auto qi = [](int l, int m) { return l * (l + 1) / 2 + m; };
  for (int m = 0; m <= lmax; ++m) {
    Real qmm = Real(1);
    for (int k = 1; k <= m; ++k) qmm *= Real(2 * k - 1);  // (2m-1)!!
    Q[qi(m, m)] = qmm;
    dQ[qi(m, m)] = Real(0);
    if (m + 1 <= lmax) {
      Q[qi(m + 1, m)] = Real(2 * m + 1) * Z * qmm;
      dQ[qi(m + 1, m)] = Real(2 * m + 1) * qmm;
    }
    for (int l = m + 2; l <= lmax; ++l) {
      const Real a = Real(2 * l - 1), b = Real(l + m - 1), inv = Real(1) / Real(l - m);
      Q[qi(l, m)] = (a * Z * Q[qi(l - 1, m)] - b * Q[qi(l - 2, m)]) * inv;
      dQ[qi(l, m)] = (a * (Q[qi(l - 1, m)] + Z * dQ[qi(l - 1, m)]) - b * dQ[qi(l - 2, m)]) * inv;
    }
  }

  for (int l = 0; l <= lmax; ++l) {
    const int base = l * l + l;  // index of m = 0 in the concatenated layout
    for (int m = 0; m <= l; ++m) {
      // N = sqrt((2l+1) (l-m)!/(l+m)!), times sqrt(2) for m != 0.
      Real ratio = Real(1);
      for (int k = l - m + 1; k <= l + m; ++k) ratio /= Real(k);
      const Real N = hd_sqrt(Real(2 * l + 1) * ratio * (m == 0 ? Real(1) : Real(2)));
      const Real q = N * Q[qi(l, m)], dq = N * dQ[qi(l, m)];
      if (m == 0) {
        Y[base] = q;
        if (dY) {
          // gradient in (X, Y, Z) = (z, x, y); stored in x,y,z order below
          dY[0 * dim + base] = Real(0);
          dY[1 * dim + base] = dq;
          dY[2 * dim + base] = Real(0);
        }
        continue;
      }
      Y[base + m] = q * c[m];
      Y[base - m] = q * s[m];
      if (dY) {
        // d c_m/dX = m c_{m-1}, d c_m/dY = -m s_{m-1}; d s_m/dX = m s_{m-1}, d s_m/dY = m c_{m-1}.
        const Real mm = Real(m);
        dY[0 * dim + base + m] = q * (-mm * s[m - 1]);  // d/dx = d/dYt
        dY[1 * dim + base + m] = dq * c[m];             // d/dy = d/dZ
        dY[2 * dim + base + m] = q * (mm * c[m - 1]);   // d/dz = d/dX
        dY[0 * dim + base - m] = q * (mm * c[m - 1]);
        dY[1 * dim + base - m] = dq * s[m];
        dY[2 * dim + base - m] = q * (mm * s[m - 1]);
      }
    }
  }
  if (dY) {
    // Chain rule through u = r/|r|: dY/dr = (g - u (u.g)) / |r|.
    const Real inv = Real(1) / n;
    for (int i = 0; i < dim; ++i) {
      const Real g0 = dY[i], g1 = dY[dim + i], g2 = dY[2 * dim + i];
      const Real ug = u[0] * g0 + u[1] * g1 + u[2] * g2;
      dY[i] = (g0 - u[0] * ug) * inv;
      dY[dim + i] = (g1 - u[1] * ug) * inv;
      dY[2 * dim + i] = (g2 - u[2] * ug) * inv;
    }
  }
}

// Batched CPU launcher: r is E x 3, Y is E x sh_dim(lmax), dY (optional) is E x 3 x sh_dim(lmax).
// Throws std::invalid_argument when lmax is outside 0..kShLmaxMax.
template <class Real>
void spherical_harmonics_cpu(int lmax, long num_edges, const Real* r, Real* Y, Real* dY);

}  // namespace e3md::kernels
