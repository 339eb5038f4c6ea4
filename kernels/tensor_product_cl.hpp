// The uvu tensor product of tensor_product.hpp in the channel-last layout the CPU launchers use: component k
// of channel u of a block (offset off, mul channels of dimension d) sits at off + k * mul + u instead of
// e3nn's off + u * d + k. Every loop over channels is then contiguous, and the channels go in chunks of CH
// (one 64-byte vector) whose partial sums stay in registers. The sums are those of tp_uvu_forward /
// tp_uvu_backward (in another order). Blocks keep their offsets; only the order inside a block changes.
#pragma once

#include "kernels/tensor_product.hpp"

namespace e3md::kernels {

struct ChannelBlock {
  int off, mul, d;
};

template <class Real>
inline void to_channel_last(const ChannelBlock* blocks, int n, const Real* in, Real* out) {
  for (int b = 0; b < n; ++b) {
    const ChannelBlock B = blocks[b];
    for (int u = 0; u < B.mul; ++u)
      for (int k = 0; k < B.d; ++k) out[B.off + k * B.mul + u] = in[B.off + u * B.d + k];
  }
}

// out (e3nn layout) += in (channel-last).
template <class Real>
inline void add_from_channel_last(const ChannelBlock* blocks, int n, const Real* in, Real* out) {
  for (int b = 0; b < n; ++b) {
    const ChannelBlock B = blocks[b];
    for (int u = 0; u < B.mul; ++u)
      for (int k = 0; k < B.d; ++k) out[B.off + u * B.d + k] += in[B.off + k * B.mul + u];
  }
}

// Channels per chunk: one 64-byte vector.
template <class Real>
constexpr int tp_chunk() {
  return 64 / static_cast<int>(sizeof(Real));
}

// Reals of scratch tp_uvu_backward_cl needs: per-lane partial sums of dE/dY.
template <class Real>
constexpr int tp_cl_scratch(int dim_in2) {
  return dim_in2 * tp_chunk<Real>();
}

namespace detail {

// One path, channels [u0, u0 + nu) with nu = NU when NU > 0 (a full chunk, unrolled) or the runtime nu.
template <class Real, int NU>
inline void tp_cl_forward_chunk(const TpPath& P, const Real* M, const Real* x, const Real* w, Real scale,
                                Real* o, int nu_rt) {
  constexpr int CH = tp_chunk<Real>();
  const int nu = NU > 0 ? NU : nu_rt;
  for (int k3 = 0; k3 < P.d3; ++k3) {
    Real acc[CH];
    for (int u = 0; u < CH; ++u) acc[u] = Real(0);
    for (int k1 = 0; k1 < P.d1; ++k1) {
      const Real m = M[k1 * P.d3 + k3];
      if (m == Real(0)) continue;
      const Real* xk = x + k1 * P.mul;
      E3MD_SIMD
      for (int u = 0; u < nu; ++u) acc[u] += m * xk[u];
    }
    Real* ok = o + k3 * P.mul;
    E3MD_SIMD
    for (int u = 0; u < nu; ++u) ok[u] += scale * w[u] * acc[u];
  }
}

template <class Real, int NU>
inline void tp_cl_backward_chunk(const TpView<Real>& T, const TpPath& P, const Real* M, const Real* x,
                                 const Real* g, const Real* w, Real scale, Real* gx, Real* gw, Real* hY,
                                 int nu_rt) {
  constexpr int CH = tp_chunk<Real>();
  const int nu = NU > 0 ? NU : nu_rt;
  Real wx[kTpMaxIrDim][CH];  // w_u x[k1][u], for dE/dY
  for (int k1 = 0; k1 < P.d1; ++k1) {
    // t_u = scale sum_k3 M[k1][k3] g[k3][u]; dE/dw_u += x[k1][u] t_u; dE/dx[k1][u] += w_u t_u
    Real t[CH];
    for (int u = 0; u < CH; ++u) t[u] = Real(0);
    for (int k3 = 0; k3 < P.d3; ++k3) {
      const Real m = M[k1 * P.d3 + k3];
      if (m == Real(0)) continue;
      const Real* gk = g + k3 * P.mul;
      E3MD_SIMD
      for (int u = 0; u < nu; ++u) t[u] += m * gk[u];
    }
    const Real* xk = x + k1 * P.mul;
    Real* gxk = gx + k1 * P.mul;
    E3MD_SIMD
    for (int u = 0; u < nu; ++u) {
      const Real tu = scale * t[u];
      gw[u] += xk[u] * tu;
      gxk[u] += w[u] * tu;
      wx[k1][u] = w[u] * xk[u];
    }
  }
  // dE/dY_j (per lane, unscaled) += sum_{i,k} c_ijk w_u x[i][u] g[k][u]
  for (int n = P.coef_begin; n < P.coef_end; ++n) {
    const TpCoef<Real> c = T.coefs[n];
    const Real* gk = g + c.k * P.mul;
    const Real* wxi = wx[c.i];
    Real* h = hY + (P.in2_off + c.j) * CH;
    E3MD_SIMD
    for (int u = 0; u < nu; ++u) h[u] += c.c * wxi[u] * gk[u];
  }
}

}  // namespace detail

// outT += scale * TP(xT, y; w) with xT and outT channel-last. Zero entries of C.y (most of them for l2 = 0)
// are skipped.
template <class Real>
inline void tp_uvu_forward_cl(const TpView<Real>& T, const Real* xT, const Real* y, const Real* w, Real scale,
                              Real* outT) {
  constexpr int CH = tp_chunk<Real>();
  Real M[kTpMaxIrDim * kTpMaxIrDim];
  for (int p = 0; p < T.num_paths; ++p) {
    const TpPath P = T.paths[p];
    tp_contract_y(T, P, y, M);
    int u0 = 0;
    for (; u0 + CH <= P.mul; u0 += CH)
      detail::tp_cl_forward_chunk<Real, CH>(P, M, xT + P.in1_off + u0, w + P.w_off + u0, scale,
                                            outT + P.out_off + u0, CH);
    if (u0 < P.mul)
      detail::tp_cl_forward_chunk<Real, 0>(P, M, xT + P.in1_off + u0, w + P.w_off + u0, scale,
                                           outT + P.out_off + u0, P.mul - u0);
  }
}

// Vector-Jacobian products of outT = scale * TP(xT, y; w), channel-last xT, goutT, gxT: gxT += ..., gy +=
// ..., gw += ... (none may be null). scratch: tp_cl_scratch<Real>(T.dim_in2) Reals.
template <class Real>
inline void tp_uvu_backward_cl(const TpView<Real>& T, const Real* xT, const Real* y, const Real* w,
                               Real scale, const Real* goutT, Real* gxT, Real* gy, Real* gw, Real* scratch) {
  constexpr int CH = tp_chunk<Real>();
  Real M[kTpMaxIrDim * kTpMaxIrDim];
  Real* hY = scratch;
  for (int q = 0; q < T.dim_in2 * CH; ++q) hY[q] = Real(0);
  for (int p = 0; p < T.num_paths; ++p) {
    const TpPath P = T.paths[p];
    tp_contract_y(T, P, y, M);
    int u0 = 0;
    for (; u0 + CH <= P.mul; u0 += CH)
      detail::tp_cl_backward_chunk<Real, CH>(T, P, M, xT + P.in1_off + u0, goutT + P.out_off + u0,
                                             w + P.w_off + u0, scale, gxT + P.in1_off + u0, gw + P.w_off + u0,
                                             hY, CH);
    if (u0 < P.mul)
      detail::tp_cl_backward_chunk<Real, 0>(T, P, M, xT + P.in1_off + u0, goutT + P.out_off + u0,
                                            w + P.w_off + u0, scale, gxT + P.in1_off + u0, gw + P.w_off + u0,
                                            hY, P.mul - u0);
  }
  for (int j = 0; j < T.dim_in2; ++j) {
    Real acc = Real(0);
    for (int u = 0; u < CH; ++u) acc += hY[j * CH + u];
    gy[j] += scale * acc;
  }
}

}  // namespace e3md::kernels
