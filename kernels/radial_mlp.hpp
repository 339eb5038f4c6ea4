// The radial MLP of a NequIP convolution (e3nn FullyConnectedNet, spec §7.3): no biases, every weight
// matrix divided by sqrt(fan_in), a normalize2mom-scaled activation between layers and none after the last.
#pragma once

#include <vector>

#include "kernels/activations.hpp"
#include "kernels/gemm.hpp"
#include "kernels/hd.hpp"

namespace e3md::kernels {

constexpr int kMlpMaxLayers = 8;

// Plain-data view (copyable to the device). weights: the matrices W_j (dims[j] x dims[j+1], row-major) one
// after the other, already divided by sqrt(dims[j]); weights_t: the same matrices transposed (dims[j+1] x
// dims[j]), so that the backward pass is the same row-times-matrix product as the forward pass.
template <class Real>
struct MlpView {
  int num_layers = 0;                // weight matrices
  int dims[kMlpMaxLayers + 1] = {};  // dims[0] = input, dims[num_layers] = output
  const Real* weights = nullptr;
  const Real* weights_t = nullptr;
  Activation act = Activation::kSilu;
  Real act_scale = Real(1);  // normalize2mom constant

  E3MD_HD int in_dim() const { return dims[0]; }
  E3MD_HD int out_dim() const { return dims[num_layers]; }
  // Reals the forward pass keeps per row for the backward pass (pre- and post-activations of hidden layers).
  E3MD_HD int saved_size() const {
    int s = 0;
    for (int j = 1; j < num_layers; ++j) s += 2 * dims[j];
    return s;
  }
  // Reals of temporary space per row the backward pass needs.
  E3MD_HD int backward_tmp_size() const {
    int m = 0;
    for (int j = 0; j < num_layers; ++j) m = dims[j] > m ? dims[j] : m;
    return 2 * m;
  }
};

// out (rows x out_dim) = MLP(in (rows x in_dim)); `saved` (rows * saved_size()) receives what the backward
// pass needs, layer by layer: pre-activations (rows x dims[j]) then post-activations (rows x dims[j]).
// PanelBytes: see gemm_rows.
template <class Real, int PanelBytes = 64>
E3MD_HD void mlp_forward_rows(const MlpView<Real>& M, int rows, const Real* in, Real* out, Real* saved) {
  const Real* h = in;
  const Real* W = M.weights;
  Real* s = saved;
  for (int j = 0; j < M.num_layers; ++j) {
    const int ni = M.dims[j], no = M.dims[j + 1];
    const bool last = (j == M.num_layers - 1);
    Real* a = last ? out : s;
    gemm_rows<Real, PanelBytes>(rows, ni, no, h, ni, W, no, a, no);
    if (!last) {
      Real* post = s + rows * no;
      for (int q = 0; q < rows * no; ++q) post[q] = M.act_scale * activation_value(M.act, a[q]);
      h = post;
      s += 2 * rows * no;
    }
    W += ni * no;
  }
}

// gin (rows x in_dim) = (d out / d in)^T gout per row, from the `saved` values of mlp_forward_rows; tmp holds
// rows * backward_tmp_size() Reals.
template <class Real, int PanelBytes = 64>
E3MD_HD void mlp_backward_rows(const MlpView<Real>& M, int rows, const Real* saved, const Real* gout,
                               Real* gin, Real* tmp) {
  // Offsets of the weight matrices and saved blocks, walked backwards.
  int woff = 0, soff = 0;
  for (int j = 0; j < M.num_layers; ++j) woff += M.dims[j] * M.dims[j + 1];
  for (int j = 1; j < M.num_layers; ++j) soff += 2 * rows * M.dims[j];
  const int half = rows * (M.backward_tmp_size() / 2);
  const Real* g = gout;
  for (int j = M.num_layers - 1; j >= 0; --j) {
    const int ni = M.dims[j], no = M.dims[j + 1];
    woff -= ni * no;
    Real* gi = (j == 0) ? gin : tmp + ((M.num_layers - 1 - j) % 2) * half;
    gemm_rows<Real, PanelBytes>(rows, no, ni, g, no, M.weights_t + woff, ni, gi, ni);
    if (j > 0) {
      soff -= 2 * rows * ni;
      const Real* pre = saved + soff;
      for (int q = 0; q < rows * ni; ++q) {
        Real f, df;
        activation_eval(M.act, pre[q], &f, &df);
        gi[q] *= M.act_scale * df;
      }
    }
    g = gi;
  }
}

// One row: out = MLP(in), `saved` (saved_size()) receives what mlp_backward needs.
template <class Real>
E3MD_HD void mlp_forward(const MlpView<Real>& M, const Real* in, Real* out, Real* saved) {
  mlp_forward_rows(M, 1, in, out, saved);
}

// One row: gin = (d out / d in)^T gout from the `saved` values of mlp_forward; tmp has backward_tmp_size().
template <class Real>
E3MD_HD void mlp_backward(const MlpView<Real>& M, const Real* saved, const Real* gout, Real* gin, Real* tmp) {
  mlp_backward_rows(M, 1, saved, gout, gin, tmp);
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
  std::vector<Real> weights_, weights_t_;
  Activation act_ = Activation::kSilu;
  double act_scale_ = kNorm2MomSilu;
};

// Batched CPU launchers: in is E x in_dim, out E x out_dim; the backward recomputes the forward per row.
template <class Real>
void mlp_forward_cpu(const MlpView<Real>& M, long rows, const Real* in, Real* out);
template <class Real>
void mlp_backward_cpu(const MlpView<Real>& M, long rows, const Real* in, const Real* gout, Real* gin);

}  // namespace e3md::kernels
