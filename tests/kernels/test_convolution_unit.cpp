// The fused convolution without e3nn: equal to the unfused composition of the separate launchers, backward
// against central finite differences (node features and edge vectors), rotation equivariance, and the
// float32 path against float64.
#include <gtest/gtest.h>

#include "kernels/convolution.hpp"
#include "test_util.hpp"

namespace e3md::kernels {
namespace {

using Vec = std::vector<double>;

struct ConvCase {
  ConvolutionSpec spec;
  long N = 6, E = 30;
  std::vector<int> center, neighbor;
  Vec vec, x;
};

ConvCase make_case(const char* in1, int lmax, std::vector<int> hidden, unsigned seed) {
  std::mt19937 rng(seed);
  ConvCase c;
  auto& s = c.spec;
  s.node = Irreps::parse(in1);
  s.sh = Irreps::spherical_harmonics(lmax, true);
  s.instructions = test::nequip_instructions(s.node, s.sh, lmax, &s.out);
  s.r_max = 3.0;
  s.p = 6.0;
  for (int n = 1; n <= 8; ++n) s.bessel_freq.push_back(n * M_PI + 0.05 * n);
  int numel = 0;
  for (const auto& i : s.instructions) numel += s.node[static_cast<std::size_t>(i.in1)].mul;
  s.mlp_dims = {8};
  for (int h : hidden) s.mlp_dims.push_back(h);
  s.mlp_dims.push_back(numel);
  for (std::size_t j = 0; j + 1 < s.mlp_dims.size(); ++j)
    s.mlp_weights.push_back(
        test::random_vector(rng, static_cast<std::size_t>(s.mlp_dims[j] * s.mlp_dims[j + 1])));
  s.avg_num_neighbors = 4.2;
  std::uniform_int_distribution<int> pick(0, static_cast<int>(c.N) - 1);
  std::uniform_real_distribution<double> len(0.5, 2.9);
  for (long e = 0; e < c.E; ++e) {
    c.center.push_back(pick(rng));
    c.neighbor.push_back(pick(rng));
    auto v = test::random_vector(rng, 3);
    const double n = std::sqrt(test::dot(v, v)), l = len(rng);
    for (double& q : v) c.vec.push_back(q / n * l);
  }
  c.x = test::random_vector(rng, static_cast<std::size_t>(c.N * s.node.dim()));
  return c;
}

Vec forward(const ConvCase& c, const Convolution<double>& conv, const Vec& vec, const Vec& x) {
  const auto C = conv.view();
  Vec A(static_cast<std::size_t>(c.N * C.tp.dim_out));
  ConvWorkspace<double> ws;
  conv_forward_cpu(C, EdgeList<double>{c.E, c.center.data(), c.neighbor.data(), vec.data()}, c.N, c.N,
                   x.data(), A.data(), ws);
  return A;
}

TEST(ConvolutionUnit, FusedEqualsComposition) {
  const auto c = make_case("4x0e+4x1o+4x2e", 2, {16, 16}, 1);
  Convolution<double> conv(c.spec);
  const auto C = conv.view();
  const int dy = sh_dim(2), nb = 8, din = C.tp.dim_in1;
  Vec Y(static_cast<std::size_t>(c.E * dy)), r(static_cast<std::size_t>(c.E)),
      b(static_cast<std::size_t>(c.E * nb)), w(static_cast<std::size_t>(c.E * C.tp.weight_numel)),
      xe(static_cast<std::size_t>(c.E * din)), m(static_cast<std::size_t>(c.E * C.tp.dim_out)),
      A(static_cast<std::size_t>(c.N * C.tp.dim_out));
  spherical_harmonics_cpu<double>(2, c.E, c.vec.data(), Y.data(), nullptr);
  for (long e = 0; e < c.E; ++e) {
    r[static_cast<std::size_t>(e)] =
        std::sqrt(c.vec[3 * e] * c.vec[3 * e] + c.vec[3 * e + 1] * c.vec[3 * e + 1] +
                  c.vec[3 * e + 2] * c.vec[3 * e + 2]);
    for (int q = 0; q < din; ++q)
      xe[static_cast<std::size_t>(e * din + q)] =
          c.x[static_cast<std::size_t>(c.neighbor[static_cast<std::size_t>(e)] * din + q)];
  }
  radial_embedding_cpu(C.radial, c.E, r.data(), b.data(), static_cast<double*>(nullptr));
  mlp_forward_cpu(C.mlp, c.E, b.data(), w.data());
  tp_uvu_forward_cpu(C.tp, c.E, xe.data(), Y.data(), w.data(), m.data());
  scatter_sum_cpu(c.N, c.E, C.tp.dim_out, c.center.data(), m.data(), 1.0 / std::sqrt(4.2), A.data());
  EXPECT_LT(test::rel_err(forward(c, conv, c.vec, c.x), A), 1e-14);
}

TEST(ConvolutionUnit, BackwardMatchesFiniteDifferences) {
  for (int lmax : {1, 2, 3}) {
    const auto c = make_case(lmax == 3 ? "3x0e+3x1o+2x2e+2x3o" : "4x0e+4x1o+4x2e+2x1e", lmax, {12}, 2 + lmax);
    Convolution<double> conv(c.spec);
    const auto C = conv.view();
    std::mt19937 rng(9);
    const auto gA = test::random_vector(rng, static_cast<std::size_t>(c.N * C.tp.dim_out));
    Vec gx(c.x.size(), 0.0), gr(c.vec.size(), 0.0);
    ConvWorkspace<double> ws;
    conv_backward_cpu(C, EdgeList<double>{c.E, c.center.data(), c.neighbor.data(), c.vec.data()}, c.N, c.N,
                      c.x.data(), gA.data(), gx.data(), gr.data(), ws);
    const double h = 1e-5;
    for (int trial = 0; trial < 3; ++trial) {
      const auto dx = test::random_vector(rng, c.x.size()), dv = test::random_vector(rng, c.vec.size());
      Vec xp = c.x, xm = c.x, vp = c.vec, vm = c.vec;
      for (std::size_t i = 0; i < xp.size(); ++i) {
        xp[i] += h * dx[i];
        xm[i] -= h * dx[i];
      }
      for (std::size_t i = 0; i < vp.size(); ++i) {
        vp[i] += h * dv[i];
        vm[i] -= h * dv[i];
      }
      const double fdx =
          (test::dot(forward(c, conv, c.vec, xp), gA) - test::dot(forward(c, conv, c.vec, xm), gA)) / (2 * h);
      const double fdv =
          (test::dot(forward(c, conv, vp, c.x), gA) - test::dot(forward(c, conv, vm, c.x), gA)) / (2 * h);
      EXPECT_LT(std::abs(test::dot(gx, dx) - fdx) / std::abs(fdx), 1e-7) << "lmax " << lmax;
      EXPECT_LT(std::abs(test::dot(gr, dv) - fdv) / std::abs(fdv), 1e-7) << "lmax " << lmax;
    }
  }
}

TEST(ConvolutionUnit, RotationEquivariance) {
  const auto c = make_case("4x0e+4x1o+4x2e+2x1e+2x2o", 2, {16}, 7);
  Convolution<double> conv(c.spec);
  std::mt19937 rng(8);
  const Eigen::Matrix3d R = test::random_rotation(rng);
  Vec vr(c.vec.size());
  for (long e = 0; e < c.E; ++e)
    Eigen::Map<Eigen::Vector3d>(vr.data() + 3 * e) =
        R * Eigen::Map<const Eigen::Vector3d>(c.vec.data() + 3 * e);
  const auto A = forward(c, conv, c.vec, c.x);
  const auto Ar = forward(c, conv, vr, test::apply(test::irreps_D(c.spec.node, R), c.x, c.N));
  EXPECT_LT(test::rel_err(Ar, test::apply(test::irreps_D(c.spec.out, R), A, c.N)), 1e-11);
}

TEST(ConvolutionUnit, FloatAgreesWithDouble) {
  const auto c = make_case("8x0e+8x1o+8x2e", 2, {16, 16}, 10);
  Convolution<double> cd(c.spec);
  Convolution<float> cf(c.spec);
  const auto A = forward(c, cd, c.vec, c.x);
  std::vector<float> vf(c.vec.begin(), c.vec.end()), xf(c.x.begin(), c.x.end());
  std::vector<float> Af(A.size());
  ConvWorkspace<float> ws;
  conv_forward_cpu(cf.view(), EdgeList<float>{c.E, c.center.data(), c.neighbor.data(), vf.data()}, c.N, c.N,
                   xf.data(), Af.data(), ws);
  EXPECT_LT(test::rel_err(Af, A), 1e-5);
}

TEST(ConvolutionUnit, RejectsInconsistentSpecAndIndices) {
  auto c = make_case("4x0e+4x1o", 1, {8}, 11);
  auto bad = c.spec;
  bad.mlp_dims.back() += 1;
  bad.mlp_weights.back().resize(static_cast<std::size_t>(bad.mlp_dims[1] * bad.mlp_dims.back()));
  EXPECT_THROW(Convolution<double>{bad}, std::invalid_argument);
  Convolution<double> conv(c.spec);
  c.neighbor[0] = 99;
  EXPECT_THROW(forward(c, conv, c.vec, c.x), std::out_of_range);
}

}  // namespace
}  // namespace e3md::kernels
