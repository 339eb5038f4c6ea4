// The fused NequIP edge convolution (spec §5, §7.3, §7.4, §7.6). Per edge e = (i <- j) with vector
// r_e = x_j - x_i (+ shift):
//   Y_e = SH(r_e), b_e = Bessel(|r_e|) * cutoff(|r_e|), w_e = MLP(b_e), A_i += s * TP_uvu(x_j, Y_e; w_e)
// with s = 1/sqrt(avg_num_neighbors). Nothing per edge is written to memory: Y, b, w live in per-thread
// scratch. The backward pass recomputes them and, given dE/dA, produces dE/dx_j (scattered onto the
// neighbour rows) and dE/dr_e (through Y_e and b_e).
#pragma once

#include <vector>

#include "kernels/hd.hpp"
#include "kernels/radial.hpp"
#include "kernels/radial_mlp.hpp"
#include "kernels/scatter.hpp"
#include "kernels/spherical_harmonics.hpp"
#include "kernels/tensor_product.hpp"
#include "kernels/tensor_product_cl.hpp"

namespace e3md::kernels {

constexpr int kRadialMaxBasis = 64;

template <class Real>
struct ConvView {
  int lmax = 0;  // of the edge spherical harmonics (input 2 of the TP)
  // The radial embedding is evaluated in double in both precisions: near r_max the cutoff polynomial
  // 1 - 28 x^6 + 48 x^7 - 21 x^8 cancels to ~1e-6 absolute in float, the largest float32 error otherwise.
  RadialParams<double> radial;
  MlpView<Real> mlp;
  TpView<Real> tp;
  Real scale = Real(1);
  // Blocks of x (input 1) and of the messages, for the CPU launchers' channel-last layout (host memory;
  // null in device views).
  const ChannelBlock* in_blocks = nullptr;
  int num_in_blocks = 0;
  const ChannelBlock* out_blocks = nullptr;
  int num_out_blocks = 0;

  // Reals of per-thread scratch one edge needs (forward and backward).
  E3MD_HD int scratch_size() const {
    const int nb = radial.num_basis;
    return 3 * nb + mlp.saved_size() + 2 * tp.weight_numel + mlp.backward_tmp_size();
  }
};

// Radial embedding b (and db/dr, may be null) of one edge of length len (Å), in double, rounded to Real.
template <class Real>
E3MD_HD_INLINE void conv_radial(const ConvView<Real>& C, double len, Real* b, Real* db) {
  double b64[kRadialMaxBasis], db64[kRadialMaxBasis];
  radial_embedding(C.radial, len, b64, db ? db64 : static_cast<double*>(nullptr));
  for (int n = 0; n < C.radial.num_basis; ++n) {
    b[n] = static_cast<Real>(b64[n]);
    if (db) db[n] = static_cast<Real>(db64[n]);
  }
}

// |r| in double (the argument of the radial embedding).
template <class Real>
E3MD_HD_INLINE double conv_length(const Real* r) {
  const double x = r[0], y = r[1], z = r[2];
  return sqrt(x * x + y * y + z * z);
}

// A += s * message of one edge. x_j: the neighbour's features (dim_in1); scratch: scratch_size() Reals.
template <class Real>
E3MD_HD void conv_edge_forward(const ConvView<Real>& C, const Real* r, const Real* xj, Real* scratch,
                               Real* A) {
  Real Y[kShDimMax];
  spherical_harmonics<Real>(C.lmax, r, Y, nullptr);
  const int nb = C.radial.num_basis;
  Real* b = scratch;
  Real* saved = b + 3 * nb;
  Real* w = saved + C.mlp.saved_size();
  conv_radial(C, conv_length(r), b, static_cast<Real*>(nullptr));
  mlp_forward(C.mlp, b, w, saved);
  tp_uvu_forward(C.tp, xj, Y, w, C.scale, A);
}

// Given gA = dE/dA_i of the edge's centre: gx_j += dE/dx_j and gr[0..2] += dE/dr_e.
template <class Real>
E3MD_HD void conv_edge_backward(const ConvView<Real>& C, const Real* r, const Real* xj, const Real* gA,
                                Real* scratch, Real* gxj, Real* gr) {
  const int dim = sh_dim(C.lmax);
  Real Y[kShDimMax], dY[3 * kShDimMax], gY[kShDimMax];
  spherical_harmonics<Real>(C.lmax, r, Y, dY);
  const double len = conv_length(r);
  const int nb = C.radial.num_basis;
  Real* b = scratch;
  Real* db = b + nb;
  Real* gb = db + nb;
  Real* saved = gb + nb;
  Real* w = saved + C.mlp.saved_size();
  Real* gw = w + C.tp.weight_numel;
  Real* tmp = gw + C.tp.weight_numel;
  conv_radial(C, len, b, db);
  mlp_forward(C.mlp, b, w, saved);
  for (int q = 0; q < C.tp.weight_numel; ++q) gw[q] = Real(0);
  for (int q = 0; q < dim; ++q) gY[q] = Real(0);
  tp_uvu_backward(C.tp, xj, Y, w, C.scale, gA, gxj, gY, gw);
  mlp_backward(C.mlp, saved, gw, gb, tmp);
  Real glen = Real(0);
  for (int n = 0; n < nb; ++n) glen += gb[n] * db[n];
  const Real inv = static_cast<Real>(1.0 / len);
  for (int c = 0; c < 3; ++c) {
    Real acc = glen * r[c] * inv;
    for (int q = 0; q < dim; ++q) acc += gY[q] * dY[c * dim + q];
    gr[c] += acc;
  }
}

// Edges as index arrays: message flows neighbor[e] -> center[e]; vec is E x 3 (Å), x_neighbor - x_center
// plus the lattice shift. Ghost atoms are ordinary indices.
template <class Real>
struct EdgeList {
  long num_edges = 0;
  const int* center = nullptr;
  const int* neighbor = nullptr;
  const Real* vec = nullptr;
};

// What one convolution layer is made of (precision-independent).
struct ConvolutionSpec {
  Irreps node;  // irreps of x (input 1)
  Irreps sh;    // 1x0 + 1x1 + ... + 1xlmax (parities as the model has them)
  Irreps out;   // TP output slots (sorted mid irreps)
  std::vector<TpInstruction> instructions;
  double r_max = 0, p = 6;
  std::vector<double> bessel_freq;               // w_n
  std::vector<int> mlp_dims;                     // num_basis, hidden..., weight_numel
  std::vector<std::vector<double>> mlp_weights;  // (h_in x h_out) row-major, as stored by e3nn
  double avg_num_neighbors = 1;                  // s = 1/sqrt(avg_num_neighbors); <= 0 means s = 1
  const Wigner3jOverrides* w3j_overrides = nullptr;
};

// Owns the data of one convolution layer.
template <class Real>
class Convolution {
 public:
  Convolution() = default;
  // Throws std::invalid_argument naming the mismatch (sh not 1x0..1xlmax, MLP input != num_basis,
  // MLP output != TP weight count, r_max <= 0).
  explicit Convolution(const ConvolutionSpec& spec);
  ConvView<Real> view() const;
  const UvuTensorProduct<Real>& tensor_product() const { return tp_; }
  const RadialMlp<Real>& mlp() const { return mlp_; }
  const std::vector<double>& bessel_freq() const { return freq_; }

