#include "engine/nequip_potential.hpp"

#include <cmath>
#include <stdexcept>
#include <type_traits>

#include "engine/halo_exchange.hpp"
#include "kernels/convolution.hpp"
#include "kernels/gate.hpp"
#include "kernels/linear.hpp"

namespace e3md {

NequipPrecision parse_nequip_precision(const std::string& text) {
  if (text == "float64") return NequipPrecision::kFloat64;
  if (text == "float32") return NequipPrecision::kFloat32;
  throw std::invalid_argument("precision '" + text +
                              "' is not known; use float64 (the reference) or float32");
}

const char* to_string(NequipPrecision p) { return p == NequipPrecision::kFloat32 ? "float32" : "float64"; }

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

// The network's plans and buffers in one precision. Edge lists, energies, forces and the virial are shared
// with the caller in double.
template <class Real>
class NequipNetwork {
 public:
  explicit NequipNetwork(const NequipModel& model);
  // Forward through all layers for owned atoms; returns the raw per-atom outputs (eraw, nl entries).
  const Real* forward(const std::vector<int>& types, int nl, HaloExchange& halo);
  // Backward from dE/d eraw (ge) to dE/dr_e (gr, 3 per edge).
  const Real* backward(const std::vector<int>& types, int nl, HaloExchange& halo);

  std::vector<int> center, neighbor;
  std::vector<Real> vec;  // edge vectors in Real (Å)
  std::vector<Real> ge;   // dE/d eraw per owned atom

 private:
  struct Layer {
    k::EquivariantLinear<Real> lin1, lin2, sc;
    k::Convolution<Real> conv;
    k::Gate<Real> gate;
    k::Wigner3jOverrides w3j;
    bool use_sc = true, resnet = false;
    int dim_in = 0, dim_z = 0, dim_mid = 0, dim_out = 0;
    std::vector<Real> x, z;  // saved for the backward pass: linear_1 output (all rows), pre-activation
  };
  k::EdgeList<Real> edges() const {
    return {static_cast<long>(center.size()), center.data(), neighbor.data(), vec.data()};
  }

