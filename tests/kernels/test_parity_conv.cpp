// The fused convolution against the same pipeline composed from e3nn / nequip modules (SH, BesselBasis,
// PolynomialCutoff, FullyConnectedNet, TensorProduct, index_add), with dE/dx and dE/dr from torch autograd.
#include <gtest/gtest.h>

#include "kernels/convolution.hpp"
#include "reference.hpp"
#include "test_util.hpp"

namespace e3md::kernels {
namespace {

using test::get;
using test::rel_err;

template <class Real>
class ConvParity : public ::testing::Test {};
using Precisions = ::testing::Types<double, float>;
TYPED_TEST_SUITE(ConvParity, Precisions);

TYPED_TEST(ConvParity, ForwardAndBackward) {
  using Real = TypeParam;
  const double tol = sizeof(Real) == 8 ? 1e-12 : 1e-5;
  for (const auto& c : test::reference().at("conv")) {
    ConvolutionSpec s;
    s.node = Irreps::parse(c.at("in1"));
    s.sh = Irreps::parse(c.at("sh"));
    s.out = Irreps::parse(c.at("out"));
    for (const auto& i : c.at("instructions"))
      s.instructions.push_back({i[0].get<int>(), i[1].get<int>(), i[2].get<int>()});
    s.r_max = c.at("r_max").get<double>();
    s.p = c.at("p").get<double>();
    s.bessel_freq = get<double>(c, "freq");
    s.mlp_dims = c.at("mlp_dims").get<std::vector<int>>();
    s.mlp_weights = c.at("mlp_weights").get<std::vector<std::vector<double>>>();
    s.avg_num_neighbors = c.at("ann").get<double>();
    Convolution<Real> conv(s);
    const auto C = conv.view();
    const long N = c.at("N").get<long>(), E = c.at("E").get<long>();
    const auto center = c.at("center").get<std::vector<int>>(),
               neighbor = c.at("neighbor").get<std::vector<int>>();
    const auto vec = get<Real>(c, "vec"), x = get<Real>(c, "x"), gA = get<Real>(c, "gA");
    const EdgeList<Real> edges{E, center.data(), neighbor.data(), vec.data()};
    ConvWorkspace<Real> ws;
    std::vector<Real> A(gA.size()), gx(x.size(), Real(0)), gr(vec.size(), Real(0));
    conv_forward_cpu(C, edges, N, N, x.data(), A.data(), ws);
    conv_backward_cpu(C, edges, N, N, x.data(), gA.data(), gx.data(), gr.data(), ws);
    const double e[3] = {rel_err(A, get<double>(c, "A")), rel_err(gx, get<double>(c, "gx")),
                         rel_err(gr, get<double>(c, "gvec"))};
    for (double v : e) EXPECT_LT(v, tol) << s.node.str();
    std::printf("conv %s (%s): A %.1e dE/dx %.1e dE/dr %.1e\n", s.node.str().c_str(),
                sizeof(Real) == 8 ? "f64" : "f32", e[0], e[1], e[2]);
  }
}

}  // namespace
}  // namespace e3md::kernels
