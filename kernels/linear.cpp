#include "kernels/linear.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "kernels/cpu_simd.hpp"
#include "kernels/gemm.hpp"

namespace e3md::kernels {

template <class Real>
long EquivariantLinear<Real>::weight_numel(const Irreps& in, const Irreps& out, int num_types) {
  long n = 0;
  for (const auto& a : in.blocks())
    for (const auto& o : out.blocks())
      if (a.ir == o.ir) n += static_cast<long>(a.mul) * num_types * o.mul;
  return n;
}

template <class Real>
EquivariantLinear<Real>::EquivariantLinear(const Irreps& in, const Irreps& out,
                                           const std::vector<double>& weights, int num_types)
    : in_(in), out_(out), num_types_(num_types) {
  if (num_types < 1) throw std::invalid_argument("equivariant linear: num_types must be >= 1");
  const long want = weight_numel(in, out, num_types);
  if (static_cast<long>(weights.size()) != want) {
    throw std::invalid_argument("equivariant linear " + in.str() + " -> " + out.str() + " (types " +
                                std::to_string(num_types) + "): got " + std::to_string(weights.size()) +
                                " weights, expected " + std::to_string(want));
  }
  const auto oi = in.offsets(), oo = out.offsets();
  std::vector<int> fan(out.size(), 0);
  for (const auto& a : in.blocks())
    for (std::size_t o = 0; o < out.size(); ++o)
      if (a.ir == out[o].ir) fan[o] += a.mul * num_types;
  int woff = 0;
  for (std::size_t a = 0; a < in.size(); ++a) {
    for (std::size_t o = 0; o < out.size(); ++o) {
      if (in[a].ir != out[o].ir) continue;
      LinPath<Real> P{};
      P.in_off = oi[a];
      P.mul_in = in[a].mul;
      P.out_off = oo[o];
      P.mul_out = out[o].mul;
      P.d = in[a].ir.dim();
      P.w_off = woff;
      P.alpha = static_cast<Real>(fan[o] > 0 ? 1.0 / std::sqrt(static_cast<double>(fan[o])) : 0.0);
      woff += in[a].mul * num_types * out[o].mul;
      // Empty blocks contribute nothing, but their (zero-size) weights keep the layout.
      if (P.mul_in > 0 && P.mul_out > 0) paths_.push_back(P);
    }
  }
  weights_.assign(weights.begin(), weights.end());
  weights_t_.assign(weights.size(), Real(0));
  for (const auto& P : paths_)
    for (int u = 0; u < P.mul_in; ++u)
      for (int t = 0; t < num_types; ++t)
        for (int w = 0; w < P.mul_out; ++w)
          weights_t_[static_cast<std::size_t>(P.w_off + (t * P.mul_out + w) * P.mul_in + u)] =
              weights_[static_cast<std::size_t>(P.w_off + (u * num_types + t) * P.mul_out + w)];
}

template <class Real>
LinearView<Real> EquivariantLinear<Real>::view() const {
  LinearView<Real> v;
  v.paths = paths_.data();
  v.num_paths = static_cast<int>(paths_.size());
  v.weights = weights_.data();
  v.weights_t = weights_t_.data();
  v.num_types = num_types_;
  v.dim_in = in_.dim();
  v.dim_out = out_.dim();
  return v;
}

namespace {

// Runs one direction of the linear over all atoms in batches. For each path with blocks (a -> o) of d
// components: rows (atom, m) gathered from the source block, multiplied by the path's (src x dst) matrix of
// that type, scaled by alpha and added to the destination block. forward: src = input (mul_in), W as stored;
// backward: src = output gradient (mul_out), W transposed.
template <class Real>
void linear_batched(const LinearView<Real>& L, long n, const Real* src, const int* types, Real* dst,
                    bool forward) {
  const int dim_src = forward ? L.dim_in : L.dim_out, dim_dst = forward ? L.dim_out : L.dim_in;
  int max_rows = 0, max_src = 0, max_dst = 0;
  for (int p = 0; p < L.num_paths; ++p) {
    const LinPath<Real>& P = L.paths[p];
    max_rows = std::max(max_rows, kLinearAtomBatch * P.d);
    max_src = std::max(max_src, forward ? P.mul_in : P.mul_out);
    max_dst = std::max(max_dst, forward ? P.mul_out : P.mul_in);
  }
  const long batches = (n + kLinearAtomBatch - 1) / kLinearAtomBatch;
#pragma omp parallel
  {
    // Per-thread buffers that only grow: no allocation per call once the largest layer has been seen.
    thread_local std::vector<Real> a, c;
    if (a.size() < static_cast<std::size_t>(max_rows * max_src))
      a.resize(static_cast<std::size_t>(max_rows * max_src));
    if (c.size() < static_cast<std::size_t>(max_rows * max_dst))
      c.resize(static_cast<std::size_t>(max_rows * max_dst));
    int atoms[kLinearAtomBatch];
#pragma omp for schedule(static)
    for (long b = 0; b < batches; ++b) {
      const long first = b * kLinearAtomBatch, count = std::min<long>(kLinearAtomBatch, n - first);
      std::fill(dst + first * dim_dst, dst + (first + count) * dim_dst, Real(0));
      for (int t = 0; t < L.num_types; ++t) {
        int na = 0;
        for (long i = first; i < first + count; ++i)
          if ((types ? types[i] : 0) == t) atoms[na++] = static_cast<int>(i);
        if (na == 0) continue;
        for (int p = 0; p < L.num_paths; ++p) {
          const LinPath<Real>& P = L.paths[p];
          const int ms = forward ? P.mul_in : P.mul_out, md = forward ? P.mul_out : P.mul_in;
          const int so = forward ? P.in_off : P.out_off, dof = forward ? P.out_off : P.in_off;
          for (int k = 0; k < na; ++k) {
            const Real* x = src + static_cast<long>(atoms[k]) * dim_src + so;
            for (int m = 0; m < P.d; ++m)
              for (int u = 0; u < ms; ++u)
                a[static_cast<std::size_t>((k * P.d + m) * ms + u)] = x[u * P.d + m];
          }
          const Real* W = forward ? L.weights + P.w_off + t * P.mul_out
                                  : L.weights_t + P.w_off + t * P.mul_out * P.mul_in;
          const int ldw = forward ? L.num_types * P.mul_out : P.mul_in;
          gemm_rows<Real, kCpuGemmPanelBytes>(na * P.d, ms, md, a.data(), ms, W, ldw, c.data(), md);
          for (int k = 0; k < na; ++k) {
            Real* y = dst + static_cast<long>(atoms[k]) * dim_dst + dof;
            for (int m = 0; m < P.d; ++m)
              for (int w = 0; w < md; ++w)
                y[w * P.d + m] += P.alpha * c[static_cast<std::size_t>((k * P.d + m) * md + w)];
          }
        }
      }
    }
  }
}

}  // namespace

template <class Real>
void linear_forward_cpu(const LinearView<Real>& L, long n, const Real* x, const int* types, Real* y) {
  linear_batched(L, n, x, types, y, true);
}

template <class Real>
void linear_backward_cpu(const LinearView<Real>& L, long n, const Real* gy, const int* types, Real* gx) {
  linear_batched(L, n, gy, types, gx, false);
}

template class EquivariantLinear<double>;
template class EquivariantLinear<float>;
template void linear_forward_cpu<double>(const LinearView<double>&, long, const double*, const int*, double*);
template void linear_forward_cpu<float>(const LinearView<float>&, long, const float*, const int*, float*);
template void linear_backward_cpu<double>(const LinearView<double>&, long, const double*, const int*,
                                          double*);
template void linear_backward_cpu<float>(const LinearView<float>&, long, const float*, const int*, float*);

}  // namespace e3md::kernels