  int num_types_ = 0;
  k::EquivariantLinear<Real> chem_, out1_, out2_;
  std::vector<Layer> layers_;
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
NequipNetwork<Real>::NequipNetwork(const NequipModel& model) : num_types_(model.num_types) {
  const int T = model.num_types;
  chem_ = k::EquivariantLinear<Real>(to_kernels(model.chemical_embedding.irreps_in),
                                     to_kernels(model.chemical_embedding.irreps_out),
                                     model.chemical_embedding.weight);
  layers_.resize(model.layers.size());
  for (std::size_t l = 0; l < model.layers.size(); ++l) {
    const auto& L = model.layers[l];
    auto& P = layers_[l];
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
    for (const auto& w : L.tp.w3j)
      P.w3j[{w.l1, w.l2, w.l3}] = k::Wigner3jTable::from_dense(w.l1, w.l2, w.l3, w.c);
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
    spec.w3j_overrides = &P.w3j;
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
  out1_ = k::EquivariantLinear<Real>(to_kernels(model.conv_to_output_hidden.irreps_in),
                                     to_kernels(model.conv_to_output_hidden.irreps_out),
                                     model.conv_to_output_hidden.weight);
  out2_ = k::EquivariantLinear<Real>(to_kernels(model.output_hidden_to_scalar.irreps_in),
                                     to_kernels(model.output_hidden_to_scalar.irreps_out),
                                     model.output_hidden_to_scalar.weight);
}

template <class Real>
const Real* NequipNetwork<Real>::forward(const std::vector<int>& types, int nl, HaloExchange& halo) {
  const int na = static_cast<int>(types.size()), T = num_types_;
  const k::EdgeList<Real> E = edges();
  // Centres with a ghost neighbour wait for the halo; the others need owned rows only.
  boundary_mark_.assign(un(nl), 0);
  for (std::size_t e = 0; e < neighbor.size(); ++e)
    if (neighbor[e] >= nl) boundary_mark_[un(center[e])] = 1;
  interior_.clear();
  boundary_.clear();
  for (int i = 0; i < nl; ++i) (boundary_mark_[un(i)] ? boundary_ : interior_).push_back(i);
  // Initial features depend only on the type: computed for ghosts too, no communication.
  fit(onehot_, un(na) * un(T));
  std::fill(onehot_.begin(), onehot_.begin() + static_cast<long>(un(na) * un(T)), Real(0));
  for (int i = 0; i < na; ++i) onehot_[un(i) * un(T) + un(types[un(i)])] = Real(1);
  h_.resize(layers_.size() + 1);
  fit(h_[0], un(na) * un(chem_.irreps_out().dim()));
  k::linear_forward_cpu(chem_.view(), na, onehot_.data(), nullptr, h_[0].data());

  for (std::size_t l = 0; l < layers_.size(); ++l) {
    auto& P = layers_[l];
    fit(P.x, un(na) * un(P.dim_in));
    fit(A_, un(nl) * un(P.dim_mid));
    fit(P.z, un(nl) * un(P.dim_z));
    fit(h_[l + 1], un(nl) * un(P.dim_out));
    // linear_1 is per atom: computed for owned rows and copied to the ghosts, which the convolution reads
    // (layer 0's input is a per-type constant, known for ghosts too).
    if (P.use_sc) fit(sc_, un(nl) * un(P.dim_z));
    if (l == 0) {
      k::linear_forward_cpu(P.lin1.view(), na, h_[0].data(), nullptr, P.x.data());
      k::conv_forward_cpu(P.conv.view(), E, nl, na, P.x.data(), A_.data(), ws_);
      if (P.use_sc) k::linear_forward_cpu(P.sc.view(), nl, h_[l].data(), types.data(), sc_.data());
    } else {
      // The ghosts' rows of x are in flight while the self-connection and the centres whose neighbours are
      // all owned are computed; the centres with ghost neighbours follow once they have arrived.
      k::linear_forward_cpu(P.lin1.view(), nl, h_[l].data(), nullptr, P.x.data());
      halo.forward_start(P.x.data(), P.dim_in);
      if (P.use_sc) k::linear_forward_cpu(P.sc.view(), nl, h_[l].data(), types.data(), sc_.data());
      k::conv_forward_prepare(P.conv.view(), E, nl, na, ws_);
      k::conv_forward_nodes(P.conv.view(), P.x.data(), 0, nl, ws_);
      for (long c0 = 0; c0 < static_cast<long>(interior_.size()); c0 += kOverlapChunk) {
        const long n = std::min<long>(kOverlapChunk, static_cast<long>(interior_.size()) - c0);
        k::conv_forward_centres(P.conv.view(), E, interior_.data() + c0, n, A_.data(), ws_);
        halo.progress();
      }
      halo.forward_finish(P.x.data(), P.dim_in);
      k::conv_forward_nodes(P.conv.view(), P.x.data(), nl, na, ws_);
      k::conv_forward_centres(P.conv.view(), E, boundary_.data(), static_cast<long>(boundary_.size()),
                              A_.data(), ws_);
    }
    k::linear_forward_cpu(P.lin2.view(), nl, A_.data(), nullptr, P.z.data());
    if (P.use_sc) {
      for (std::size_t q = 0; q < un(nl) * un(P.dim_z); ++q) P.z[q] += sc_[q];
    }
    k::gate_forward_cpu(P.gate.view(), nl, P.z.data(), h_[l + 1].data());
    if (P.resnet)
      for (std::size_t q = 0; q < un(nl) * un(P.dim_out); ++q) h_[l + 1][q] += h_[l][q];
  }
  fit(hid_, un(nl) * un(out1_.irreps_out().dim()));
  fit(eraw_, un(nl));
  fit(ge, un(nl));
  k::linear_forward_cpu(out1_.view(), nl, h_.back().data(), nullptr, hid_.data());
  k::linear_forward_cpu(out2_.view(), nl, hid_.data(), nullptr, eraw_.data());
  return eraw_.data();
}

template <class Real>
const Real* NequipNetwork<Real>::backward(const std::vector<int>& types, int nl, HaloExchange& halo) {
  const int na = static_cast<int>(types.size());
  const k::EdgeList<Real> E = edges();
  const int dl = layers_.empty() ? chem_.irreps_out().dim() : layers_.back().dim_out;
  // gh_ holds dE/dh for owned rows; the convolution's gradients on ghost rows of x are summed into their
  // owners before linear_1's backward.
  fit(ghid_, un(nl) * un(out1_.irreps_out().dim()));
  fit(gh_, un(nl) * un(dl));
  k::linear_backward_cpu(out2_.view(), nl, ge.data(), nullptr, ghid_.data());
  k::linear_backward_cpu(out1_.view(), nl, ghid_.data(), nullptr, gh_.data());
  gr_.assign(3 * center.size(), Real(0));
  for (std::size_t l = layers_.size(); l-- > 0;) {
    auto& P = layers_[l];
    const std::size_t lin = un(nl) * un(P.dim_in);
    fit(gz_, un(nl) * un(P.dim_z));
    fit(gA_, un(nl) * un(P.dim_mid));
    fit(tmp_, lin);
    gprev_.assign(lin, Real(0));
    gx_.assign(un(na) * un(P.dim_in), Real(0));
    k::gate_backward_cpu(P.gate.view(), nl, P.z.data(), gh_.data(), gz_.data());
    if (P.resnet) std::copy(gh_.begin(), gh_.begin() + static_cast<long>(lin), gprev_.begin());
    k::linear_backward_cpu(P.lin2.view(), nl, gz_.data(), nullptr, gA_.data());
    if (P.use_sc) {
      k::linear_backward_cpu(P.sc.view(), nl, gz_.data(), types.data(), tmp_.data());
      for (std::size_t q = 0; q < lin; ++q) gprev_[q] += tmp_[q];
    }
    if (l == 0) {  // h[0] is a per-type constant: no gradient needed beyond the edges
      k::conv_backward_cpu(P.conv.view(), E, nl, na, P.x.data(), gA_.data(), gx_.data(), gr_.data(), ws_);
      break;
    }
    // The ghosts' rows of dE/dx first; their sums travel to the owners while the owned rows are computed.
    k::conv_backward_prepare(P.conv.view(), E, nl, na, P.x.data(), gA_.data(), ws_);
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

struct NequipPotential::Impl {
  NequipModel model;
  NequipPrecision precision = NequipPrecision::kFloat64;
  std::unique_ptr<NequipNetwork<double>> f64;
  std::unique_ptr<NequipNetwork<float>> f32;
  std::vector<double> vec;  // edge vectors in double (Å): forces and virial are formed from these

  template <class Real>
  void compute(NequipNetwork<Real>& net, Atoms& atoms, const NeighborList& list, HaloExchange& halo,
               const ComputeRequest& request, ComputeResult& result);
};

NequipPotential::NequipPotential(const NequipModel& model, NequipPrecision precision)
    : impl_(std::make_unique<Impl>()) {
  impl_->model = model;
  impl_->precision = precision;
  if (precision == NequipPrecision::kFloat32) {
    impl_->f32 = std::make_unique<NequipNetwork<float>>(model);
  } else {
    impl_->f64 = std::make_unique<NequipNetwork<double>>(model);
  }
}

NequipPotential::~NequipPotential() = default;

NequipPrecision NequipPotential::precision() const { return impl_->precision; }

double NequipPotential::cutoff() const { return impl_->model.r_max; }

std::vector<std::string> NequipPotential::species() const { return impl_->model.type_names; }

void NequipPotential::compute(const Box& /*box*/, Atoms& atoms, const NeighborList& list, HaloExchange& halo,
                              const ComputeRequest& request, ComputeResult& result) {
  if (impl_->f32) {
    impl_->compute(*impl_->f32, atoms, list, halo, request, result);
  } else {
    impl_->compute(*impl_->f64, atoms, list, halo, request, result);
  }
}

template <class Real>
void NequipPotential::Impl::compute(NequipNetwork<Real>& net, Atoms& atoms, const NeighborList& list,
                                    HaloExchange& halo, const ComputeRequest& request,
                                    ComputeResult& result) {
  const NequipModel& M = model;
  const int nl = atoms.nlocal, T = M.num_types;
  for (const int t : atoms.type)
    if (t < 0 || t >= T)
      throw std::runtime_error("nequip: atom type " + std::to_string(t) + " outside the model's " +
                               std::to_string(T) + " species; map the structure's species onto the model's");

  // Edges j -> i for owned centres i, within r_max (the list holds cutoff + skin).
  net.center.clear();
  net.neighbor.clear();
  vec.clear();
  const double rc2 = M.r_max * M.r_max;
  for (int i = 0; i < nl; ++i)
    for (int q = list.begin(i); q < list.end(i); ++q) {
      const int j = list.neighbors[un(q)];
      const Vec3 r = atoms.x[un(j)] - atoms.x[un(i)];
      if (r.squaredNorm() >= rc2) continue;
      net.center.push_back(i);
      net.neighbor.push_back(j);
      vec.insert(vec.end(), {r[0], r[1], r[2]});
    }
  const std::size_t E = net.center.size();
  if constexpr (std::is_same_v<Real, double>) {
    net.vec.swap(vec);  // the same array; swapped back below
  } else {
    net.vec.assign(vec.begin(), vec.end());
  }

  const Real* eraw = net.forward(atoms.type, nl, halo);
  const auto& S = M.per_species_scales;
  const auto& H = M.per_species_shifts;
  double energy = 0.0;
  if (request.per_atom_energy) result.atom_energy.assign(un(nl), 0.0);
  for (int i = 0; i < nl; ++i) {
    const std::size_t t = un(atoms.type[un(i)]);
    const double s = S.empty() ? 1.0 : S[S.size() == 1 ? 0 : t];
    const double b = H.empty() ? 0.0 : H[H.size() == 1 ? 0 : t];
    const double e = M.global_scale * (s * static_cast<double>(eraw[i]) + b);
    energy += e;
    if (request.per_atom_energy) result.atom_energy[un(i)] = e;
    net.ge[un(i)] = static_cast<Real>(M.global_scale * s);  // dE/de_raw
  }
  if (M.has_global_shift && halo.rank() == 0) energy += M.global_shift;  // once, not per rank
  result.energy = energy;

  const Real* gr = net.backward(atoms.type, nl, halo);
  if constexpr (std::is_same_v<Real, double>) net.vec.swap(vec);

  // dE/dr_e -> forces (F_centre += g, F_neighbour -= g) and the virial -sum r_e (x) g_e (symmetrised).
  Mat3 w = Mat3::Zero();
  for (std::size_t e = 0; e < E; ++e) {
    const Vec3 g(static_cast<double>(gr[3 * e]), static_cast<double>(gr[3 * e + 1]),
                 static_cast<double>(gr[3 * e + 2]));
    const Vec3 r(vec[3 * e], vec[3 * e + 1], vec[3 * e + 2]);
    atoms.f[un(net.center[e])] += g;
    atoms.f[un(net.neighbor[e])] -= g;
    w -= r * g.transpose();
  }
  if (request.virial) result.virial = 0.5 * (w + w.transpose());
}

}  // namespace e3md
