// Per-atom and radial operations without e3nn: every backward against central finite differences, the
// equivariance of the linear and the gate, the radial embedding's spec values and cutoff smoothness, and the
// scatter-sum against a plain loop.
#include <gtest/gtest.h>

#include <functional>

#include "kernels/gate.hpp"
#include "kernels/linear.hpp"
#include "kernels/radial.hpp"
#include "kernels/radial_mlp.hpp"
#include "kernels/scatter.hpp"
#include "test_util.hpp"

namespace e3md::kernels {
namespace {

using Vec = std::vector<double>;

// <backward(g), v> against (f(x + h v) - f(x - h v)) . g / 2h for a few random directions v.
void check_vjp(const std::function<Vec(const Vec&)>& f, const Vec& x, const Vec& g, const Vec& grad,
               double h = 1e-5, double tol = 1e-7) {
  std::mt19937 rng(77);
  for (int trial = 0; trial < 4; ++trial) {
    const auto v = test::random_vector(rng, x.size());
    Vec xp = x, xm = x;
    for (std::size_t i = 0; i < x.size(); ++i) {
      xp[i] += h * v[i];
      xm[i] -= h * v[i];
    }
    const double fd = (test::dot(f(xp), g) - test::dot(f(xm), g)) / (2 * h);
    EXPECT_LT(std::abs(test::dot(grad, v) - fd), tol * std::max(std::abs(fd), 1e-3)) << "trial " << trial;
  }
}

TEST(OpsUnit, LinearBackwardAndEquivariance) {
  std::mt19937 rng(1);
  const Irreps in = Irreps::parse("6x0e+3x1o+2x0e+2x2e+2x1o"), out = Irreps::parse("4x0e+5x1o+2x2e+2x1e");
  const auto W =
      test::random_vector(rng, static_cast<std::size_t>(EquivariantLinear<double>::weight_numel(in, out)));
  EquivariantLinear<double> lin(in, out, W);
  const auto L = lin.view();
  const long n = 3;
  const auto x = test::random_vector(rng, static_cast<std::size_t>(n * in.dim()));
  const auto g = test::random_vector(rng, static_cast<std::size_t>(n * out.dim()));
  auto f = [&](const Vec& xx) {
    Vec y(g.size());
    linear_forward_cpu(L, n, xx.data(), nullptr, y.data());
    return y;
  };
  Vec gx(x.size());
  linear_backward_cpu(L, n, g.data(), nullptr, gx.data());
  check_vjp(f, x, g, gx);
  const Eigen::Matrix3d R = test::random_rotation(rng);
  EXPECT_LT(test::rel_err(f(test::apply(test::irreps_D(in, R), x, n)),
                          test::apply(test::irreps_D(out, R), f(x), n)),
            1e-11);
  // The 1e block has no input: it must stay exactly zero.
  const auto y = f(x);
  for (long i = 0; i < n; ++i)
    for (int q = out.offsets()[3]; q < out.dim(); ++q)
      EXPECT_EQ(y[static_cast<std::size_t>(i * out.dim() + q)], 0.0);
  EXPECT_THROW(EquivariantLinear<double>(in, out, Vec(3)), std::invalid_argument);
}

TEST(OpsUnit, SelfConnectionIsPerTypeLinear) {
  std::mt19937 rng(2);
  const Irreps in = Irreps::parse("4x0e+2x1o"), out = Irreps::parse("3x0e+2x1o");
  const int T = 3;
  const auto W =
      test::random_vector(rng, static_cast<std::size_t>(EquivariantLinear<double>::weight_numel(in, out, T)));
  EquivariantLinear<double> sc(in, out, W, T);
  const auto L = sc.view();
  const std::vector<int> types = {2, 0, 1, 2};
  const long n = 4;
  const auto x = test::random_vector(rng, static_cast<std::size_t>(n * in.dim()));
  const auto g = test::random_vector(rng, static_cast<std::size_t>(n * out.dim()));
  auto f = [&](const Vec& xx) {
    Vec y(g.size());
    linear_forward_cpu(L, n, xx.data(), types.data(), y.data());
    return y;
  };
  Vec gx(x.size());
  linear_backward_cpu(L, n, g.data(), types.data(), gx.data());
  check_vjp(f, x, g, gx);
  // Atom 1 (type 0), output 0e channel 0: sum_u W[u][0][0] x[u] / sqrt(T * 4).
  const auto y = f(x);
  double want = 0;
  for (int u = 0; u < 4; ++u)
    want += W[static_cast<std::size_t>((u * T + 0) * 3 + 0)] * x[static_cast<std::size_t>(in.dim() + u)];
  EXPECT_NEAR(y[static_cast<std::size_t>(out.dim())], want / std::sqrt(12.0), 1e-14);
}

TEST(OpsUnit, GateBackwardAndEquivariance) {
  std::mt19937 rng(3);
  const Irreps scal = Irreps::parse("3x0e+2x0o"), gates = Irreps::parse("2x0e+3x0o"),
               gated = Irreps::parse("2x1o+2x2e+1x1o");
  Gate<double> gate(
      scal, {normalized_activation(Activation::kSilu), normalized_activation(Activation::kTanh)}, gates,
      {normalized_activation(Activation::kSilu), normalized_activation(Activation::kTanh)}, gated);
  EXPECT_EQ(gate.irreps_in().str(), "5x0o+5x0e+3x1o+2x2e");
  EXPECT_EQ(gate.irreps_out().str(), "3x0e+2x0o+2x1o+2x2e+1x1o");
  const auto G = gate.view();
  const long n = 3;
  const auto x = test::random_vector(rng, static_cast<std::size_t>(n * G.dim_in), 1.3);
  const auto g = test::random_vector(rng, static_cast<std::size_t>(n * G.dim_out));
  auto f = [&](const Vec& xx) {
    Vec y(g.size());
    gate_forward_cpu(G, n, xx.data(), y.data());
    return y;
  };
  Vec gx(x.size());
  gate_backward_cpu(G, n, x.data(), g.data(), gx.data());
  check_vjp(f, x, g, gx);
  const Eigen::Matrix3d R = test::random_rotation(rng);
  EXPECT_LT(test::rel_err(f(test::apply(test::irreps_D(gate.irreps_in(), R), x, n)),
                          test::apply(test::irreps_D(gate.irreps_out(), R), f(x), n)),
            1e-11);
  EXPECT_THROW(Gate<double>(scal, {}, gates, {}, gated), std::invalid_argument);
}

TEST(OpsUnit, RadialMlpBackward) {
  std::mt19937 rng(4);
  const std::vector<int> dims = {8, 16, 12, 20};
  std::vector<Vec> mats;
  for (std::size_t j = 0; j + 1 < dims.size(); ++j)
    mats.push_back(test::random_vector(rng, static_cast<std::size_t>(dims[j] * dims[j + 1])));
  RadialMlp<double> mlp(dims, mats);
  const auto M = mlp.view();
  const long n = 3;
  const auto x = test::random_vector(rng, static_cast<std::size_t>(n * dims[0]));
  const auto g = test::random_vector(rng, static_cast<std::size_t>(n * dims.back()));
  auto f = [&](const Vec& xx) {
    Vec y(g.size());
    mlp_forward_cpu(M, n, xx.data(), y.data());
    return y;
  };
  Vec gx(x.size());
  mlp_backward_cpu(M, n, x.data(), g.data(), gx.data());
  check_vjp(f, x, g, gx);
  EXPECT_THROW(RadialMlp<double>({8, 4}, {Vec(31)}), std::invalid_argument);
}

TEST(OpsUnit, RadialEmbeddingSpecValuesAndDerivative) {
  // nequip-model.md §5: r_max = 4, p = 6, r = 2.5, w_n = n pi.
  std::vector<double> freq(8);
  for (int n = 0; n < 8; ++n) freq[static_cast<std::size_t>(n)] = (n + 1) * M_PI;
  RadialParams<double> P{4.0, 6.0, 8, freq.data()};
  double u, du;
  polynomial_cutoff(4.0, 6.0, 2.5, &u, &du);
  EXPECT_NEAR(u, 0.630264937877655, 1e-14);
  const double want[8] = {0.1164577752329326,   -0.08913292230348159, -0.0482383899452783, 0.126052987575531,
                          -0.04823838994527823, -0.08913292230348172, 0.1164577752329326,  7.7e-17};
  double b[8], db[8];
  radial_embedding(P, 2.5, b, db);
  for (int n = 0; n < 8; ++n) EXPECT_NEAR(b[n], want[n], 1e-15) << n;
  // The envelope is C^2 at r_max: value and slope vanish there, and it is zero beyond.
  polynomial_cutoff(4.0, 6.0, 4.0 - 1e-9, &u, &du);
  EXPECT_LT(std::abs(u), 1e-15);
  EXPECT_LT(std::abs(du), 1e-12);
  polynomial_cutoff(4.0, 6.0, 4.5, &u, &du);
  EXPECT_EQ(u, 0.0);
  std::mt19937 rng(5);
  const Vec r = {0.4, 1.1, 2.5, 3.3, 3.95};
  const auto g = test::random_vector(rng, 5 * 8);
  auto f = [&](const Vec& rr) {
    Vec y(40);
    radial_embedding_cpu(P, 5, rr.data(), y.data(), static_cast<double*>(nullptr));
    return y;
  };
  Vec bb(40), dbb(40), gr(5, 0.0);
  radial_embedding_cpu(P, 5, r.data(), bb.data(), dbb.data());
  for (int e = 0; e < 5; ++e)
    for (int n = 0; n < 8; ++n)
      gr[static_cast<std::size_t>(e)] +=
          g[static_cast<std::size_t>(e * 8 + n)] * dbb[static_cast<std::size_t>(e * 8 + n)];
  check_vjp(f, r, g, gr, 1e-6);
}

TEST(OpsUnit, ScatterSumMatchesLoop) {
  std::mt19937 rng(6);
  const long N = 7, E = 40;
  const int dim = 5;
  std::vector<int> idx(E);
  std::uniform_int_distribution<int> pick(0, N - 1);
  for (auto& i : idx) i = pick(rng);
  const auto msg = test::random_vector(rng, static_cast<std::size_t>(E * dim));
  Vec out(static_cast<std::size_t>(N * dim)), want(out.size(), 0.0);
  scatter_sum_cpu(N, E, dim, idx.data(), msg.data(), 0.5, out.data());
  for (long e = 0; e < E; ++e)
    for (int q = 0; q < dim; ++q)
      want[static_cast<std::size_t>(idx[static_cast<std::size_t>(e)] * dim + q)] +=
          0.5 * msg[static_cast<std::size_t>(e * dim + q)];
  EXPECT_LT(test::rel_err(out, want), 1e-15);
  idx[3] = static_cast<int>(N);
  EXPECT_THROW(scatter_sum_cpu(N, E, dim, idx.data(), msg.data(), 1.0, out.data()), std::out_of_range);
}

}  // namespace
}  // namespace e3md::kernels
