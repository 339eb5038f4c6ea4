// Radial edge embedding of nequip 0.6 (spec §5): Bessel basis with trainable frequencies times the
// polynomial (DimeNet) cutoff envelope, b_n(r) = B_n(r) u(r / r_max), and derivatives in r (Å).
#pragma once

#include "kernels/hd.hpp"

namespace e3md::kernels {

// Parameters of the embedding; `freq` points to num_basis frequencies w_n (read from the model, nπ at init).
template <class Real>
struct RadialParams {
  Real r_max = 0;  // Å
  Real p = 6;      // cutoff exponent (float)
  int num_basis = 0;
  const Real* freq = nullptr;
};

// B_n(r) = (2/r_max) sin(w_n r / r_max) / r and dB_n/dr.
template <class Real>
E3MD_HD_INLINE void bessel_basis(const RadialParams<Real>& P, Real r, Real* B, Real* dB) {
  const Real pre = Real(2) / P.r_max, inv_r = Real(1) / r;
  for (int n = 0; n < P.num_basis; ++n) {
    const Real k = P.freq[n] / P.r_max;
    const Real sn = hd_sin(k * r), cs = hd_cos(k * r);
    B[n] = pre * sn * inv_r;
    if (dB) dB[n] = pre * (k * cs - sn * inv_r) * inv_r;
  }
}

// u(x) = 1 - (p+1)(p+2)/2 x^p + p(p+2) x^(p+1) - p(p+1)/2 x^(p+2) for x = r/r_max < 1, else 0; du/dr.
template <class Real>
E3MD_HD_INLINE void polynomial_cutoff(Real r_max, Real p, Real r, Real* u, Real* du) {
  const Real x = r * (Real(1) / r_max);
  if (!(x < Real(1))) {
    *u = Real(0);
    if (du) *du = Real(0);
    return;
  }
  const Real xp = hd_pow(x, p);
  const Real a = (p + Real(1)) * (p + Real(2)) / Real(2), b = p * (p + Real(2)),
             c = p * (p + Real(1)) / Real(2);
  *u = Real(1) - a * xp + b * xp * x - c * xp * x * x;
  if (du) {
    // d/dx = x^(p-1) (-a p + b (p+1) x - c (p+2) x^2); written with x^p / x avoided for x = 0.
    const Real xpm1 = hd_pow(x, p - Real(1));
    *du = xpm1 * (-a * p + b * (p + Real(1)) * x - c * (p + Real(2)) * x * x) / r_max;
  }
}

// b_n = B_n(r) u(r) and db_n/dr (db may be null).
template <class Real>
E3MD_HD_INLINE void radial_embedding(const RadialParams<Real>& P, Real r, Real* b, Real* db) {
  Real u, du;
  polynomial_cutoff(P.r_max, P.p, r, &u, db ? &du : nullptr);
  bessel_basis(P, r, b, db);
  for (int n = 0; n < P.num_basis; ++n) {
    if (db) db[n] = db[n] * u + b[n] * du;
    b[n] *= u;
  }
}

// Batched CPU launcher over E edge lengths: b and db are E x num_basis (db may be null).
template <class Real>
void radial_embedding_cpu(const RadialParams<Real>& P, long num_edges, const Real* r, Real* b, Real* db);

}  // namespace e3md::kernels
