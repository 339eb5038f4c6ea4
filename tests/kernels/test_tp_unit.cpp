// uvu tensor product without e3nn: rotation equivariance (D from the project's SH) and the backward pass
// against central finite differences.
#include <gtest/gtest.h>

#include "kernels/spherical_harmonics.hpp"
#include "kernels/tensor_product.hpp"
#include "test_util.hpp"

namespace e3md::kernels {
namespace {

struct TpFixture {
  Irreps in1, sh, out;
  UvuTensorProduct<double> tp;
  explicit TpFixture(const char* in, int lmax, bool parity) {
    in1 = Irreps::parse(in);
    sh = Irreps::spherical_harmonics(lmax, parity);
    const auto ins = test::nequip_instructions(in1, sh, lmax, &out);
    tp = UvuTensorProduct<double>(in1, sh, out, ins);
  }
};

TEST(TensorProductUnit, RotationEquivariance) {
  std::mt19937 rng(21);
  for (auto [spec, lmax] : {std::pair{"4x0e+4x1o+4x2e+3x1e+2x3o", 3}, std::pair{"8x0e+8x1o", 1}}) {
    TpFixture f(spec, lmax, true);
    const auto T = f.tp.view();
    const long E = 4;
    const Eigen::Matrix3d R = test::random_rotation(rng);
    const auto D1 = test::irreps_D(f.in1, R), D3 = test::irreps_D(f.out, R);
    auto x = test::random_vector(rng, static_cast<std::size_t>(E * T.dim_in1));
    auto w = test::random_vector(rng, static_cast<std::size_t>(E * T.weight_numel));
    const auto r = test::random_vector(rng, static_cast<std::size_t>(3 * E));
    std::vector<double> rr(r.size()), y(static_cast<std::size_t>(E * T.dim_in2)), yr(y.size());
    for (long e = 0; e < E; ++e) {
      Eigen::Map<Eigen::Vector3d>(rr.data() + 3 * e) =
          R * Eigen::Map<const Eigen::Vector3d>(r.data() + 3 * e);
    }
    spherical_harmonics_cpu<double>(lmax, E, r.data(), y.data(), nullptr);
    spherical_harmonics_cpu<double>(lmax, E, rr.data(), yr.data(), nullptr);
    std::vector<double> out(static_cast<std::size_t>(E * T.dim_out)), outr(out.size());
    tp_uvu_forward_cpu(T, E, x.data(), y.data(), w.data(), out.data());
    const auto xr = test::apply(D1, x, E);
    tp_uvu_forward_cpu(T, E, xr.data(), yr.data(), w.data(), outr.data());
    EXPECT_LT(test::rel_err(outr, test::apply(D3, out, E)), 1e-11) << spec;
  }
}

TEST(TensorProductUnit, BackwardMatchesFiniteDifferences) {
  std::mt19937 rng(22);
  TpFixture f("3x0e+2x1o+2x2e+2x1e+2x0o", 2, true);
  const auto T = f.tp.view();
  const long E = 3;
  auto x = test::random_vector(rng, static_cast<std::size_t>(E * T.dim_in1));
  auto y = test::random_vector(rng, static_cast<std::size_t>(E * T.dim_in2));
  auto w = test::random_vector(rng, static_cast<std::size_t>(E * T.weight_numel));
  const auto g = test::random_vector(rng, static_cast<std::size_t>(E * T.dim_out));
  std::vector<double> gx(x.size()), gy(y.size()), gw(w.size());
  tp_uvu_backward_cpu(T, E, x.data(), y.data(), w.data(), g.data(), gx.data(), gy.data(), gw.data());
  auto energy = [&](const std::vector<double>& xx, const std::vector<double>& yy,
                    const std::vector<double>& ww) {
    std::vector<double> out(g.size());
    tp_uvu_forward_cpu(T, E, xx.data(), yy.data(), ww.data(), out.data());
    return test::dot(out, g);
  };
  const double h = 1e-4;
  for (int which = 0; which < 3; ++which) {
    std::vector<double>* v = which == 0 ? &x : which == 1 ? &y : &w;
    const std::vector<double>& grad = which == 0 ? gx : which == 1 ? gy : gw;
    for (int trial = 0; trial < 3; ++trial) {
      const auto dir = test::random_vector(rng, v->size());
      auto vp = *v, vm = *v;
      for (std::size_t i = 0; i < v->size(); ++i) {
        vp[i] += h * dir[i];
        vm[i] -= h * dir[i];
      }
      const double fd = which == 0   ? (energy(vp, y, w) - energy(vm, y, w)) / (2 * h)
                        : which == 1 ? (energy(x, vp, w) - energy(x, vm, w)) / (2 * h)
                                     : (energy(x, y, vp) - energy(x, y, vm)) / (2 * h);
      const double an = test::dot(grad, dir);
      EXPECT_LT(std::abs(an - fd) / std::abs(fd), 1e-7) << "input " << which;
    }
  }
}

TEST(TensorProductUnit, RejectsBadInstructions) {
  const Irreps in1 = Irreps::parse("4x0e+4x1o"), sh = Irreps::spherical_harmonics(1, true);
  EXPECT_THROW(UvuTensorProduct<double>(in1, sh, Irreps::parse("4x1e"), {{0, 1, 0}}), std::invalid_argument);
  EXPECT_THROW(UvuTensorProduct<double>(in1, sh, Irreps::parse("3x1o"), {{0, 1, 0}}), std::invalid_argument);
  EXPECT_THROW(UvuTensorProduct<double>(in1, sh, Irreps::parse("4x1o"), {{0, 5, 0}}), std::invalid_argument);
}

}  // namespace
}  // namespace e3md::kernels
