// e3nn's weighted "uvu" tensor product with per-edge weights (spec §7.4): for instruction k = (a, b, c)
//   out[c][u][k3] += sqrt((2 l3 + 1) / n_c) w[off_k + u] sum_{k1,k2} C^{(l1,l2,l3)}[k1,k2,k3] x[a][u][k1]
//   y[b][k2]
// with n_c the number of instructions into slot c times the multiplicity of in2 (e3nn's "element" path
// normalisation; 1 for NequIP). The per-edge weights follow the instruction order; the output is the slot
// layout of irreps_out. C is stored sparsely with the normalisation folded in.
#pragma once

#include <vector>

#include "kernels/hd.hpp"
#include "kernels/irreps.hpp"
#include "kernels/wigner3j.hpp"

namespace e3md::kernels {

constexpr int kTpMaxIrDim = 17;  // 2 l + 1 for l <= 8

struct TpPath {
  int in1_off, mul, d1;  // block of input 1: offset, multiplicity, 2l1+1
  int in2_off, d2;       // block of input 2 (multiplicity 1)
  int out_off, d3;       // output slot
  int w_off;             // first of the `mul` per-edge weights of this path
  int coef_begin, coef_end;
};

template <class Real>
struct TpCoef {
  int i, j, k;
  Real c;  // normalisation times C[i][j][k]
};

// Plain-data view, valid on host or device depending on where the arrays live.
template <class Real>
struct TpView {
  const TpPath* paths = nullptr;
  int num_paths = 0;
  const TpCoef<Real>* coefs = nullptr;
  int dim_in1 = 0, dim_in2 = 0, dim_out = 0, weight_numel = 0;
};

// M[k1][k3] = sum_j c_{k1 j k3} y[j] for one path (d1 x d3, row-major).
template <class Real>
E3MD_HD_INLINE void tp_contract_y(const TpView<Real>& T, const TpPath& P, const Real* y, Real* M) {
  for (int q = 0; q < P.d1 * P.d3; ++q) M[q] = Real(0);
  for (int n = P.coef_begin; n < P.coef_end; ++n) {
    const TpCoef<Real> c = T.coefs[n];
    M[c.i * P.d3 + c.k] += c.c * y[P.in2_off + c.j];
  }
}

// out += scale * TP(x, y; w). Contracting C with y first makes the per-channel work a d1 x d3 matvec.
template <class Real>
E3MD_HD void tp_uvu_forward(const TpView<Real>& T, const Real* x, const Real* y, const Real* w, Real scale,
                            Real* out) {
  Real M[kTpMaxIrDim * kTpMaxIrDim];
  for (int p = 0; p < T.num_paths; ++p) {
    const TpPath P = T.paths[p];
    tp_contract_y(T, P, y, M);
    for (int u = 0; u < P.mul; ++u) {
      const Real* xu = x + P.in1_off + u * P.d1;
      Real* ou = out + P.out_off + u * P.d3;
      const Real wu = scale * w[P.w_off + u];
      for (int k3 = 0; k3 < P.d3; ++k3) {
        Real acc = Real(0);
        for (int k1 = 0; k1 < P.d1; ++k1) acc += xu[k1] * M[k1 * P.d3 + k3];
        ou[k3] += wu * acc;
      }
    }
  }
}

// Vector-Jacobian products of out = scale * TP(x, y; w) for a given gout: gx += ..., gy += ..., gw += ...
// (each may be null).
template <class Real>
E3MD_HD void tp_uvu_backward(const TpView<Real>& T, const Real* x, const Real* y, const Real* w, Real scale,
                             const Real* gout, Real* gx, Real* gy, Real* gw) {
  Real M[kTpMaxIrDim * kTpMaxIrDim];
  Real gM[kTpMaxIrDim * kTpMaxIrDim];
  Real t[kTpMaxIrDim];
  for (int p = 0; p < T.num_paths; ++p) {
    const TpPath P = T.paths[p];
    tp_contract_y(T, P, y, M);
    if (gy) {
      for (int q = 0; q < P.d1 * P.d3; ++q) gM[q] = Real(0);
    }
    for (int u = 0; u < P.mul; ++u) {
      const Real* xu = x + P.in1_off + u * P.d1;
      const Real* gu = gout + P.out_off + u * P.d3;
      for (int k1 = 0; k1 < P.d1; ++k1) {
        Real acc = Real(0);
        for (int k3 = 0; k3 < P.d3; ++k3) acc += M[k1 * P.d3 + k3] * gu[k3];
        t[k1] = scale * acc;
      }
      const Real wu = w[P.w_off + u];
      if (gw) {
        Real acc = Real(0);
        for (int k1 = 0; k1 < P.d1; ++k1) acc += xu[k1] * t[k1];
        gw[P.w_off + u] += acc;
      }
      if (gx) {
        Real* gxu = gx + P.in1_off + u * P.d1;
        for (int k1 = 0; k1 < P.d1; ++k1) gxu[k1] += wu * t[k1];
      }
      if (gy) {
        const Real sw = scale * wu;
        for (int k1 = 0; k1 < P.d1; ++k1) {
          const Real a = sw * xu[k1];
          for (int k3 = 0; k3 < P.d3; ++k3) gM[k1 * P.d3 + k3] += a * gu[k3];
        }
      }
    }
    if (gy) {
      for (int n = P.coef_begin; n < P.coef_end; ++n) {
        const TpCoef<Real> c = T.coefs[n];
        gy[P.in2_off + c.j] += c.c * gM[c.i * P.d3 + c.k];
      }
    }
  }
}

struct TpInstruction {
  int in1, in2, out;  // block indices into irreps_in1, irreps_in2, irreps_out
};

// Owns the path and coefficient arrays of one uvu tensor product.
template <class Real>
class UvuTensorProduct {
 public:
  UvuTensorProduct() = default;
  // Throws std::invalid_argument naming the instruction when a block index is out of range, the irreps
  // product rule fails, mul(in2) != 1, mul(out) != mul(in1) or l > 8.
  UvuTensorProduct(const Irreps& in1, const Irreps& in2, const Irreps& out,
                   const std::vector<TpInstruction>& instructions,
                   const Wigner3jOverrides* overrides = nullptr);
  TpView<Real> view() const;
  const Irreps& irreps_in1() const { return in1_; }
  const Irreps& irreps_in2() const { return in2_; }
  const Irreps& irreps_out() const { return out_; }
  int weight_numel() const { return weight_numel_; }
  const std::vector<TpPath>& paths() const { return paths_; }
  const std::vector<TpCoef<Real>>& coefs() const { return coefs_; }

 private:
  Irreps in1_, in2_, out_;
  std::vector<TpPath> paths_;
  std::vector<TpCoef<Real>> coefs_;
  int weight_numel_ = 0;
};

// Batched CPU launchers on per-edge arrays (x: E x dim_in1, y: E x dim_in2, w: E x weight_numel).
// Forward overwrites out (E x dim_out); backward overwrites gx, gy, gw (each may be null).
template <class Real>
void tp_uvu_forward_cpu(const TpView<Real>& T, long rows, const Real* x, const Real* y, const Real* w,
                        Real* out);
template <class Real>
void tp_uvu_backward_cpu(const TpView<Real>& T, long rows, const Real* x, const Real* y, const Real* w,
                         const Real* gout, Real* gx, Real* gy, Real* gw);

}  // namespace e3md::kernels
