// Spherical harmonics without e3nn: the spec's printed test vector, orthonormality by quadrature, rotation
// equivariance with D fitted at other points, parity, and dY/dr against central differences.
#include <gtest/gtest.h>

#include <Eigen/Eigenvalues>
#include <cmath>

#include "kernels/spherical_harmonics.hpp"
#include "test_util.hpp"

namespace e3md::kernels {
namespace {

TEST(SphericalHarmonicsUnit, SpecTestVector) {
  // nequip-model.md §4: r = (0.3, -0.5, 0.8), l <= 3, as printed by e3nn 0.5.
  const double want[16] = {1,
                           0.5248906591678237,
                           -0.8748177652797062,
                           1.39970842444753,
                           0.948485717438551,
                           -0.5928035733990943,
                           -0.2623957320535469,
                           -1.580809529064252,
                           1.086806551231673,
                           1.183647157770295,
                           -1.26746735389412,
                           0.1352728248146584,
                           1.152223211306115,
                           0.3607275328390891,
                           -1.452306343003679,
                           0.6381777025501045};
  const double r[3] = {0.3, -0.5, 0.8};
  double Y[16];
  spherical_harmonics<double>(3, r, Y, nullptr);
  for (int i = 0; i < 16; ++i) EXPECT_NEAR(Y[i], want[i], 1e-14) << i;
}

// (1/4pi) \int Y_i Y_j dOmega = delta_ij, with Gauss-Legendre in cos(theta) and a uniform grid in phi,
// exact for the degrees involved (l <= 8).
TEST(SphericalHarmonicsUnit, OrthonormalByQuadrature) {
  const int lmax = kShLmaxMax, nt = 12, np = 24, dim = sh_dim(lmax);
  Eigen::MatrixXd J = Eigen::MatrixXd::Zero(nt, nt);
  for (int k = 1; k < nt; ++k) J(k, k - 1) = J(k - 1, k) = k / std::sqrt(4.0 * k * k - 1.0);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(J);
  Eigen::MatrixXd G = Eigen::MatrixXd::Zero(dim, dim);
  std::vector<double> Y(static_cast<std::size_t>(dim));
  for (int a = 0; a < nt; ++a) {
    const double c = es.eigenvalues()(a), w = 2.0 * es.eigenvectors()(0, a) * es.eigenvectors()(0, a);
    for (int b = 0; b < np; ++b) {
      const double phi = 2.0 * M_PI * b / np, s = std::sqrt(1 - c * c);
      // Any axis works for the integral; use the e3nn polar axis y anyway.
      const double r[3] = {s * std::sin(phi), c, s * std::cos(phi)};
      spherical_harmonics<double>(lmax, r, Y.data(), nullptr);
      Eigen::Map<Eigen::VectorXd> y(Y.data(), dim);
      G += (w / (2.0 * np)) * y * y.transpose();  // weights sum to 2 (theta) and 1 (phi, normalised)
    }
  }
  EXPECT_LT((G - Eigen::MatrixXd::Identity(dim, dim)).cwiseAbs().maxCoeff(), 1e-13);
}

TEST(SphericalHarmonicsUnit, RotationEquivarianceAndParity) {
  std::mt19937 rng(11);
  const int lmax = kShLmaxMax, dim = sh_dim(lmax);
  for (int trial = 0; trial < 3; ++trial) {
    const Eigen::Matrix3d R = test::random_rotation(rng);
    const Eigen::MatrixXd D = test::irreps_D(Irreps::spherical_harmonics(lmax, false), R);
    // D is orthogonal when the SH span an orthonormal representation.
    EXPECT_LT((D * D.transpose() - Eigen::MatrixXd::Identity(dim, dim)).cwiseAbs().maxCoeff(), 1e-11);
    for (int k = 0; k < 5; ++k) {
      const auto v = test::random_vector(rng, 3, 2.0);
      Eigen::Vector3d r(v[0], v[1], v[2]);
      std::vector<double> Y(static_cast<std::size_t>(dim)), YR(Y.size()), Yn(Y.size());
      spherical_harmonics<double>(lmax, r.data(), Y.data(), nullptr);
      const Eigen::Vector3d rr = R * r, rn = -r;
      spherical_harmonics<double>(lmax, rr.data(), YR.data(), nullptr);
      spherical_harmonics<double>(lmax, rn.data(), Yn.data(), nullptr);
      const Eigen::VectorXd want = D * Eigen::Map<Eigen::VectorXd>(Y.data(), dim);
      EXPECT_LT(test::rel_err(YR, want), 1e-11);
      for (int l = 0; l <= lmax; ++l)
        for (int m = 0; m <= 2 * l; ++m) {
          const std::size_t i = static_cast<std::size_t>(l * l + m);
          EXPECT_NEAR(Yn[i], (l % 2 ? -1.0 : 1.0) * Y[i], 1e-12);
        }
    }
  }
}

TEST(SphericalHarmonicsUnit, GradientMatchesFiniteDifferences) {
  std::mt19937 rng(3);
  const int lmax = kShLmaxMax, dim = sh_dim(lmax);
  const double h = 1e-5;
  for (int k = 0; k < 10; ++k) {
    auto r = test::random_vector(rng, 3, 1.5);
    std::vector<double> Y(static_cast<std::size_t>(dim)), dY(3 * Y.size()), Yp(Y.size()), Ym(Y.size());
    spherical_harmonics<double>(lmax, r.data(), Y.data(), dY.data());
    for (int c = 0; c < 3; ++c) {
      auto rp = r, rm = r;
      rp[static_cast<std::size_t>(c)] += h;
      rm[static_cast<std::size_t>(c)] -= h;
      spherical_harmonics<double>(lmax, rp.data(), Yp.data(), nullptr);
      spherical_harmonics<double>(lmax, rm.data(), Ym.data(), nullptr);
      std::vector<double> fd(Y.size()), an(Y.size());
      for (std::size_t i = 0; i < Y.size(); ++i) {
        fd[i] = (Yp[i] - Ym[i]) / (2 * h);
        an[i] = dY[static_cast<std::size_t>(c) * Y.size() + i];
      }
      EXPECT_LT(test::rel_err(an, fd), 1e-7) << "component " << c;
    }
  }
}

TEST(SphericalHarmonicsUnit, LauncherRejectsLargeLmax) {
  double r[3] = {1, 0, 0}, Y[1];
  EXPECT_THROW(spherical_harmonics_cpu<double>(kShLmaxMax + 1, 1, r, Y, nullptr), std::invalid_argument);
}

}  // namespace
}  // namespace e3md::kernels
