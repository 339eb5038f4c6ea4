// Shared helpers of the kernel tests: random data, error norms, Wigner D matrices built from the project's
// own spherical harmonics (least squares), block-diagonal D for an irreps list.
#pragma once

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "kernels/irreps.hpp"
#include "kernels/spherical_harmonics.hpp"
#include "kernels/tensor_product.hpp"

namespace e3md::kernels::test {

inline std::vector<double> random_vector(std::mt19937& rng, std::size_t n, double scale = 1.0) {
  std::normal_distribution<double> d(0.0, scale);
  std::vector<double> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// max |a - b| / max |b|: a relative error that ignores the size of individual tiny entries.
template <class A, class B>
double rel_err(const A& a, const B& b) {
  double num = 0, den = 0;
  for (std::size_t i = 0; i < static_cast<std::size_t>(b.size()); ++i) {
    num = std::max(num, std::abs(static_cast<double>(a[i]) - static_cast<double>(b[i])));
    den = std::max(den, std::abs(static_cast<double>(b[i])));
  }
  return den > 0 ? num / den : num;
}

inline double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

inline Eigen::Matrix3d random_rotation(std::mt19937& rng) {
  std::normal_distribution<double> d;
  Eigen::Quaterniond q(d(rng), d(rng), d(rng), d(rng));
  q.normalize();
  return q.toRotationMatrix();
}

// D^l(R) with Y^l(R r) = D^l(R) Y^l(r), fitted by least squares over random unit vectors.
inline Eigen::MatrixXd wigner_D(int l, const Eigen::Matrix3d& R) {
  std::mt19937 rng(99 + l);
  const int d = 2 * l + 1, n = 4 * d + 8, off = l * l;
  Eigen::MatrixXd A(n, d), B(n, d);
  std::vector<double> Y(static_cast<std::size_t>(sh_dim(l)));
  for (int k = 0; k < n; ++k) {
    const auto v = random_vector(rng, 3);
    Eigen::Vector3d r(v[0], v[1], v[2]);
    spherical_harmonics<double>(l, r.data(), Y.data(), nullptr);
    for (int m = 0; m < d; ++m) A(k, m) = Y[static_cast<std::size_t>(off + m)];
    const Eigen::Vector3d rr = R * r;
    spherical_harmonics<double>(l, rr.data(), Y.data(), nullptr);
    for (int m = 0; m < d; ++m) B(k, m) = Y[static_cast<std::size_t>(off + m)];
  }
  // B = A D^T
  const Eigen::MatrixXd Dt = A.colPivHouseholderQr().solve(B);
  return Dt.transpose();
}

// Block-diagonal representation of a proper rotation on a feature vector of `irreps`.
inline Eigen::MatrixXd irreps_D(const Irreps& irreps, const Eigen::Matrix3d& R) {
  Eigen::MatrixXd D = Eigen::MatrixXd::Zero(irreps.dim(), irreps.dim());
  int off = 0;
  for (const auto& b : irreps.blocks()) {
    const Eigen::MatrixXd Dl = wigner_D(b.ir.l, R);
    for (int u = 0; u < b.mul; ++u) {
      D.block(off, off, b.ir.dim(), b.ir.dim()) = Dl;
      off += b.ir.dim();
    }
  }
  return D;
}

inline std::vector<double> apply(const Eigen::MatrixXd& D, const std::vector<double>& x, long rows) {
  const long d = D.rows();
  std::vector<double> y(x.size());
  for (long e = 0; e < rows; ++e) {
    Eigen::Map<const Eigen::VectorXd> xi(x.data() + e * d, d);
    Eigen::Map<Eigen::VectorXd> yi(y.data() + e * d, d);
    yi = D * xi;
  }
  return y;
}

// nequip's instruction recipe (spec §7.1 step 6) with every product irrep of l <= lmax kept: creation-ordered
// instructions, slots renumbered into the sorted slot list, which is returned in `out`.
inline std::vector<TpInstruction> nequip_instructions(const Irreps& in1, const Irreps& sh, int lmax,
                                                      Irreps* out) {
  std::vector<TpInstruction> ins;
  std::vector<MulIrrep> mid;
  for (std::size_t a = 0; a < in1.size(); ++a)
    for (std::size_t b = 0; b < sh.size(); ++b)
      for (const auto& c : irrep_product(in1[a].ir, sh[b].ir))
        if (c.l <= lmax) {
          ins.push_back({static_cast<int>(a), static_cast<int>(b), static_cast<int>(mid.size())});
          mid.push_back({in1[a].mul, c});
        }
  std::vector<int> perm;
  *out = Irreps(mid).sort(&perm);
  for (auto& i : ins) i.out = perm[static_cast<std::size_t>(i.out)];
  return ins;
}

}  // namespace e3md::kernels::test
