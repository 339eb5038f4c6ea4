// Serial host launchers with the CUDA launchers' signatures and work split (kernels/cuda_launchers.hpp): one
// loop iteration where the GPU runs one thread, over the same E3MD_HD bodies, plain additions where the GPU
// adds atomically. They run the device network's algorithm on the host (engine/nequip_network_device.hpp with
// the reference backend), so that its orchestration is tested on machines without a GPU; they are not the CPU
// path (that is the batched *_cpu launchers).
#pragma once

#include <algorithm>
#include <vector>

#include "kernels/convolution.hpp"
#include "kernels/gate.hpp"
#include "kernels/linear.hpp"

namespace e3md::kernels::ref {

// Per-edge scratch followed by the edge's message (forward) or dE/dx_j (backward), as one GPU thread has it.
template <class Real>
struct ConvWorkspace {
  std::vector<Real> scratch;
};

// The launchers as static members, so that a backend can inherit them (engine/nequip_network_reference.cpp).
struct Launchers {
  template <class Real>
  using ConvWorkspace = ref::ConvWorkspace<Real>;

  template <class Real>
  static void linear_forward(const LinearView<Real>& L, long n, const Real* x, const int* types, Real* y) {
    for (long i = 0; i < n; ++i)
      kernels::linear_forward(L, x + i * L.dim_in, types ? types[i] : 0, y + i * L.dim_out);
  }

  template <class Real>
  static void linear_backward(const LinearView<Real>& L, long n, const Real* gy, const int* types, Real* gx) {
    for (long i = 0; i < n; ++i)
      kernels::linear_backward(L, gy + i * L.dim_out, types ? types[i] : 0, gx + i * L.dim_in);
  }

  template <class Real>
  static void gate_forward(const GateView<Real>& G, long n, const Real* x, Real* y) {
    for (long i = 0; i < n; ++i) kernels::gate_forward(G, x + i * G.dim_in, y + i * G.dim_out);
  }

  template <class Real>
  static void gate_backward(const GateView<Real>& G, long n, const Real* x, const Real* gy, Real* gx) {
    for (long i = 0; i < n; ++i)
      kernels::gate_backward(G, x + i * G.dim_in, gy + i * G.dim_out, gx + i * G.dim_in);
  }

  template <class Real>
  static void add(long n, const Real* x, Real* y) {
    for (long i = 0; i < n; ++i) y[i] += x[i];
  }

  // A (num_centers x dim_out) overwritten.
  template <class Real>
  static void conv_forward(const ConvView<Real>& C, const EdgeList<Real>& edges, long num_centers,
                           const Real* x, Real* A, ConvWorkspace<Real>& ws) {
    std::fill(A, A + num_centers * C.tp.dim_out, Real(0));
    ws.scratch.resize(static_cast<std::size_t>(C.scratch_size() + C.tp.dim_out));
    Real* s = ws.scratch.data();
    Real* msg = s + C.scratch_size();
    for (long e = 0; e < edges.num_edges; ++e) {
      std::fill(msg, msg + C.tp.dim_out, Real(0));
      conv_edge_forward(C, edges.vec + 3 * e, x + static_cast<long>(edges.neighbor[e]) * C.tp.dim_in1, s,
                        msg);
      Real* Ai = A + static_cast<long>(edges.center[e]) * C.tp.dim_out;
      for (int q = 0; q < C.tp.dim_out; ++q) Ai[q] += msg[q];
    }
  }

  // gx += dE/dx, gr += dE/dr_e.
  template <class Real>
  static void conv_backward(const ConvView<Real>& C, const EdgeList<Real>& edges, const Real* x,
                            const Real* gA, Real* gx, Real* gr, ConvWorkspace<Real>& ws) {
    ws.scratch.resize(static_cast<std::size_t>(C.scratch_size() + C.tp.dim_in1));
    Real* s = ws.scratch.data();
    Real* gxj = s + C.scratch_size();
    for (long e = 0; e < edges.num_edges; ++e) {
      const long j = edges.neighbor[e];
      std::fill(gxj, gxj + C.tp.dim_in1, Real(0));
      conv_edge_backward(C, edges.vec + 3 * e, x + j * C.tp.dim_in1,
                         gA + static_cast<long>(edges.center[e]) * C.tp.dim_out, s, gxj, gr + 3 * e);
      for (int q = 0; q < C.tp.dim_in1; ++q) gx[j * C.tp.dim_in1 + q] += gxj[q];
    }
  }
};

}  // namespace e3md::kernels::ref
