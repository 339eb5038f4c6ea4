// Parity with e3nn 0.5.1 / nequip 0.6.1 on random inputs (reference values from e3nn_reference.py):
// spherical harmonics and their Jacobian, Wigner-3j, uvu tensor products (forward and all three VJPs),
// o3.Linear, the one-hot self-connection, Gate, FullyConnectedNet, the radial embedding. Errors are
// max|ours - ref| / max|ref| per array: float64 <= 1e-12, float32 (our float path vs the float64 reference)
// <= 1e-5.
#include <gtest/gtest.h>

#include "kernels/gate.hpp"
#include "kernels/linear.hpp"
#include "kernels/radial.hpp"
#include "kernels/radial_mlp.hpp"
#include "kernels/spherical_harmonics.hpp"
#include "kernels/tensor_product.hpp"
#include "kernels/wigner3j.hpp"
#include "reference.hpp"
#include "test_util.hpp"

namespace e3md::kernels {
namespace {

using test::get;
using test::reference;
using test::rel_err;

template <class Real>
constexpr double tol() {
  return sizeof(Real) == 8 ? 1e-12 : 1e-5;
}

template <class Real>
class Parity : public ::testing::Test {};
using Precisions = ::testing::Types<double, float>;
TYPED_TEST_SUITE(Parity, Precisions);

TYPED_TEST(Parity, SphericalHarmonicsAndJacobian) {
  using Real = TypeParam;
  const auto& j = reference().at("sh");
  const int lmax = j.at("lmax").get<int>(), dim = sh_dim(lmax);
  const auto vec = get<Real>(j, "vecs");
  const long E = static_cast<long>(vec.size() / 3);
  std::vector<Real> Y(static_cast<std::size_t>(E * dim)), dY(static_cast<std::size_t>(E * 3 * dim));
  spherical_harmonics_cpu<Real>(lmax, E, vec.data(), Y.data(), dY.data());
  const double e = rel_err(Y, get<double>(j, "Y"));
  // reference Jacobian is E x dim x 3; ours E x 3 x dim
  std::vector<Real> jac(dY.size());
  for (long k = 0; k < E; ++k)
    for (int i = 0; i < dim; ++i)
      for (int c = 0; c < 3; ++c)
        jac[static_cast<std::size_t>((k * dim + i) * 3 + c)] =
            dY[static_cast<std::size_t>((k * 3 + c) * dim + i)];
  const double ej = rel_err(jac, get<double>(j, "jac"));
  EXPECT_LT(e, tol<Real>());
  EXPECT_LT(ej, tol<Real>());
  std::printf("SH lmax %d: value error %.2e, Jacobian error %.2e\n", lmax, e, ej);
}

TEST(ParityW3j, AllTriplesUpTo4) {
  double worst = 0;
  int n = 0;
  for (const auto& c : reference().at("w3j")) {
    const auto l = c.at("l").get<std::vector<int>>();
    const double e = rel_err(wigner_3j(l[0], l[1], l[2]).dense(), get<double>(c, "C"));
    EXPECT_LT(e, 1e-12) << l[0] << l[1] << l[2];
    worst = std::max(worst, e);
    ++n;
  }
  EXPECT_GT(n, 60);
  std::printf("Wigner-3j: %d triples, worst error %.2e\n", n, worst);
}

TYPED_TEST(Parity, UvuTensorProduct) {
  using Real = TypeParam;
  for (const auto& c : reference().at("tp")) {
    std::vector<TpInstruction> ins;
    for (const auto& i : c.at("instructions"))
      ins.push_back({i[0].get<int>(), i[1].get<int>(), i[2].get<int>()});
    UvuTensorProduct<Real> tp(Irreps::parse(c.at("in1")), Irreps::parse(c.at("sh")),
                              Irreps::parse(c.at("out")), ins);
    const auto T = tp.view();
    const long E = c.at("E").get<long>();
    const auto x = get<Real>(c, "x"), y = get<Real>(c, "y"), w = get<Real>(c, "w"), g = get<Real>(c, "gout");
    ASSERT_EQ(w.size(), static_cast<std::size_t>(E * T.weight_numel));
    std::vector<Real> out(g.size()), gx(x.size()), gy(y.size()), gw(w.size());
    tp_uvu_forward_cpu(T, E, x.data(), y.data(), w.data(), out.data());
    tp_uvu_backward_cpu(T, E, x.data(), y.data(), w.data(), g.data(), gx.data(), gy.data(), gw.data());
    const double e[4] = {rel_err(out, get<double>(c, "result")), rel_err(gx, get<double>(c, "gx")),
                         rel_err(gy, get<double>(c, "gy")), rel_err(gw, get<double>(c, "gw"))};
    for (double v : e) EXPECT_LT(v, tol<Real>()) << c.at("in1").get<std::string>();
    std::printf("TP %s x %s (%zu paths): out %.1e gx %.1e gy %.1e gw %.1e\n",
                c.at("in1").get<std::string>().c_str(), c.at("sh").get<std::string>().c_str(), ins.size(),
                e[0], e[1], e[2], e[3]);
  }
}

template <class Real>
void check_linear(const nlohmann::json& c, int T, const std::vector<int>* types) {
  EquivariantLinear<Real> lin(Irreps::parse(c.at("in")), Irreps::parse(c.at("out")), get<double>(c, "weight"),
                              T);
  const auto L = lin.view();
  const long n = c.at("N").get<long>();
  const auto x = get<Real>(c, "x"), g = get<Real>(c, "gout");
  std::vector<Real> y(g.size()), gx(x.size());
  linear_forward_cpu(L, n, x.data(), types ? types->data() : nullptr, y.data());
  linear_backward_cpu(L, n, g.data(), types ? types->data() : nullptr, gx.data());
  const double e0 = rel_err(y, get<double>(c, "result")), e1 = rel_err(gx, get<double>(c, "gx"));
  EXPECT_LT(e0, tol<Real>());
  EXPECT_LT(e1, tol<Real>());
  std::printf("linear %s -> %s (T=%d): y %.1e gx %.1e\n", c.at("in").get<std::string>().c_str(),
              c.at("out").get<std::string>().c_str(), T, e0, e1);
}

TYPED_TEST(Parity, LinearAndSelfConnection) {
  for (const auto& c : reference().at("linear")) check_linear<TypeParam>(c, 1, nullptr);
  for (const auto& c : reference().at("sc")) {
    const auto types = c.at("types").get<std::vector<int>>();
    check_linear<TypeParam>(c, c.at("T").get<int>(), &types);
  }
}

TYPED_TEST(Parity, Gate) {
  using Real = TypeParam;
  const auto& c = reference().at("gate");
  auto acts = [](const nlohmann::json& ps) {
    std::vector<GateActivation> a;
    for (int p : ps.get<std::vector<int>>())
      a.push_back(normalized_activation(p == 1 ? Activation::kSilu : Activation::kTanh));
    return a;
  };
  Gate<Real> gate(Irreps::parse(c.at("scalars")), acts(c.at("act_scalars")), Irreps::parse(c.at("gates")),
                  acts(c.at("act_gates")), Irreps::parse(c.at("gated")));
  ASSERT_EQ(gate.irreps_in().str(), Irreps::parse(c.at("irreps_in")).str());
  const auto G = gate.view();
  const long n = c.at("N").get<long>();
  const auto x = get<Real>(c, "x"), g = get<Real>(c, "gout");
  std::vector<Real> y(g.size()), gx(x.size());
  gate_forward_cpu(G, n, x.data(), y.data());
  gate_backward_cpu(G, n, x.data(), g.data(), gx.data());
  const double e0 = rel_err(y, get<double>(c, "result")), e1 = rel_err(gx, get<double>(c, "gx"));
  EXPECT_LT(e0, tol<Real>());
  EXPECT_LT(e1, tol<Real>());
  std::printf("gate %s: y %.1e gx %.1e\n", gate.irreps_in().str().c_str(), e0, e1);
}

TYPED_TEST(Parity, RadialMlp) {
  using Real = TypeParam;
  for (const auto& c : reference().at("mlp")) {
    RadialMlp<Real> mlp(c.at("dims").get<std::vector<int>>(),
                        c.at("weights").get<std::vector<std::vector<double>>>());
    const auto M = mlp.view();
    const long n = c.at("N").get<long>();
    const auto x = get<Real>(c, "x"), g = get<Real>(c, "gout");
    std::vector<Real> y(g.size()), gx(x.size());
    mlp_forward_cpu(M, n, x.data(), y.data());
    mlp_backward_cpu(M, n, x.data(), g.data(), gx.data());
    const double e0 = rel_err(y, get<double>(c, "result")), e1 = rel_err(gx, get<double>(c, "gx"));
    EXPECT_LT(e0, tol<Real>());
    EXPECT_LT(e1, tol<Real>());
    std::printf("MLP: y %.1e gx %.1e\n", e0, e1);
  }
}

TYPED_TEST(Parity, RadialEmbedding) {
  using Real = TypeParam;
  const auto& c = reference().at("radial");
  const auto freq = get<Real>(c, "freq"), r = get<Real>(c, "r"), g = get<double>(c, "gout");
  const RadialParams<Real> P{static_cast<Real>(c.at("r_max").get<double>()),
                             static_cast<Real>(c.at("p").get<double>()), static_cast<int>(freq.size()),
                             freq.data()};
  const long E = static_cast<long>(r.size());
  std::vector<Real> b(static_cast<std::size_t>(E) * freq.size()), db(b.size());
  radial_embedding_cpu(P, E, r.data(), b.data(), db.data());
  std::vector<double> gr(r.size(), 0.0);
  for (std::size_t q = 0; q < b.size(); ++q) gr[q / freq.size()] += g[q] * static_cast<double>(db[q]);
  const double e0 = rel_err(b, get<double>(c, "b")), e1 = rel_err(gr, get<double>(c, "gr"));
  EXPECT_LT(e0, tol<Real>());
  EXPECT_LT(e1, tol<Real>());
  std::printf("radial embedding: b %.1e db/dr %.1e\n", e0, e1);
}

}  // namespace
}  // namespace e3md::kernels
