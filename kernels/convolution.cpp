#include "kernels/convolution.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "kernels/cpu_simd.hpp"

namespace e3md::kernels {

template <class Real>
Convolution<Real>::Convolution(const ConvolutionSpec& s) {
  lmax_ = s.sh.lmax();
  if (lmax_ < 0 || lmax_ > kShLmaxMax || static_cast<int>(s.sh.size()) != lmax_ + 1) {
    throw std::invalid_argument("convolution: edge irreps " + s.sh.str() +
                                " must be 1x0+1x1+...+1xlmax with lmax <= " + std::to_string(kShLmaxMax));
  }
  for (int l = 0; l <= lmax_; ++l) {
    if (s.sh[static_cast<std::size_t>(l)].mul != 1 || s.sh[static_cast<std::size_t>(l)].ir.l != l) {
      throw std::invalid_argument("convolution: edge irreps " + s.sh.str() + " must be 1x0+1x1+...+1xlmax");
    }
  }
  if (!(s.r_max > 0)) throw std::invalid_argument("convolution: r_max must be > 0 (Å)");
  if (s.bessel_freq.empty() || s.bessel_freq.size() > static_cast<std::size_t>(kRadialMaxBasis)) {
    throw std::invalid_argument("convolution: " + std::to_string(s.bessel_freq.size()) +
                                " Bessel frequencies given; 1.." + std::to_string(kRadialMaxBasis) +
                                " supported");
  }
  r_max_ = s.r_max;
  p_ = s.p;
  scale_ = static_cast<Real>(s.avg_num_neighbors > 0 ? 1.0 / std::sqrt(s.avg_num_neighbors) : 1.0);
  freq_.assign(s.bessel_freq.begin(), s.bessel_freq.end());
  tp_ = UvuTensorProduct<Real>(s.node, s.sh, s.out, s.instructions, s.w3j_overrides);
  mlp_ = RadialMlp<Real>(s.mlp_dims, s.mlp_weights);
  if (s.mlp_dims.front() != static_cast<int>(freq_.size())) {
    throw std::invalid_argument("convolution: radial MLP input " + std::to_string(s.mlp_dims.front()) +
                                " differs from num_basis " + std::to_string(freq_.size()));
  }
  const auto blocks = [](const Irreps& irreps) {
    std::vector<ChannelBlock> out;
    const auto off = irreps.offsets();
    for (std::size_t b = 0; b < irreps.size(); ++b)
      if (irreps[b].mul > 0) out.push_back({off[b], irreps[b].mul, irreps[b].ir.dim()});
    return out;
  };
  in_blocks_ = blocks(s.node);
  out_blocks_ = blocks(s.out);
  if (s.mlp_dims.back() != tp_.weight_numel()) {
    throw std::invalid_argument("convolution: radial MLP output " + std::to_string(s.mlp_dims.back()) +
                                " differs from the tensor product's weight count " +
                                std::to_string(tp_.weight_numel()));
  }
}

template <class Real>
ConvView<Real> Convolution<Real>::view() const {
  ConvView<Real> v;
  v.lmax = lmax_;
  v.radial.r_max = r_max_;
  v.radial.p = p_;
  v.radial.num_basis = static_cast<int>(freq_.size());
  v.radial.freq = freq_.data();
  v.mlp = mlp_.view();
  v.tp = tp_.view();
  v.scale = scale_;
  v.in_blocks = in_blocks_.data();
  v.num_in_blocks = static_cast<int>(in_blocks_.size());
  v.out_blocks = out_blocks_.data();
  v.num_out_blocks = static_cast<int>(out_blocks_.size());
  return v;
}

namespace {

// Per-thread scratch of one batch of kConvEdgeBatch edges, as offsets into one array.
struct BatchLayout {
  int Y, dY, gY, b, db, gb, saved, w, gw, tmp, acc, tp, total;
  template <class Real>
  explicit BatchLayout(const ConvView<Real>& C) {
    const int B = kConvEdgeBatch, sh = sh_dim(C.lmax), nb = C.radial.num_basis, wn = C.tp.weight_numel;
    int o = 0;
    const auto take = [&o](int n) {
      const int at = o;
      o += (n + 7) / 8 * 8;  // 64-byte aligned blocks for float and double
      return at;
    };
    Y = take(B * sh);
    dY = take(B * 3 * sh);
    gY = take(B * sh);
    b = take(B * nb);
    db = take(B * nb);
    gb = take(B * nb);
    saved = take(B * C.mlp.saved_size());
    w = take(B * wn);
    gw = take(B * wn);
    tmp = take(B * C.mlp.backward_tmp_size());
    acc = take(std::max(C.tp.dim_in1, C.tp.dim_out));  // A_i or dE/dx_j of the atom in hand, channel-last
    tp = take(tp_cl_scratch<Real>(C.tp.dim_in2));
    total = o;
  }
};

template <class Real>
void prepare_scratch(const ConvView<Real>& C, ConvWorkspace<Real>& ws) {
  const std::size_t threads = static_cast<std::size_t>(omp_get_max_threads());
  const auto need = static_cast<std::size_t>(BatchLayout(C).total);
  if (ws.scratch.size() < threads) ws.scratch.resize(threads);
  for (auto& s : ws.scratch) {
    if (s.size() < need) s.resize(need);
  }
}

template <class Real>
void check_neighbors(const EdgeList<Real>& edges, long num_nodes) {
  for (long e = 0; e < edges.num_edges; ++e) {
    if (edges.neighbor[e] < 0 || edges.neighbor[e] >= num_nodes) {
      throw std::out_of_range("edge " + std::to_string(e) + " has neighbour " +
                              std::to_string(edges.neighbor[e]) + ", outside the " +
                              std::to_string(num_nodes) +
                              " feature rows; pass features for local and ghost atoms");
    }
  }
}

// Spherical harmonics (and dY when wanted) and radial embedding (and db) of the edges order[0..n), then the
// radial MLP of all of them in one matrix product.
template <class Real>
void batch_edge_inputs(const ConvView<Real>& C, const BatchLayout& L, const EdgeList<Real>& edges,
                       const long* order, int n, bool grad, Real* s) {
  const int sh = sh_dim(C.lmax), nb = C.radial.num_basis;
  for (int q = 0; q < n; ++q) {
    const Real* r = edges.vec + 3 * order[q];
    spherical_harmonics<Real>(C.lmax, r, s + L.Y + q * sh, grad ? s + L.dY + q * 3 * sh : nullptr);
    conv_radial(C, conv_length(r), s + L.b + q * nb, grad ? s + L.db + q * nb : nullptr);
  }
  mlp_forward_rows<Real, kCpuGemmPanelBytes>(C.mlp, n, s + L.b, s + L.w, s + L.saved);
}

}  // namespace

template <class Real>
void conv_forward_prepare(const ConvView<Real>& C, const EdgeList<Real>& edges, long num_centers,
                          long num_nodes, ConvWorkspace<Real>& ws) {
  check_neighbors(edges, num_nodes);
  ws.groups.build(num_centers, edges.num_edges, edges.center);
  prepare_scratch(C, ws);
  ws.xT.resize(static_cast<std::size_t>(num_nodes * C.tp.dim_in1));
}

template <class Real>
void conv_forward_nodes(const ConvView<Real>& C, const Real* x, long first, long last,
                        ConvWorkspace<Real>& ws) {
  const int din = C.tp.dim_in1;
  Real* xT = ws.xT.data();
#pragma omp parallel for schedule(static)
  for (long j = first; j < last; ++j)
    to_channel_last(C.in_blocks, C.num_in_blocks, x + j * din, xT + j * din);
}

template <class Real>
void conv_forward_centres(const ConvView<Real>& C, const EdgeList<Real>& edges, const int* centres,
                          long count, Real* A, ConvWorkspace<Real>& ws) {
  const BatchLayout L(C);
  const int din = C.tp.dim_in1, dout = C.tp.dim_out, sh = sh_dim(C.lmax), wn = C.tp.weight_numel;
  const Real* xT = ws.xT.data();
#pragma omp parallel
  {
    Real* s = ws.scratch[static_cast<std::size_t>(omp_get_thread_num())].data();
#pragma omp for schedule(dynamic, 8)
    for (long c = 0; c < count; ++c) {
      const long i = centres ? centres[c] : c;
      Real* AiT = s + L.acc;
      for (int q = 0; q < dout; ++q) AiT[q] = Real(0);
      const long end = ws.groups.start[static_cast<std::size_t>(i + 1)];
      for (long k = ws.groups.start[static_cast<std::size_t>(i)]; k < end; k += kConvEdgeBatch) {
        const long* order = ws.groups.order.data() + k;
        const int n = static_cast<int>(std::min<long>(kConvEdgeBatch, end - k));
        batch_edge_inputs(C, L, edges, order, n, false, s);
        for (int q = 0; q < n; ++q) {
          const Real* xj = xT + static_cast<long>(edges.neighbor[order[q]]) * din;
          tp_uvu_forward_cl(C.tp, xj, s + L.Y + q * sh, s + L.w + q * wn, C.scale, AiT);
        }
      }
      Real* Ai = A + i * dout;
      for (int q = 0; q < dout; ++q) Ai[q] = Real(0);
      add_from_channel_last(C.out_blocks, C.num_out_blocks, AiT, Ai);
    }
  }
}

template <class Real>
void conv_forward_cpu(const ConvView<Real>& C, const EdgeList<Real>& edges, long num_centers, long num_nodes,
                      const Real* x, Real* A, ConvWorkspace<Real>& ws) {
  conv_forward_prepare(C, edges, num_centers, num_nodes, ws);
  conv_forward_nodes(C, x, 0, num_nodes, ws);
  conv_forward_centres(C, edges, static_cast<const int*>(nullptr), num_centers, A, ws);
}

template <class Real>
void conv_backward_prepare(const ConvView<Real>& C, const EdgeList<Real>& edges, long num_centers,
                           long num_nodes, const Real* x, const Real* gA, ConvWorkspace<Real>& ws) {
  for (long e = 0; e < edges.num_edges; ++e) {
    if (edges.center[e] < 0 || edges.center[e] >= num_centers) {
      throw std::out_of_range("edge " + std::to_string(e) + " has centre " + std::to_string(edges.center[e]) +
                              ", outside the " + std::to_string(num_centers) + " rows of dE/dA");
    }
  }
  ws.groups.build(num_nodes, edges.num_edges, edges.neighbor);
  prepare_scratch(C, ws);
  const int din = C.tp.dim_in1, dout = C.tp.dim_out;
  ws.xT.resize(static_cast<std::size_t>(num_nodes * din));
  ws.gT.resize(static_cast<std::size_t>(num_centers * dout));
  Real *xT = ws.xT.data(), *gAT = ws.gT.data();
#pragma omp parallel
  {
#pragma omp for schedule(static) nowait
    for (long j = 0; j < num_nodes; ++j)
      to_channel_last(C.in_blocks, C.num_in_blocks, x + j * din, xT + j * din);
#pragma omp for schedule(static)
    for (long i = 0; i < num_centers; ++i)
      to_channel_last(C.out_blocks, C.num_out_blocks, gA + i * dout, gAT + i * dout);
  }
}

template <class Real>
void conv_backward_nodes(const ConvView<Real>& C, const EdgeList<Real>& edges, long first, long last,
                         Real* gx, Real* gr, ConvWorkspace<Real>& ws) {
  const BatchLayout L(C);
  const int din = C.tp.dim_in1, dout = C.tp.dim_out, sh = sh_dim(C.lmax), nb = C.radial.num_basis,
            wn = C.tp.weight_numel;
  const Real *xT = ws.xT.data(), *gAT = ws.gT.data();
#pragma omp parallel
  {
    Real* s = ws.scratch[static_cast<std::size_t>(omp_get_thread_num())].data();
#pragma omp for schedule(dynamic, 8)
    for (long j = first; j < last; ++j) {
      Real* gxT = s + L.acc;
      for (int q = 0; q < din; ++q) gxT[q] = Real(0);
      const long end = ws.groups.start[static_cast<std::size_t>(j + 1)];
      for (long k = ws.groups.start[static_cast<std::size_t>(j)]; k < end; k += kConvEdgeBatch) {
        const long* order = ws.groups.order.data() + k;
        const int n = static_cast<int>(std::min<long>(kConvEdgeBatch, end - k));
        batch_edge_inputs(C, L, edges, order, n, true, s);
        for (int q = 0; q < n * wn; ++q) s[L.gw + q] = Real(0);
        for (int q = 0; q < n * sh; ++q) s[L.gY + q] = Real(0);
        for (int q = 0; q < n; ++q) {
          const Real* gAi = gAT + static_cast<long>(edges.center[order[q]]) * dout;
          tp_uvu_backward_cl(C.tp, xT + j * din, s + L.Y + q * sh, s + L.w + q * wn, C.scale, gAi, gxT,
                             s + L.gY + q * sh, s + L.gw + q * wn, s + L.tp);
        }
        mlp_backward_rows<Real, kCpuGemmPanelBytes>(C.mlp, n, s + L.saved, s + L.gw, s + L.gb, s + L.tmp);
        for (int q = 0; q < n; ++q) {
          const long e = order[q];
          const Real* r = edges.vec + 3 * e;
          const Real *gb = s + L.gb + q * nb, *db = s + L.db + q * nb, *gY = s + L.gY + q * sh,
                     *dY = s + L.dY + q * 3 * sh;
          Real glen = Real(0);
          for (int m = 0; m < nb; ++m) glen += gb[m] * db[m];
          const Real inv = static_cast<Real>(1.0 / conv_length(r));
          for (int c = 0; c < 3; ++c) {
            Real acc = glen * r[c] * inv;
            for (int m = 0; m < sh; ++m) acc += gY[m] * dY[c * sh + m];
            gr[3 * e + c] += acc;
          }
        }
      }
      add_from_channel_last(C.in_blocks, C.num_in_blocks, gxT, gx + j * din);
    }
  }
}

template <class Real>
void conv_backward_cpu(const ConvView<Real>& C, const EdgeList<Real>& edges, long num_centers, long num_nodes,
                       const Real* x, const Real* gA, Real* gx, Real* gr, ConvWorkspace<Real>& ws) {
  conv_backward_prepare(C, edges, num_centers, num_nodes, x, gA, ws);
  conv_backward_nodes(C, edges, 0, num_nodes, gx, gr, ws);
}

#define E3MD_CONV_PARTS(Real)                                                                              \
  template void conv_forward_prepare<Real>(const ConvView<Real>&, const EdgeList<Real>&, long, long,       \
                                           ConvWorkspace<Real>&);                                          \
  template void conv_forward_nodes<Real>(const ConvView<Real>&, const Real*, long, long,                   \
                                         ConvWorkspace<Real>&);                                            \
  template void conv_forward_centres<Real>(const ConvView<Real>&, const EdgeList<Real>&, const int*, long, \
                                           Real*, ConvWorkspace<Real>&);                                   \
  template void conv_backward_prepare<Real>(const ConvView<Real>&, const EdgeList<Real>&, long, long,      \
                                            const Real*, const Real*, ConvWorkspace<Real>&);               \
  template void conv_backward_nodes<Real>(const ConvView<Real>&, const EdgeList<Real>&, long, long, Real*, \
                                          Real*, ConvWorkspace<Real>&);
E3MD_CONV_PARTS(double)
E3MD_CONV_PARTS(float)
#undef E3MD_CONV_PARTS

template class Convolution<double>;
template class Convolution<float>;
template void conv_forward_cpu<double>(const ConvView<double>&, const EdgeList<double>&, long, long,
                                       const double*, double*, ConvWorkspace<double>&);
template void conv_forward_cpu<float>(const ConvView<float>&, const EdgeList<float>&, long, long,
                                      const float*, float*, ConvWorkspace<float>&);
template void conv_backward_cpu<double>(const ConvView<double>&, const EdgeList<double>&, long, long,
                                        const double*, const double*, double*, double*,
                                        ConvWorkspace<double>&);
template void conv_backward_cpu<float>(const ConvView<float>&, const EdgeList<float>&, long, long,
                                       const float*, const float*, float*, float*, ConvWorkspace<float>&);

}  // namespace e3md::kernels
