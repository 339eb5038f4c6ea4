#include "kernels/convolution.hpp"

#include <omp.h>

#include <cmath>
#include <stdexcept>
#include <string>

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
  if (s.bessel_freq.empty()) throw std::invalid_argument("convolution: no Bessel frequencies given");
  r_max_ = static_cast<Real>(s.r_max);
  p_ = static_cast<Real>(s.p);
  scale_ = static_cast<Real>(s.avg_num_neighbors > 0 ? 1.0 / std::sqrt(s.avg_num_neighbors) : 1.0);
  freq_.assign(s.bessel_freq.begin(), s.bessel_freq.end());
  tp_ = UvuTensorProduct<Real>(s.node, s.sh, s.out, s.instructions, s.w3j_overrides);
  mlp_ = RadialMlp<Real>(s.mlp_dims, s.mlp_weights);
  if (s.mlp_dims.front() != static_cast<int>(freq_.size())) {
    throw std::invalid_argument("convolution: radial MLP input " + std::to_string(s.mlp_dims.front()) +
                                " differs from num_basis " + std::to_string(freq_.size()));
  }
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
  return v;
}

namespace {

template <class Real>
void prepare_scratch(const ConvView<Real>& C, ConvWorkspace<Real>& ws) {
  const std::size_t threads = static_cast<std::size_t>(omp_get_max_threads());
  if (ws.scratch.size() < threads) ws.scratch.resize(threads);
  for (auto& s : ws.scratch) {
    if (s.size() < static_cast<std::size_t>(C.scratch_size()))
      s.resize(static_cast<std::size_t>(C.scratch_size()));
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

}  // namespace

template <class Real>
void conv_forward_cpu(const ConvView<Real>& C, const EdgeList<Real>& edges, long num_centers, long num_nodes,
                      const Real* x, Real* A, ConvWorkspace<Real>& ws) {
  check_neighbors(edges, num_nodes);
  ws.groups.build(num_centers, edges.num_edges, edges.center);
  prepare_scratch(C, ws);
  const int din = C.tp.dim_in1, dout = C.tp.dim_out;
#pragma omp parallel
  {
    Real* scratch = ws.scratch[static_cast<std::size_t>(omp_get_thread_num())].data();
#pragma omp for schedule(dynamic, 8)
    for (long i = 0; i < num_centers; ++i) {
      Real* Ai = A + i * dout;
      for (int q = 0; q < dout; ++q) Ai[q] = Real(0);
      for (long k = ws.groups.start[static_cast<std::size_t>(i)];
           k < ws.groups.start[static_cast<std::size_t>(i + 1)]; ++k) {
        const long e = ws.groups.order[static_cast<std::size_t>(k)];
        conv_edge_forward(C, edges.vec + 3 * e, x + static_cast<long>(edges.neighbor[e]) * din, scratch, Ai);
      }
    }
  }
}

template <class Real>
void conv_backward_cpu(const ConvView<Real>& C, const EdgeList<Real>& edges, long num_centers, long num_nodes,
                       const Real* x, const Real* gA, Real* gx, Real* gr, ConvWorkspace<Real>& ws) {
  for (long e = 0; e < edges.num_edges; ++e) {
    if (edges.center[e] < 0 || edges.center[e] >= num_centers) {
      throw std::out_of_range("edge " + std::to_string(e) + " has centre " + std::to_string(edges.center[e]) +
                              ", outside the " + std::to_string(num_centers) + " rows of dE/dA");
    }
  }
  ws.groups.build(num_nodes, edges.num_edges, edges.neighbor);
  prepare_scratch(C, ws);
  const int din = C.tp.dim_in1, dout = C.tp.dim_out;
#pragma omp parallel
  {
    Real* scratch = ws.scratch[static_cast<std::size_t>(omp_get_thread_num())].data();
#pragma omp for schedule(dynamic, 8)
    for (long j = 0; j < num_nodes; ++j) {
      for (long k = ws.groups.start[static_cast<std::size_t>(j)];
           k < ws.groups.start[static_cast<std::size_t>(j + 1)]; ++k) {
        const long e = ws.groups.order[static_cast<std::size_t>(k)];
        conv_edge_backward(C, edges.vec + 3 * e, x + j * din, gA + static_cast<long>(edges.center[e]) * dout,
                           scratch, gx + j * din, gr + 3 * e);
      }
    }
  }
}

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
