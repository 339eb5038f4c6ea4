// NequIP network on the CPU launchers: the plans of a model, and the forward/backward passes with each
// layer's halo exchange overlapped with the work that does not need it (interior centres, owned rows).
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "engine/halo_exchange.hpp"
#include "engine/nequip_network.hpp"

namespace e3md {

namespace {

namespace k = kernels;

k::Irreps to_kernels(const nequip::Irreps& irreps) {
  std::vector<k::MulIrrep> blocks;
  for (const auto& b : irreps) blocks.push_back({b.mul, k::Irrep(b.l, b.p)});
  return k::Irreps(blocks);
}

std::vector<k::GateActivation> gate_acts(const std::vector<nequip::Activation>& in,
                                         const std::string& where) {
  std::vector<k::GateActivation> out;
  for (const auto& a : in) {
    if (a.name == "silu" && std::abs(a.constant - k::kNorm2MomSilu) < 1e-12) {
      out.push_back({k::Activation::kSilu, a.constant});
    } else if (a.name == "tanh" && std::abs(a.constant - k::kNorm2MomTanh) < 1e-12) {
      out.push_back({k::Activation::kTanh, a.constant});
    } else {
      throw std::runtime_error(where + ": activation '" + a.name +
                               "' is not implemented by kernels/ (silu, tanh); "
                               "retrain with nequip's default nonlinearities");
    }
  }
  return out;
}

// Grows a buffer without shrinking (no reallocation in the step loop once sizes are reached).
template <class T>
void fit(std::vector<T>& v, std::size_t n) {
  if (v.size() < n) v.resize(n);
}

std::size_t un(long v) { return static_cast<std::size_t>(v); }

}  // namespace

template <class Real>
NequipPlans<Real>::NequipPlans(const NequipModel& model) : num_types(model.num_types) {
  const int T = model.num_types;
  chem = k::EquivariantLinear<Real>(to_kernels(model.chemical_embedding.irreps_in),
                                    to_kernels(model.chemical_embedding.irreps_out),
                                    model.chemical_embedding.weight);
  layers.resize(model.layers.size());
  for (std::size_t l = 0; l < model.layers.size(); ++l) {
    const auto& L = model.layers[l];
    auto& P = layers[l];
    const std::string where = "nequip model layer " + std::to_string(l);
    if (L.radial.activation.name != "silu")
      throw std::runtime_error(where + ": radial MLP activation '" + L.radial.activation.name +
                               "' is not implemented by kernels/ (silu); retrain with nequip's defaults");
    const k::Irreps in = to_kernels(L.irreps_in), zi = to_kernels(L.gate.irreps_in);
    P.lin1 = k::EquivariantLinear<Real>(in, in, L.linear_1.weight);
    P.lin2 = k::EquivariantLinear<Real>(to_kernels(L.linear_2.irreps_in), zi, L.linear_2.weight);
    P.use_sc = L.use_sc;
    P.resnet = L.resnet;
    if (L.use_sc) P.sc = k::EquivariantLinear<Real>(in, zi, L.sc.weight, T);
    k::Wigner3jOverrides w3j;  // read while the convolution is built
    for (const auto& w : L.tp.w3j)
      w3j[{w.l1, w.l2, w.l3}] = k::Wigner3jTable::from_dense(w.l1, w.l2, w.l3, w.c);
    k::ConvolutionSpec spec;
    spec.node = in;
    spec.sh = to_kernels(L.tp.irreps_in2);
    spec.out = to_kernels(L.tp.irreps_out);
    for (const auto& p : L.tp.paths) spec.instructions.push_back({p.in1, p.in2, p.out});
    spec.r_max = model.r_max;
    spec.p = model.polynomial_p;
    spec.bessel_freq = model.bessel_weights;
    spec.mlp_dims = L.radial.sizes;
    spec.mlp_weights = L.radial.weights;
    spec.avg_num_neighbors = L.avg_num_neighbors;
    spec.w3j_overrides = &w3j;
    P.conv = k::Convolution<Real>(spec);
    P.gate =
        k::Gate<Real>(to_kernels(L.gate.scalars), gate_acts(L.gate.scalar_acts, where),
                      to_kernels(L.gate.gates), gate_acts(L.gate.gate_acts, where), to_kernels(L.gate.gated));
    if (!(P.gate.irreps_in() == zi) || !(P.gate.irreps_out() == to_kernels(L.gate.irreps_out)))
      throw std::runtime_error(where + ": gate layout of the model file differs from kernels/' (" +
                               P.gate.irreps_in().str() + " vs " + zi.str() + "); re-export the model");
    P.dim_in = in.dim();
    P.dim_z = zi.dim();
    P.dim_mid = spec.out.dim();
    P.dim_out = P.gate.irreps_out().dim();
  }
  out1 = k::EquivariantLinear<Real>(to_kernels(model.conv_to_output_hidden.irreps_in),
                                    to_kernels(model.conv_to_output_hidden.irreps_out),
                                    model.conv_to_output_hidden.weight);
  out2 = k::EquivariantLinear<Real>(to_kernels(model.output_hidden_to_scalar.irreps_in),
                                    to_kernels(model.output_hidden_to_scalar.irreps_out),
                                    model.output_hidden_to_scalar.weight);
}

namespace {

// The CPU network: plans, the arrays saved for the backward pass, and scratch (grow-only).
template <class Real>
class CpuNetwork final : public NequipNetwork<Real> {
 public:
  explicit CpuNetwork(const NequipModel& model) : plans_(model), saved_(plans_.layers.size()) {}
  const Real* forward(const std::vector<int>& types, int nl, HaloExchange& halo) override;
  const Real* backward(const std::vector<int>& types, int nl, HaloExchange& halo) override;
  std::string describe() const override { return "cpu"; }

