// The radial MLP of a NequIP convolution (e3nn FullyConnectedNet, spec §7.3): no biases, every weight
// matrix divided by sqrt(fan_in), a normalize2mom-scaled activation between layers and none after the last.
#pragma once

#include <vector>

#include "kernels/activations.hpp"
#include "kernels/hd.hpp"

namespace e3md::kernels {

constexpr int kMlpMaxLayers = 8;

// Plain-data view (copyable to the device). weights: the matrices W_j (dims[j] x dims[j+1], row-major) one
// after the other, already divided by sqrt(dims[j]).
template <class Real>
struct MlpView {
  int num_layers = 0;                // weight matrices
  int dims[kMlpMaxLayers + 1] = {};  // dims[0] = input, dims[num_layers] = output
  const Real* weights = nullptr;
  Activation act = Activation::kSilu;
  Real act_scale = Real(1);  // normalize2mom constant

  E3MD_HD int in_dim() const { return dims[0]; }
  E3MD_HD int out_dim() const { return dims[num_layers]; }
  // Reals the forward pass keeps for the backward pass (pre- and post-activations of hidden layers).
  E3MD_HD int saved_size() const {
    int s = 0;
    for (int j = 1; j < num_layers; ++j) s += 2 * dims[j];
    return s;
  }
  // Reals of temporary space the backward pass needs.
  E3MD_HD int backward_tmp_size() const {
    int m = 0;
    for (int j = 0; j < num_layers; ++j) m = dims[j] > m ? dims[j] : m;
    return 2 * m;
  }
};

// out = MLP(in); `saved` (saved_size()) receives what mlp_backward needs.
template <class Real>
E3MD_HD void mlp_forward(const MlpView<Real>& M, const Real* in, Real* out, Real* saved) {
  const Real* h = in;
  const Real* W = M.weights;
  Real* s = saved;
  for (int j = 0; j < M.num_layers; ++j) {
    const int ni = M.dims[j], no = M.dims[j + 1];
    const bool last = (j == M.num_layers - 1);
    Real* a = last ? out : s;
    for (int o = 0; o < no; ++o) a[o] = Real(0);
    // Four input rows per sweep over the outputs: one load/store of a[o] per four multiply-adds instead of
    // one per multiply-add (the sweep is L1-bandwidth bound otherwise).
    int i = 0;
    for (; i + 3 < ni; i += 4) {
      const Real h0 = h[i], h1 = h[i + 1], h2 = h[i + 2], h3 = h[i + 3];
      const Real *r0 = W + i * no, *r1 = r0 + no, *r2 = r1 + no, *r3 = r2 + no;
      for (int o = 0; o < no; ++o) a[o] += (h0 * r0[o] + h1 * r1[o]) + (h2 * r2[o] + h3 * r3[o]);
    }
    for (; i < ni; ++i) {
      const Real hi = h[i];
      const Real* row = W + i * no;
      for (int o = 0; o < no; ++o) a[o] += hi * row[o];
    }
    if (!last) {
      Real* post = s + no;
      for (int o = 0; o < no; ++o) post[o] = M.act_scale * activation_value(M.act, a[o]);
      h = post;
      s += 2 * no;
    }
    W += ni * no;
  }
}

// gin = (d out / d in)^T gout, from the `saved` values of mlp_forward; tmp has backward_tmp_size() Reals.
template <class Real>
E3MD_HD void mlp_backward(const MlpView<Real>& M, const Real* saved, const Real* gout, Real* gin, Real* tmp) {
  // Offsets of the weight matrices and saved blocks, walked backwards.
  int woff = 0, soff = 0;
  for (int j = 0; j < M.num_layers; ++j) woff += M.dims[j] * M.dims[j + 1];
  for (int j = 1; j < M.num_layers; ++j) soff += 2 * M.dims[j];
  const int half = M.backward_tmp_size() / 2;
  const Real* g = gout;
  for (int j = M.num_layers - 1; j >= 0; --j) {
    const int ni = M.dims[j], no = M.dims[j + 1];
    woff -= ni * no;
    const Real* W = M.weights + woff;
    Real* gi = (j == 0) ? gin : tmp + ((M.num_layers - 1 - j) % 2) * half;
    for (int i = 0; i < ni; ++i) {
      // Four partial sums: a single running sum is latency-bound, and strict FP semantics forbid the
      // compiler from splitting it (this is the hottest loop of the fused backward).
      const Real* row = W + i * no;
      Real a0 = Real(0), a1 = Real(0), a2 = Real(0), a3 = Real(0);
      int o = 0;
      for (; o + 3 < no; o += 4) {
        a0 += row[o] * g[o];
        a1 += row[o + 1] * g[o + 1];
        a2 += row[o + 2] * g[o + 2];
        a3 += row[o + 3] * g[o + 3];
      }
      for (; o < no; ++o) a0 += row[o] * g[o];
      gi[i] = (a0 + a1) + (a2 + a3);
    }
    if (j > 0) {
      soff -= 2 * ni;
      const Real* pre = saved + soff;
      for (int i = 0; i < ni; ++i) {
        Real f, df;
        activation_eval(M.act, pre[i], &f, &df);
        gi[i] *= M.act_scale * df;
      }
    }
    g = gi;
  }
}

// Owns the scaled weights. `matrices[j]` is W_j as stored by e3nn (h_in x h_out, row-major, unscaled).
template <class Real>
class RadialMlp {
 public:
  RadialMlp() = default;
  // Throws std::invalid_argument when sizes do not chain or there are more than kMlpMaxLayers layers.
  RadialMlp(const std::vector<int>& dims, const std::vector<std::vector<double>>& matrices,
            Activation act = Activation::kSilu, double act_scale = kNorm2MomSilu);
  MlpView<Real> view() const;
  const std::vector<Real>& scaled_weights() const { return weights_; }
  const std::vector<int>& dims() const { return dims_; }

 private:
  std::vector<int> dims_;
  std::vector<Real> weights_;
  Activation act_ = Activation::kSilu;
  double act_scale_ = kNorm2MomSilu;
};

// Batched CPU launchers: in is E x in_dim, out E x out_dim; the backward recomputes the forward per row.
template <class Real>
void mlp_forward_cpu(const MlpView<Real>& M, long rows, const Real* in, Real* out);
template <class Real>
void mlp_backward_cpu(const MlpView<Real>& M, long rows, const Real* in, const Real* gout, Real* gin);

}  // namespace e3md::kernels
