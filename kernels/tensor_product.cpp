#include "kernels/tensor_product.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace e3md::kernels {

template <class Real>
UvuTensorProduct<Real>::UvuTensorProduct(const Irreps& in1, const Irreps& in2, const Irreps& out,
                                         const std::vector<TpInstruction>& instructions,
                                         const Wigner3jOverrides* overrides)
    : in1_(in1), in2_(in2), out_(out) {
  const auto o1 = in1.offsets(), o2 = in2.offsets(), oo = out.offsets();
  // e3nn "element" path normalisation: instructions into the same slot share the fan-in.
  std::vector<int> fan(out.size(), 0);
  for (std::size_t n = 0; n < instructions.size(); ++n) {
    const auto& I = instructions[n];
    const std::string where = "tensor product instruction " + std::to_string(n) + " (" +
                              std::to_string(I.in1) + "," + std::to_string(I.in2) + "," +
                              std::to_string(I.out) + ")";
    if (I.in1 < 0 || I.in1 >= static_cast<int>(in1.size()) || I.in2 < 0 ||
        I.in2 >= static_cast<int>(in2.size()) || I.out < 0 || I.out >= static_cast<int>(out.size())) {
      throw std::invalid_argument(where + ": block index out of range for " + in1.str() + " x " + in2.str() +
                                  " -> " + out.str());
    }
    const auto &a = in1[I.in1], &b = in2[I.in2], &c = out[I.out];
    const auto prod = irrep_product(a.ir, b.ir);
    if (std::find(prod.begin(), prod.end(), c.ir) == prod.end()) {
      throw std::invalid_argument(where + ": " + c.ir.str() + " is not in " + a.ir.str() + " x " +
                                  b.ir.str() + "; fix the instruction list");
    }
    if (b.mul != 1 || c.mul != a.mul) {
      throw std::invalid_argument(where + ": uvu needs mul(in2) = 1 and mul(out) = mul(in1), got " +
                                  b.ir.str() + " x" + std::to_string(b.mul) + " and " +
                                  std::to_string(c.mul) + " vs " + std::to_string(a.mul));
    }
    if (std::max({a.ir.l, b.ir.l, c.ir.l}) > (kTpMaxIrDim - 1) / 2) {
      throw std::invalid_argument(where + ": l > 8 is not supported (kTpMaxIrDim)");
    }
    fan[static_cast<std::size_t>(I.out)] += b.mul;
  }
  for (const auto& I : instructions) {
    const auto &a = in1[I.in1], &b = in2[I.in2], &c = out[I.out];
    TpPath P{};
    P.in1_off = o1[static_cast<std::size_t>(I.in1)];
    P.mul = a.mul;
    P.d1 = a.ir.dim();
    P.in2_off = o2[static_cast<std::size_t>(I.in2)];
    P.d2 = b.ir.dim();
    P.out_off = oo[static_cast<std::size_t>(I.out)];
    P.d3 = c.ir.dim();
    P.w_off = weight_numel_;
    weight_numel_ += a.mul * b.mul;
    const double norm = std::sqrt(static_cast<double>(c.ir.dim()) / fan[static_cast<std::size_t>(I.out)]);
    const auto& C = wigner_3j(a.ir.l, b.ir.l, c.ir.l, overrides);
    P.coef_begin = static_cast<int>(coefs_.size());
    for (const auto& e : C.entries) coefs_.push_back({e.i, e.j, e.k, static_cast<Real>(norm * e.value)});
    P.coef_end = static_cast<int>(coefs_.size());
    paths_.push_back(P);
  }
}

template <class Real>
TpView<Real> UvuTensorProduct<Real>::view() const {
  TpView<Real> v;
  v.paths = paths_.data();
  v.num_paths = static_cast<int>(paths_.size());
  v.coefs = coefs_.data();
  v.dim_in1 = in1_.dim();
  v.dim_in2 = in2_.dim();
  v.dim_out = out_.dim();
  v.weight_numel = weight_numel_;
  return v;
}

template <class Real>
void tp_uvu_forward_cpu(const TpView<Real>& T, long rows, const Real* x, const Real* y, const Real* w,
                        Real* out) {
#pragma omp parallel for schedule(static)
  for (long e = 0; e < rows; ++e) {
    Real* o = out + e * T.dim_out;
    for (int q = 0; q < T.dim_out; ++q) o[q] = Real(0);
    tp_uvu_forward(T, x + e * T.dim_in1, y + e * T.dim_in2, w + e * T.weight_numel, Real(1), o);
  }
}

template <class Real>
void tp_uvu_backward_cpu(const TpView<Real>& T, long rows, const Real* x, const Real* y, const Real* w,
                         const Real* gout, Real* gx, Real* gy, Real* gw) {
#pragma omp parallel for schedule(static)
  for (long e = 0; e < rows; ++e) {
    Real* gxe = gx ? gx + e * T.dim_in1 : nullptr;
    Real* gye = gy ? gy + e * T.dim_in2 : nullptr;
    Real* gwe = gw ? gw + e * T.weight_numel : nullptr;
    if (gxe) std::fill(gxe, gxe + T.dim_in1, Real(0));
    if (gye) std::fill(gye, gye + T.dim_in2, Real(0));
    if (gwe) std::fill(gwe, gwe + T.weight_numel, Real(0));
    tp_uvu_backward(T, x + e * T.dim_in1, y + e * T.dim_in2, w + e * T.weight_numel, Real(1),
                    gout + e * T.dim_out, gxe, gye, gwe);
  }
}

template class UvuTensorProduct<double>;
template class UvuTensorProduct<float>;
template void tp_uvu_forward_cpu<double>(const TpView<double>&, long, const double*, const double*,
                                         const double*, double*);
template void tp_uvu_forward_cpu<float>(const TpView<float>&, long, const float*, const float*, const float*,
                                        float*);
template void tp_uvu_backward_cpu<double>(const TpView<double>&, long, const double*, const double*,
                                          const double*, const double*, double*, double*, double*);
template void tp_uvu_backward_cpu<float>(const TpView<float>&, long, const float*, const float*, const float*,
                                         const float*, float*, float*, float*);

}  // namespace e3md::kernels
