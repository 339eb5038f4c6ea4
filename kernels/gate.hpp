// e3nn's Gate (spec §7.8). The input is sort(simplify(scalars) ++ simplify(gates) ++ simplify(gated)),
// simplified; each piece is cut from its place in the sorted list. Output = [act(scalars)] ++
// [gated channel c times act_gate(gate scalar c)], gate scalars counted through all gate blocks in order.
// Every activation is scaled by its normalize2mom constant (given as data).
#pragma once

#include <vector>

#include "kernels/activations.hpp"
#include "kernels/hd.hpp"
#include "kernels/irreps.hpp"

namespace e3md::kernels {

template <class Real>
struct GateScalarSeg {
  int in_off, out_off, count;
  Activation act;
  Real scale;
};

// `mul` channels of a gated block whose gate scalars sit contiguously at gate_off in the input.
template <class Real>
struct GateGatedSeg {
  int gate_off, in_off, out_off, mul, d;
  Activation act;
  Real scale;
};

template <class Real>
struct GateView {
  const GateScalarSeg<Real>* scalars = nullptr;
  int num_scalars = 0;
  const GateGatedSeg<Real>* gated = nullptr;
  int num_gated = 0;
  int dim_in = 0, dim_out = 0;
};

template <class Real>
E3MD_HD void gate_forward(const GateView<Real>& G, const Real* x, Real* y) {
  for (int s = 0; s < G.num_scalars; ++s) {
    const GateScalarSeg<Real> S = G.scalars[s];
    for (int q = 0; q < S.count; ++q) y[S.out_off + q] = S.scale * activation_value(S.act, x[S.in_off + q]);
  }
  for (int s = 0; s < G.num_gated; ++s) {
    const GateGatedSeg<Real> S = G.gated[s];
    for (int u = 0; u < S.mul; ++u) {
      const Real g = S.scale * activation_value(S.act, x[S.gate_off + u]);
      for (int m = 0; m < S.d; ++m) y[S.out_off + u * S.d + m] = g * x[S.in_off + u * S.d + m];
    }
  }
}

// gx = (dy/dx)^T gy, gx overwritten (input components that feed nothing get 0).
template <class Real>
E3MD_HD void gate_backward(const GateView<Real>& G, const Real* x, const Real* gy, Real* gx) {
  for (int q = 0; q < G.dim_in; ++q) gx[q] = Real(0);
  for (int s = 0; s < G.num_scalars; ++s) {
    const GateScalarSeg<Real> S = G.scalars[s];
    for (int q = 0; q < S.count; ++q) {
      Real f, df;
      activation_eval(S.act, x[S.in_off + q], &f, &df);
      gx[S.in_off + q] += gy[S.out_off + q] * S.scale * df;
    }
  }
  for (int s = 0; s < G.num_gated; ++s) {
    const GateGatedSeg<Real> S = G.gated[s];
    for (int u = 0; u < S.mul; ++u) {
      Real f, df;
      activation_eval(S.act, x[S.gate_off + u], &f, &df);
      const Real g = S.scale * f;
      Real dot = Real(0);
      for (int m = 0; m < S.d; ++m) {
        const Real gyv = gy[S.out_off + u * S.d + m];
        dot += gyv * x[S.in_off + u * S.d + m];
        gx[S.in_off + u * S.d + m] += g * gyv;
      }
      gx[S.gate_off + u] += S.scale * df * dot;
    }
  }
}

struct GateActivation {
  Activation act = Activation::kSilu;
  double scale = 1.0;  // normalize2mom constant
};

// silu with e3nn's constant, tanh with e3nn's constant.
GateActivation normalized_activation(Activation a);

template <class Real>
class Gate {
 public:
  Gate() = default;
  // One activation per block of `scalars` and of `gates`. gates must hold as many scalars (0e/0o, any
  // blocks) as gated has channels. Throws std::invalid_argument otherwise.
  Gate(const Irreps& scalars, const std::vector<GateActivation>& act_scalars, const Irreps& gates,
       const std::vector<GateActivation>& act_gates, const Irreps& gated);
  GateView<Real> view() const;
  const Irreps& irreps_in() const { return in_; }    // sorted, simplified
  const Irreps& irreps_out() const { return out_; }  // simplify(scalars) ++ simplify(gated)

 private:
  Irreps in_, out_;
  std::vector<GateScalarSeg<Real>> scalars_;
  std::vector<GateGatedSeg<Real>> gated_;
};

template <class Real>
void gate_forward_cpu(const GateView<Real>& G, long n, const Real* x, Real* y);
template <class Real>
void gate_backward_cpu(const GateView<Real>& G, long n, const Real* x, const Real* gy, Real* gx);

}  // namespace e3md::kernels
