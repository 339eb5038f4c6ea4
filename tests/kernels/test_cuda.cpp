// CUDA launchers against the CPU launchers (the same E3MD_HD bodies): spherical harmonics, tensor product,
// linear, gate, scatter and the fused convolution forward and backward, in float64 (1e-12) and float32
// (1e-5). Without a visible GPU every test reports that it skipped.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "kernels/cuda_launchers.hpp"
#include "kernels/gate.hpp"
#include "kernels/linear.hpp"

namespace e3md::kernels {
namespace {

template <class T>
using DA = cuda::DeviceArray<T>;

#define E3MD_REQUIRE_GPU()                                                                           \
  if (cuda::device_count() == 0) {                                                                   \
    GTEST_SKIP() << "no CUDA device visible: CUDA-vs-CPU comparison skipped (built with E3MD_CUDA)"; \
  }

template <class Real>
std::vector<Real> rnd(std::mt19937& rng, std::size_t n, double s = 1.0) {
  std::normal_distribution<double> d(0.0, s);
  std::vector<Real> v(n);
  for (auto& x : v) x = static_cast<Real>(d(rng));
  return v;
}

template <class Real>
double rel(const std::vector<Real>& a, const std::vector<Real>& b) {
  double num = 0, den = 0;
  for (std::size_t i = 0; i < b.size(); ++i) {
    num = std::max(num, std::abs(static_cast<double>(a[i]) - static_cast<double>(b[i])));
    den = std::max(den, std::abs(static_cast<double>(b[i])));
  }
  return den > 0 ? num / den : num;
}

template <class Real>
class CudaVsCpu : public ::testing::Test {};
using Precisions = ::testing::Types<double, float>;
TYPED_TEST_SUITE(CudaVsCpu, Precisions);

template <class Real>
constexpr double tol() {
  return sizeof(Real) == 8 ? 1e-12 : 1e-5;
}

ConvolutionSpec make_spec(std::mt19937& rng) {
  ConvolutionSpec s;
  s.node = Irreps::parse("8x0e+8x1o+8x2e");
  s.sh = Irreps::spherical_harmonics(2, true);
  std::vector<MulIrrep> mid;
  for (std::size_t a = 0; a < s.node.size(); ++a)
    for (std::size_t b = 0; b < s.sh.size(); ++b)
      for (const auto& c : irrep_product(s.node[a].ir, s.sh[b].ir))
        if (c.l <= 2) {
          s.instructions.push_back({static_cast<int>(a), static_cast<int>(b), static_cast<int>(mid.size())});
          mid.push_back({s.node[a].mul, c});
        }
  std::vector<int> perm;
  s.out = Irreps(mid).sort(&perm);
  for (auto& i : s.instructions) i.out = perm[static_cast<std::size_t>(i.out)];
  s.r_max = 3.0;
  for (int n = 1; n <= 8; ++n) s.bessel_freq.push_back(n * 3.14159 + 0.01 * n);
  s.mlp_dims = {8, 16, 8 * static_cast<int>(s.instructions.size())};
  for (std::size_t j = 0; j + 1 < s.mlp_dims.size(); ++j)
    s.mlp_weights.push_back(rnd<double>(rng, static_cast<std::size_t>(s.mlp_dims[j] * s.mlp_dims[j + 1])));
  s.avg_num_neighbors = 5.0;
  return s;
}

TYPED_TEST(CudaVsCpu, SphericalHarmonics) {
  E3MD_REQUIRE_GPU();
  using Real = TypeParam;
  std::mt19937 rng(1);
  const long E = 1000;
  const int lmax = kShLmaxMax, dim = sh_dim(lmax);
  const auto r = rnd<Real>(rng, 3 * E);
  std::vector<Real> Y(static_cast<std::size_t>(E * dim)), dY(3 * Y.size());
  spherical_harmonics_cpu<Real>(lmax, E, r.data(), Y.data(), dY.data());
  DA<Real> dr(r), dYd(Y.size()), ddY(dY.size());
  cuda::spherical_harmonics_cuda<Real>(lmax, E, dr.data(), dYd.data(), ddY.data());
  cuda::synchronize();
  EXPECT_LT(rel(dYd.download(), Y), tol<Real>());
  EXPECT_LT(rel(ddY.download(), dY), tol<Real>());
}

TYPED_TEST(CudaVsCpu, LinearAndGate) {
  E3MD_REQUIRE_GPU();
  using Real = TypeParam;
  std::mt19937 rng(2);
  const Irreps in = Irreps::parse("8x0e+4x1o+3x2e"), out = Irreps::parse("6x0e+5x1o+2x2e");
  const int T = 3;
  EquivariantLinear<Real> lin(
      in, out, rnd<double>(rng, static_cast<std::size_t>(EquivariantLinear<Real>::weight_numel(in, out, T))),
      T);
  const long n = 500;
  const auto x = rnd<Real>(rng, static_cast<std::size_t>(n * in.dim()));
  std::vector<int> types(static_cast<std::size_t>(n));
  for (auto& t : types) t = static_cast<int>(rng() % T);
  std::vector<Real> y(static_cast<std::size_t>(n * out.dim())), gx(x.size());
  linear_forward_cpu(lin.view(), n, x.data(), types.data(), y.data());
  linear_backward_cpu(lin.view(), n, y.data(), types.data(), gx.data());
  cuda::DeviceStore store;
  const auto L = cuda::upload(lin.view(), store);
  DA<Real> dx(x), dy(y.size()), dgx(x.size());
  DA<int> dt(types);
  cuda::linear_forward_cuda(L, n, dx.data(), dt.data(), dy.data());
  cuda::linear_backward_cuda(L, n, dy.data(), dt.data(), dgx.data());
  cuda::synchronize();
  EXPECT_LT(rel(dy.download(), y), tol<Real>());
  EXPECT_LT(rel(dgx.download(), gx), tol<Real>());

  Gate<Real> gate(Irreps::parse("4x0e+2x0o"),
                  {normalized_activation(Activation::kSilu), normalized_activation(Activation::kTanh)},
                  Irreps::parse("5x0e"), {normalized_activation(Activation::kSilu)},
                  Irreps::parse("3x1o+2x2e"));
  const auto G = gate.view();
  const auto gin = rnd<Real>(rng, static_cast<std::size_t>(n * G.dim_in));
  const auto gg = rnd<Real>(rng, static_cast<std::size_t>(n * G.dim_out));
  std::vector<Real> go(gg.size()), ggx(gin.size());
  gate_forward_cpu(G, n, gin.data(), go.data());
  gate_backward_cpu(G, n, gin.data(), gg.data(), ggx.data());
  const auto Gd = cuda::upload(G, store);
  DA<Real> d_in(gin), d_g(gg), d_out(go.size()), d_gx(gin.size());
  cuda::gate_forward_cuda(Gd, n, d_in.data(), d_out.data());
  cuda::gate_backward_cuda(Gd, n, d_in.data(), d_g.data(), d_gx.data());
  cuda::synchronize();
  EXPECT_LT(rel(d_out.download(), go), tol<Real>());
  EXPECT_LT(rel(d_gx.download(), ggx), tol<Real>());
}

TYPED_TEST(CudaVsCpu, TensorProductAndFusedConvolution) {
  E3MD_REQUIRE_GPU();
  using Real = TypeParam;
  std::mt19937 rng(3);
  const auto spec = make_spec(rng);
  Convolution<Real> conv(spec);
  const auto C = conv.view();
  const long N = 200, E = 3000;
  std::vector<int> center(E), neighbor(E);
  for (long e = 0; e < E; ++e) {
    center[static_cast<std::size_t>(e)] = static_cast<int>(rng() % N);
    neighbor[static_cast<std::size_t>(e)] = static_cast<int>(rng() % N);
  }
  auto vec = rnd<Real>(rng, 3 * E, 1.2);
  const auto x = rnd<Real>(rng, static_cast<std::size_t>(N * C.tp.dim_in1));
  const auto gA = rnd<Real>(rng, static_cast<std::size_t>(N * C.tp.dim_out));
  std::vector<Real> A(gA.size()), gx(x.size(), Real(0)), gr(vec.size(), Real(0));
  ConvWorkspace<Real> ws;
  const EdgeList<Real> he{E, center.data(), neighbor.data(), vec.data()};
  conv_forward_cpu(C, he, N, N, x.data(), A.data(), ws);
  conv_backward_cpu(C, he, N, N, x.data(), gA.data(), gx.data(), gr.data(), ws);

  cuda::DeviceStore store;
  const auto Cd = cuda::upload(C, store);
  DA<int> dc(center), dn(neighbor);
  DA<Real> dv(vec), dx(x), dgA(gA), dA(A.size()), dgx(x.size()), dgr(vec.size());
  dgx.zero();
  dgr.zero();
  cuda::ConvDeviceWorkspace<Real> dws;
  const EdgeList<Real> de{E, dc.data(), dn.data(), dv.data()};
  cuda::conv_forward_cuda(Cd, de, N, dx.data(), dA.data(), dws);
  cuda::conv_backward_cuda(Cd, de, dx.data(), dgA.data(), dgx.data(), dgr.data(), dws);
  cuda::synchronize();
  EXPECT_LT(rel(dA.download(), A), tol<Real>());
  EXPECT_LT(rel(dgx.download(), gx), tol<Real>());
  EXPECT_LT(rel(dgr.download(), gr), tol<Real>());

  // Standalone per-edge TP on the same plan.
  const auto Td = Cd.tp;
  const auto y = rnd<Real>(rng, static_cast<std::size_t>(E * C.tp.dim_in2));
  const auto w = rnd<Real>(rng, static_cast<std::size_t>(E * C.tp.weight_numel));
  const auto xe = rnd<Real>(rng, static_cast<std::size_t>(E * C.tp.dim_in1));
  std::vector<Real> out(static_cast<std::size_t>(E * C.tp.dim_out)), tgx(xe.size()), tgy(y.size()),
      tgw(w.size());
  tp_uvu_forward_cpu(C.tp, E, xe.data(), y.data(), w.data(), out.data());
  tp_uvu_backward_cpu(C.tp, E, xe.data(), y.data(), w.data(), out.data(), tgx.data(), tgy.data(), tgw.data());
  DA<Real> d_xe(xe), d_y(y), d_w(w), d_out(out.size()), d_gx(xe.size()), d_gy(y.size()), d_gw(w.size());
  cuda::tp_uvu_forward_cuda(Td, E, d_xe.data(), d_y.data(), d_w.data(), d_out.data());
  cuda::tp_uvu_backward_cuda(Td, E, d_xe.data(), d_y.data(), d_w.data(), d_out.data(), d_gx.data(),
                             d_gy.data(), d_gw.data());
  cuda::synchronize();
  EXPECT_LT(rel(d_out.download(), out), tol<Real>());
  EXPECT_LT(rel(d_gx.download(), tgx), tol<Real>());
  EXPECT_LT(rel(d_gy.download(), tgy), tol<Real>());
  EXPECT_LT(rel(d_gw.download(), tgw), tol<Real>());
}

TYPED_TEST(CudaVsCpu, ScatterSum) {
  E3MD_REQUIRE_GPU();
  using Real = TypeParam;
  std::mt19937 rng(4);
  const long N = 50, E = 2000;
  const int dim = 7;
  std::vector<int> idx(E);
  for (auto& i : idx) i = static_cast<int>(rng() % N);
  const auto msg = rnd<Real>(rng, static_cast<std::size_t>(E * dim));
  std::vector<Real> out(static_cast<std::size_t>(N * dim));
  scatter_sum_cpu(N, E, dim, idx.data(), msg.data(), Real(0.5), out.data());
  DA<int> di(idx);
  DA<Real> dm(msg), dout(out.size());
  cuda::scatter_sum_cuda(N, E, dim, di.data(), dm.data(), Real(0.5), dout.data());
  cuda::synchronize();
  EXPECT_LT(rel(dout.download(), out), tol<Real>());
}

}  // namespace
}  // namespace e3md::kernels