 private:
  int lmax_ = 0;
  double r_max_ = 0, p_ = 6;
  Real scale_ = 1;
  std::vector<double> freq_;
  RadialMlp<Real> mlp_;
  UvuTensorProduct<Real> tp_;
  std::vector<ChannelBlock> in_blocks_, out_blocks_;
};

// Edges per batch of the CPU launchers: a thread takes up to this many edges of one atom at a time, so that
// the radial MLP runs as a (batch x hidden) times (hidden x weights) matrix product instead of one
// vector-matrix product per edge (which streams the whole last-layer matrix from L2 once per edge).
constexpr int kConvEdgeBatch = 16;

// Reusable buffers of the CPU launchers (edge grouping, per-thread scratch); keep one per layer or per
// potential to avoid allocation in the step loop.
// One workspace may serve several layers in turn (everything in it is rebuilt by each call).
template <class Real>
struct ConvWorkspace {
  EdgeGroups groups;
  std::vector<std::vector<Real>> scratch;
  std::vector<Real> xT, gT;  // node features and dE/dA in the channel-last layout
};

// A (num_centers x tp.dim_out) = s * sum over edges of messages; overwritten. x: num_nodes x tp.dim_in1.
// OpenMP over centre atoms. Throws std::out_of_range for an index outside its range.
template <class Real>
void conv_forward_cpu(const ConvView<Real>& C, const EdgeList<Real>& edges, long num_centers, long num_nodes,
                      const Real* x, Real* A, ConvWorkspace<Real>& ws);

// gx (num_nodes x dim_in1) += dE/dx, gr (num_edges x 3) += dE/dr_e, from gA (num_centers x dim_out).
// OpenMP over neighbour atoms, so each gx row is written by one thread.
template <class Real>
void conv_backward_cpu(const ConvView<Real>& C, const EdgeList<Real>& edges, long num_centers, long num_nodes,
                       const Real* x, const Real* gA, Real* gx, Real* gr, ConvWorkspace<Real>& ws);

// The two passes in parts, for a caller that works on owned atoms while the ghosts' features or gradients are
// exchanged (the distributed NequIP potential). conv_forward_cpu = prepare + nodes [0, num_nodes) + all
// centres; conv_backward_cpu = prepare + nodes [0, num_nodes). The workspace carries the state between the
// parts.
template <class Real>
void conv_forward_prepare(const ConvView<Real>& C, const EdgeList<Real>& edges, long num_centers,
                          long num_nodes, ConvWorkspace<Real>& ws);
// Takes in the feature rows [first, last) of x; a centre's neighbours must all be taken in before it is
// computed.
template <class Real>
void conv_forward_nodes(const ConvView<Real>& C, const Real* x, long first, long last,
                        ConvWorkspace<Real>& ws);
// A rows of the `count` centres listed in `centres` (null: centres 0 .. count − 1), overwritten.
template <class Real>
void conv_forward_centres(const ConvView<Real>& C, const EdgeList<Real>& edges, const int* centres,
                          long count, Real* A, ConvWorkspace<Real>& ws);
template <class Real>
void conv_backward_prepare(const ConvView<Real>& C, const EdgeList<Real>& edges, long num_centers,
                           long num_nodes, const Real* x, const Real* gA, ConvWorkspace<Real>& ws);
// gx rows [first, last) += dE/dx, and gr += dE/dr_e of the edges whose neighbour lies in that range.
template <class Real>
void conv_backward_nodes(const ConvView<Real>& C, const EdgeList<Real>& edges, long first, long last,
                         Real* gx, Real* gr, ConvWorkspace<Real>& ws);

}  // namespace e3md::kernels
