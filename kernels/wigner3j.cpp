#include "kernels/wigner3j.hpp"

#include <cmath>
#include <complex>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

namespace e3md::kernels {
namespace {

using cld = std::complex<long double>;

long double factorial(int n) {
  long double f = 1.0L;
  for (int i = 2; i <= n; ++i) f *= static_cast<long double>(i);
  return f;
}

// Q^(l)[row = l+m (complex m), col = real index], times (-i)^l so that C comes out real (spec §7.5).
std::vector<cld> real_to_complex(int l) {
  const int d = 2 * l + 1;
  std::vector<cld> q(static_cast<std::size_t>(d * d), cld(0, 0));
  const long double r = 1.0L / std::sqrt(2.0L);
  auto at = [&](int row, int col) -> cld& { return q[static_cast<std::size_t>(row * d + col)]; };
  for (int m = -l; m < 0; ++m) {
    at(l + m, l - m) = cld(r, 0);
    at(l + m, l + m) = cld(0, -r);
  }
  at(l, l) = cld(1, 0);
  for (int m = 1; m <= l; ++m) {
    const long double s = (m % 2 == 0) ? 1.0L : -1.0L;
    at(l + m, l + m) = cld(s * r, 0);
    at(l + m, l - m) = cld(0, s * r);
  }
  cld phase(1, 0);
  for (int k = 0; k < l; ++k) phase *= cld(0, -1);
  for (auto& v : q) v *= phase;
  return q;
}

Wigner3jTable compute(int l1, int l2, int l3) {
  const int d1 = 2 * l1 + 1, d2 = 2 * l2 + 1, d3 = 2 * l3 + 1;
  const auto q1 = real_to_complex(l1), q2 = real_to_complex(l2), q3 = real_to_complex(l3);
  std::vector<cld> c(static_cast<std::size_t>(d1 * d2 * d3), cld(0, 0));
  for (int m1 = -l1; m1 <= l1; ++m1) {
    for (int m2 = -l2; m2 <= l2; ++m2) {
      const int m3 = m1 + m2;
      if (std::abs(m3) > l3) continue;
      const long double cg = clebsch_gordan(l1, m1, l2, m2, l3, m3);
      if (cg == 0.0L) continue;
      const int i = l1 + m1, k = l2 + m2, n = l3 + m3;
      for (int a = 0; a < d1; ++a) {
        const cld qa = q1[static_cast<std::size_t>(i * d1 + a)];
        if (qa == cld(0, 0)) continue;
        for (int b = 0; b < d2; ++b) {
          const cld qb = q2[static_cast<std::size_t>(k * d2 + b)];
          if (qb == cld(0, 0)) continue;
          for (int cc = 0; cc < d3; ++cc) {
            const cld qc = std::conj(q3[static_cast<std::size_t>(n * d3 + cc)]);
            if (qc == cld(0, 0)) continue;
            c[static_cast<std::size_t>((a * d2 + b) * d3 + cc)] += qa * qb * qc * cg;
          }
        }
      }
    }
  }
  long double norm2 = 0.0L;
  for (const auto& v : c) norm2 += v.real() * v.real();
  const long double inv = 1.0L / std::sqrt(norm2);
  Wigner3jTable t;
  t.l1 = l1;
  t.l2 = l2;
  t.l3 = l3;
  for (int a = 0; a < d1; ++a) {
    for (int b = 0; b < d2; ++b) {
      for (int cc = 0; cc < d3; ++cc) {
        const cld v = c[static_cast<std::size_t>((a * d2 + b) * d3 + cc)];
        // The imaginary part vanishes analytically and the real part is a signed square root of a
        // rational; anything below 1e-15 of the norm is cancellation noise of an exact zero.
        if (std::abs(v.real()) * inv > 1e-15L) {
          t.entries.push_back({a, b, cc, static_cast<double>(v.real() * inv)});
        }
      }
    }
  }
  return t;
}

}  // namespace

long double clebsch_gordan(int l1, int m1, int l2, int m2, int l3, int m3) {
  if (m3 != m1 + m2 || l3 < std::abs(l1 - l2) || l3 > l1 + l2) return 0.0L;
  if (std::abs(m1) > l1 || std::abs(m2) > l2 || std::abs(m3) > l3) return 0.0L;
  const long double pre = (2 * l3 + 1) * factorial(l3 + l1 - l2) * factorial(l3 - l1 + l2) *
                          factorial(l1 + l2 - l3) / factorial(l1 + l2 + l3 + 1) * factorial(l3 + m3) *
                          factorial(l3 - m3) * factorial(l1 - m1) * factorial(l1 + m1) * factorial(l2 - m2) *
                          factorial(l2 + m2);
  long double s = 0.0L;
  for (int k = 0; k <= l1 + l2 - l3; ++k) {
    const int a[6] = {k, l1 + l2 - l3 - k, l1 - m1 - k, l2 + m2 - k, l3 - l2 + m1 + k, l3 - l1 - m2 + k};
    bool ok = true;
    long double den = 1.0L;
    for (int x : a) {
      if (x < 0) {
        ok = false;
        break;
      }
      den *= factorial(x);
    }
    if (!ok) continue;
    s += ((k % 2 == 0) ? 1.0L : -1.0L) / den;
  }
  return s * std::sqrt(pre);
}

std::vector<double> Wigner3jTable::dense() const {
  const int d2 = 2 * l2 + 1, d3 = 2 * l3 + 1;
  std::vector<double> c(static_cast<std::size_t>((2 * l1 + 1) * d2 * d3), 0.0);
  for (const auto& e : entries) c[static_cast<std::size_t>((e.i * d2 + e.j) * d3 + e.k)] = e.value;
  return c;
}

Wigner3jTable Wigner3jTable::from_dense(int l1, int l2, int l3, const std::vector<double>& c) {
  const int d1 = 2 * l1 + 1, d2 = 2 * l2 + 1, d3 = 2 * l3 + 1;
  if (c.size() != static_cast<std::size_t>(d1 * d2 * d3)) {
    throw std::invalid_argument("Wigner-3j table (" + std::to_string(l1) + "," + std::to_string(l2) + "," +
                                std::to_string(l3) + ") has " + std::to_string(c.size()) +
                                " values; expected " + std::to_string(d1 * d2 * d3) +
                                " = (2l1+1)(2l2+1)(2l3+1), row-major [i][j][k]");
  }
  Wigner3jTable t;
  t.l1 = l1;
  t.l2 = l2;
  t.l3 = l3;
  for (int a = 0; a < d1; ++a)
    for (int b = 0; b < d2; ++b)
      for (int k = 0; k < d3; ++k) {
        const double v = c[static_cast<std::size_t>((a * d2 + b) * d3 + k)];
        if (v != 0.0) t.entries.push_back({a, b, k, v});
      }
  return t;
}

const Wigner3jTable& wigner_3j(int l1, int l2, int l3) {
  if (l1 < 0 || l2 < 0 || l3 < 0 || l1 > 12 || l2 > 12 || l3 > 12 || l3 < std::abs(l1 - l2) || l3 > l1 + l2) {
    throw std::invalid_argument("wigner_3j(" + std::to_string(l1) + "," + std::to_string(l2) + "," +
                                std::to_string(l3) + "): needs |l1-l2| <= l3 <= l1+l2 and every l in 0..12");
  }
  static std::mutex mutex;
  static std::map<std::array<int, 3>, std::unique_ptr<Wigner3jTable>> cache;
  std::lock_guard<std::mutex> lock(mutex);
  auto& slot = cache[{l1, l2, l3}];
  if (!slot) slot = std::make_unique<Wigner3jTable>(compute(l1, l2, l3));
  return *slot;
}

const Wigner3jTable& wigner_3j(int l1, int l2, int l3, const Wigner3jOverrides* overrides) {
  if (overrides) {
    auto it = overrides->find({l1, l2, l3});
    if (it != overrides->end()) return it->second;
  }
  return wigner_3j(l1, l2, l3);
}

}  // namespace e3md::kernels
