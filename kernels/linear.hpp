// e3nn o3.Linear between irreps lists (spec §7.2) and, with num_types > 1, the self-connection
// FullyConnectedTensorProduct(irreps_in, T x 0e, irreps_out) evaluated on a one-hot type (spec §7.7), which
// is a per-type linear. Instructions are every (a, o) with equal irreps, a outer, o inner; output block o
// gets alpha_o = 1/sqrt(T * sum of mul_a feeding o):
//   y[o][w][m] = sum_{a -> o} alpha_o sum_u W_{a,o}[u][t][w] x[a][u][m]
// The flat weight concatenates, in instruction order, row-major (mul_a, T, mul_o) tensors (T = 1: o3.Linear).
#pragma once

#include <vector>

#include "kernels/hd.hpp"
#include "kernels/irreps.hpp"

namespace e3md::kernels {

template <class Real>
struct LinPath {
  int in_off, mul_in, out_off, mul_out, d, w_off;
  Real alpha;
};

template <class Real>
struct LinearView {
  const LinPath<Real>* paths = nullptr;
  int num_paths = 0;
  const Real* weights = nullptr;
  // The same weights per path as (T, mul_out, mul_in) tensors, at the same offsets: the backward pass of the
  // batched CPU launchers is then the same row-times-matrix product as the forward pass.
  const Real* weights_t = nullptr;
  int num_types = 1;
  int dim_in = 0, dim_out = 0;
};

// y = Lin_t(x), y overwritten (blocks nothing feeds are zero).
template <class Real>
E3MD_HD void linear_forward(const LinearView<Real>& L, const Real* x, int type, Real* y) {
  for (int q = 0; q < L.dim_out; ++q) y[q] = Real(0);
  for (int p = 0; p < L.num_paths; ++p) {
    const LinPath<Real> P = L.paths[p];
    for (int u = 0; u < P.mul_in; ++u) {
      const Real* W = L.weights + P.w_off + (u * L.num_types + type) * P.mul_out;
      const Real* xu = x + P.in_off + u * P.d;
      for (int w = 0; w < P.mul_out; ++w) {
        const Real a = P.alpha * W[w];
        Real* yw = y + P.out_off + w * P.d;
        for (int m = 0; m < P.d; ++m) yw[m] += a * xu[m];
      }
    }
  }
}

// gx = Lin_t^T(gy), gx overwritten.
template <class Real>
E3MD_HD void linear_backward(const LinearView<Real>& L, const Real* gy, int type, Real* gx) {
  for (int q = 0; q < L.dim_in; ++q) gx[q] = Real(0);
  for (int p = 0; p < L.num_paths; ++p) {
    const LinPath<Real> P = L.paths[p];
    for (int u = 0; u < P.mul_in; ++u) {
      const Real* W = L.weights + P.w_off + (u * L.num_types + type) * P.mul_out;
      Real* gxu = gx + P.in_off + u * P.d;
      for (int w = 0; w < P.mul_out; ++w) {
        const Real a = P.alpha * W[w];
        const Real* gyw = gy + P.out_off + w * P.d;
        for (int m = 0; m < P.d; ++m) gxu[m] += a * gyw[m];
      }
    }
  }
}

template <class Real>
class EquivariantLinear {
 public:
  EquivariantLinear() = default;
  // weights: the flat e3nn weight. num_types = 1 gives o3.Linear; T > 1 the one-hot self-connection.
  // Throws std::invalid_argument when the weight count differs from sum mul_a * T * mul_o.
  EquivariantLinear(const Irreps& in, const Irreps& out, const std::vector<double>& weights,
                    int num_types = 1);
  // Number of weights the irreps lists call for.
  static long weight_numel(const Irreps& in, const Irreps& out, int num_types = 1);
  LinearView<Real> view() const;
  const Irreps& irreps_in() const { return in_; }
  const Irreps& irreps_out() const { return out_; }
  const std::vector<LinPath<Real>>& paths() const { return paths_; }
  const std::vector<Real>& weights() const { return weights_; }

 private:
  Irreps in_, out_;
  int num_types_ = 1;
  std::vector<LinPath<Real>> paths_;
  std::vector<Real> weights_, weights_t_;
};

// Batched CPU launchers over N atoms; types may be null (type 0 for all). Outputs are overwritten. Atoms go
// in batches of kLinearAtomBatch: per path and type, the batch's components m of all its atoms form the rows
// of one (rows x mul_in) times (mul_in x mul_out) matrix product.
constexpr int kLinearAtomBatch = 32;
template <class Real>
void linear_forward_cpu(const LinearView<Real>& L, long n, const Real* x, const int* types, Real* y);
template <class Real>
void linear_backward_cpu(const LinearView<Real>& L, long n, const Real* gy, const int* types, Real* gx);

}  // namespace e3md::kernels