 private:
  struct Saved {
    std::vector<Real> x, z;  // linear_1 output (all rows), pre-activation
  };
  k::EdgeList<Real> edges() const {
    return {static_cast<long>(this->center.size()), this->center.data(), this->neighbor.data(),
            this->vec.data()};
  }

  NequipPlans<Real> plans_;
  std::vector<Saved> saved_;
  k::ConvWorkspace<Real> ws_;         // shared by the layers (rebuilt by every convolution call)
  std::vector<std::vector<Real>> h_;  // h_[l]: features entering layer l, owned rows (all rows for l = 0)
  std::vector<Real> onehot_, A_, hid_, eraw_, ghid_, gh_, gprev_, tmp_, gz_, gA_, gx_, sc_, gr_;
  std::vector<int> interior_, boundary_;  // owned centres without / with a ghost neighbour
  std::vector<char> boundary_mark_;
  // Atoms per piece of the work done while a halo exchange is in flight; MPI is given a chance to move the
  // messages between pieces.
  static constexpr long kOverlapChunk = 256;
};

template <class Real>
const Real* CpuNetwork<Real>::forward(const std::vector<int>& types, int nl, HaloExchange& halo) {
  const int na = static_cast<int>(types.size()), T = plans_.num_types;
  const k::EdgeList<Real> E = edges();
  // Centres with a ghost neighbour wait for the halo; the others need owned rows only.
  boundary_mark_.assign(un(nl), 0);
  for (std::size_t e = 0; e < this->neighbor.size(); ++e)
    if (this->neighbor[e] >= nl) boundary_mark_[un(this->center[e])] = 1;
  interior_.clear();
  boundary_.clear();
  for (int i = 0; i < nl; ++i) (boundary_mark_[un(i)] ? boundary_ : interior_).push_back(i);
  // Initial features depend only on the type: computed for ghosts too, no communication.
  fit(onehot_, un(na) * un(T));
  std::fill(onehot_.begin(), onehot_.begin() + static_cast<long>(un(na) * un(T)), Real(0));
  for (int i = 0; i < na; ++i) onehot_[un(i) * un(T) + un(types[un(i)])] = Real(1);
  h_.resize(plans_.layers.size() + 1);
  fit(h_[0], un(na) * un(plans_.chem.irreps_out().dim()));
  k::linear_forward_cpu(plans_.chem.view(), na, onehot_.data(), nullptr, h_[0].data());

  for (std::size_t l = 0; l < plans_.layers.size(); ++l) {
    const auto& P = plans_.layers[l];
    Saved& S = saved_[l];
    fit(S.x, un(na) * un(P.dim_in));
    fit(A_, un(nl) * un(P.dim_mid));
    fit(S.z, un(nl) * un(P.dim_z));
    fit(h_[l + 1], un(nl) * un(P.dim_out));
    // linear_1 is per atom: computed for owned rows and copied to the ghosts, which the convolution reads
    // (layer 0's input is a per-type constant, known for ghosts too).
    if (P.use_sc) fit(sc_, un(nl) * un(P.dim_z));
    if (l == 0) {
      k::linear_forward_cpu(P.lin1.view(), na, h_[0].data(), nullptr, S.x.data());
      k::conv_forward_cpu(P.conv.view(), E, nl, na, S.x.data(), A_.data(), ws_);
      if (P.use_sc) k::linear_forward_cpu(P.sc.view(), nl, h_[l].data(), types.data(), sc_.data());
    } else {
      // The ghosts' rows of x are in flight while the self-connection and the centres whose neighbours are
      // all owned are computed; the centres with ghost neighbours follow once they have arrived.
      k::linear_forward_cpu(P.lin1.view(), nl, h_[l].data(), nullptr, S.x.data());
      halo.forward_start(S.x.data(), P.dim_in);
      if (P.use_sc) k::linear_forward_cpu(P.sc.view(), nl, h_[l].data(), types.data(), sc_.data());
      k::conv_forward_prepare(P.conv.view(), E, nl, na, ws_);
      k::conv_forward_nodes(P.conv.view(), S.x.data(), 0, nl, ws_);
      for (long c0 = 0; c0 < static_cast<long>(interior_.size()); c0 += kOverlapChunk) {
        const long n = std::min<long>(kOverlapChunk, static_cast<long>(interior_.size()) - c0);
        k::conv_forward_centres(P.conv.view(), E, interior_.data() + c0, n, A_.data(), ws_);
        halo.progress();
      }
      halo.forward_finish(S.x.data(), P.dim_in);
      k::conv_forward_nodes(P.conv.view(), S.x.data(), nl, na, ws_);
      k::conv_forward_centres(P.conv.view(), E, boundary_.data(), static_cast<long>(boundary_.size()),
                              A_.data(), ws_);
    }
    k::linear_forward_cpu(P.lin2.view(), nl, A_.data(), nullptr, S.z.data());
    if (P.use_sc) {
      for (std::size_t q = 0; q < un(nl) * un(P.dim_z); ++q) S.z[q] += sc_[q];
    }
    k::gate_forward_cpu(P.gate.view(), nl, S.z.data(), h_[l + 1].data());
    if (P.resnet)
      for (std::size_t q = 0; q < un(nl) * un(P.dim_out); ++q) h_[l + 1][q] += h_[l][q];
  }
  fit(hid_, un(nl) * un(plans_.out1.irreps_out().dim()));
  fit(eraw_, un(nl));
  fit(this->ge, un(nl));
  k::linear_forward_cpu(plans_.out1.view(), nl, h_.back().data(), nullptr, hid_.data());
  k::linear_forward_cpu(plans_.out2.view(), nl, hid_.data(), nullptr, eraw_.data());
  return eraw_.data();
}

template <class Real>
const Real* CpuNetwork<Real>::backward(const std::vector<int>& types, int nl, HaloExchange& halo) {
  const int na = static_cast<int>(types.size());
  const k::EdgeList<Real> E = edges();
  const int dl = plans_.layers.empty() ? plans_.chem.irreps_out().dim() : plans_.layers.back().dim_out;
  // gh_ holds dE/dh for owned rows; the convolution's gradients on ghost rows of x are summed into their
  // owners before linear_1's backward.
  fit(ghid_, un(nl) * un(plans_.out1.irreps_out().dim()));
  fit(gh_, un(nl) * un(dl));
  k::linear_backward_cpu(plans_.out2.view(), nl, this->ge.data(), nullptr, ghid_.data());
  k::linear_backward_cpu(plans_.out1.view(), nl, ghid_.data(), nullptr, gh_.data());
  gr_.assign(3 * this->center.size(), Real(0));
  for (std::size_t l = plans_.layers.size(); l-- > 0;) {
    const auto& P = plans_.layers[l];
    Saved& S = saved_[l];
    const std::size_t lin = un(nl) * un(P.dim_in);
    fit(gz_, un(nl) * un(P.dim_z));
    fit(gA_, un(nl) * un(P.dim_mid));
    fit(tmp_, lin);
    gprev_.assign(lin, Real(0));
    gx_.assign(un(na) * un(P.dim_in), Real(0));
    k::gate_backward_cpu(P.gate.view(), nl, S.z.data(), gh_.data(), gz_.data());
    if (P.resnet) std::copy(gh_.begin(), gh_.begin() + static_cast<long>(lin), gprev_.begin());
    k::linear_backward_cpu(P.lin2.view(), nl, gz_.data(), nullptr, gA_.data());
    if (P.use_sc) {
      k::linear_backward_cpu(P.sc.view(), nl, gz_.data(), types.data(), tmp_.data());
      for (std::size_t q = 0; q < lin; ++q) gprev_[q] += tmp_[q];
    }
    if (l == 0) {  // h[0] is a per-type constant: no gradient needed beyond the edges
      k::conv_backward_cpu(P.conv.view(), E, nl, na, S.x.data(), gA_.data(), gx_.data(), gr_.data(), ws_);
      break;
    }
    // The ghosts' rows of dE/dx first; their sums travel to the owners while the owned rows are computed.
    k::conv_backward_prepare(P.conv.view(), E, nl, na, S.x.data(), gA_.data(), ws_);
    k::conv_backward_nodes(P.conv.view(), E, nl, na, gx_.data(), gr_.data(), ws_);
    halo.reverse_start(gx_.data(), P.dim_in);
    for (long j0 = 0; j0 < nl; j0 += kOverlapChunk) {
      k::conv_backward_nodes(P.conv.view(), E, j0, std::min<long>(nl, j0 + kOverlapChunk), gx_.data(),
                             gr_.data(), ws_);
      halo.progress();
    }
    halo.reverse_finish(gx_.data(), P.dim_in);
    k::linear_backward_cpu(P.lin1.view(), nl, gx_.data(), nullptr, tmp_.data());
    for (std::size_t q = 0; q < lin; ++q) gprev_[q] += tmp_[q];
    gh_.swap(gprev_);
  }
  return gr_.data();
}

}  // namespace

template struct NequipPlans<double>;
template struct NequipPlans<float>;

template <class Real>
std::unique_ptr<NequipNetwork<Real>> make_cpu_network(const NequipModel& model) {
  return std::make_unique<CpuNetwork<Real>>(model);
}
template std::unique_ptr<NequipNetwork<double>> make_cpu_network(const NequipModel&);
template std::unique_ptr<NequipNetwork<float>> make_cpu_network(const NequipModel&);

}  // namespace e3md
