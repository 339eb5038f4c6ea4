#include "engine/nequip_potential.hpp"

#include <cmath>
#include <stdexcept>

#include "engine/halo_exchange.hpp"
#include "kernels/convolution.hpp"
#include "kernels/gate.hpp"
#include "kernels/linear.hpp"

namespace e3md {
namespace {

namespace k = kernels;

k::Irreps to_kernels(const nequip::Irreps& irreps) {
  std::vector<k::MulIrrep> blocks;
  for (const auto& b : irreps) blocks.push_back({b.mul, k::Irrep(b.l, b.p)});
  return k::Irreps(blocks);
}

std::vector<k::GateActivation> gate_acts(const std::vector<nequip::Activation>& in, const std::string& where) {
  std::vector<k::GateActivation> out;
  for (const auto& a : in) {
    if (a.name == "silu" && std::abs(a.constant - k::kNorm2MomSilu) < 1e-12) {
      out.push_back({k::Activation::kSilu, a.constant});
    } else if (a.name == "tanh" && std::abs(a.constant - k::kNorm2MomTanh) < 1e-12) {
      out.push_back({k::Activation::kTanh, a.constant});
    } else {
      throw std::runtime_error(where + ": activation '" + a.name + "' is not implemented by kernels/ (silu, tanh); "
                               "retrain with nequip's default nonlinearities");
    }
  }
  return out;
}

// Grows a buffer without shrinking (no reallocation in the step loop once sizes are reached).
void fit(std::vector<double>& v, std::size_t n) {
  if (v.size() < n) v.resize(n);
}

}  // namespace

struct NequipPotential::Impl {
  struct Layer {
    k::EquivariantLinear<double> lin1, lin2, sc;
    k::Convolution<double> conv;
    k::Gate<double> gate;
    k::Wigner3jOverrides w3j;
    k::ConvWorkspace<double> ws;
    bool use_sc = true, resnet = false;
    int dim_in = 0, dim_z = 0, dim_mid = 0, dim_out = 0;
    std::vector<double> x, z, A;  // saved forward values: linear_1 output (all rows), pre-activation, messages
  };
  NequipModel model;
  k::EquivariantLinear<double> chem, out1, out2;
  std::vector<Layer> layers;
  std::vector<std::vector<double>> h;  // h[l]: features entering layer l, all rows (owned + ghosts)
  std::vector<int> center, neighbor;
  std::vector<double> vec, gr, onehot, hid, eraw, ge, ghid, gh, gprev, tmp, gz, gA, gx, sc;
};

NequipPotential::NequipPotential(const NequipModel& model) : impl_(std::make_unique<Impl>()) {
  Impl& I = *impl_;
  I.model = model;
  const int T = model.num_types;
  I.chem = k::EquivariantLinear<double>(to_kernels(model.chemical_embedding.irreps_in),
                                        to_kernels(model.chemical_embedding.irreps_out), model.chemical_embedding.weight);
  I.layers.resize(model.layers.size());
  for (std::size_t l = 0; l < model.layers.size(); ++l) {
    const auto& L = model.layers[l];
    auto& P = I.layers[l];
    const std::string where = "nequip model layer " + std::to_string(l);
    if (L.radial.activation.name != "silu")
      throw std::runtime_error(where + ": radial MLP activation '" + L.radial.activation.name +
                               "' is not implemented by kernels/ (silu); retrain with nequip's defaults");
    const k::Irreps in = to_kernels(L.irreps_in), zi = to_kernels(L.gate.irreps_in);
    P.lin1 = k::EquivariantLinear<double>(in, in, L.linear_1.weight);
    P.lin2 = k::EquivariantLinear<double>(to_kernels(L.linear_2.irreps_in), zi, L.linear_2.weight);
    P.use_sc = L.use_sc;
    P.resnet = L.resnet;
    if (L.use_sc) P.sc = k::EquivariantLinear<double>(in, zi, L.sc.weight, T);
    for (const auto& w : L.tp.w3j) P.w3j[{w.l1, w.l2, w.l3}] = k::Wigner3jTable::from_dense(w.l1, w.l2, w.l3, w.c);
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
    P.conv = k::Convolution<double>(spec);
    P.gate = k::Gate<double>(to_kernels(L.gate.scalars), gate_acts(L.gate.scalar_acts, where),
                             to_kernels(L.gate.gates), gate_acts(L.gate.gate_acts, where), to_kernels(L.gate.gated));
    if (!(P.gate.irreps_in() == zi) || !(P.gate.irreps_out() == to_kernels(L.gate.irreps_out)))
      throw std::runtime_error(where + ": gate layout of the model file differs from kernels/' (" +
                               P.gate.irreps_in().str() + " vs " + zi.str() + "); re-export the model");
    P.dim_in = in.dim();
    P.dim_z = zi.dim();
    P.dim_mid = spec.out.dim();
    P.dim_out = P.gate.irreps_out().dim();
  }
  I.out1 = k::EquivariantLinear<double>(to_kernels(model.conv_to_output_hidden.irreps_in),
                                        to_kernels(model.conv_to_output_hidden.irreps_out),
                                        model.conv_to_output_hidden.weight);
  I.out2 = k::EquivariantLinear<double>(to_kernels(model.output_hidden_to_scalar.irreps_in),
                                        to_kernels(model.output_hidden_to_scalar.irreps_out),
                                        model.output_hidden_to_scalar.weight);
}

NequipPotential::~NequipPotential() = default;

double NequipPotential::cutoff() const { return impl_->model.r_max; }

std::vector<std::string> NequipPotential::species() const { return impl_->model.type_names; }

void NequipPotential::compute(const Box& /*box*/, Atoms& atoms, const NeighborList& list, HaloExchange& halo,
                              const ComputeRequest& request, ComputeResult& result) {
  Impl& I = *impl_;
  const NequipModel& M = I.model;
  const int nl = atoms.nlocal, na = atoms.ntotal(), T = M.num_types;
  const auto un = [](long v) { return static_cast<std::size_t>(v); };

  // Edges j -> i for owned centres i, within r_max (the list holds cutoff + skin).
  I.center.clear();
  I.neighbor.clear();
  I.vec.clear();
  const double rc2 = M.r_max * M.r_max;
  for (int i = 0; i < nl; ++i)
    for (int q = list.begin(i); q < list.end(i); ++q) {
      const int j = list.neighbors[un(q)];
      const Vec3 r = atoms.x[un(j)] - atoms.x[un(i)];
      if (r.squaredNorm() >= rc2) continue;
      I.center.push_back(i);
      I.neighbor.push_back(j);
      I.vec.insert(I.vec.end(), {r[0], r[1], r[2]});
    }
  const long E = static_cast<long>(I.center.size());
  const k::EdgeList<double> edges{E, I.center.data(), I.neighbor.data(), I.vec.data()};

  // Initial features depend only on the type: computed for ghosts too, no communication.
  for (const int t : atoms.type)
    if (t < 0 || t >= T)
      throw std::runtime_error("nequip: atom type " + std::to_string(t) + " outside the model's " +
                               std::to_string(T) + " species; map the structure's species onto the model's");
  fit(I.onehot, un(na) * un(T));
  std::fill(I.onehot.begin(), I.onehot.begin() + static_cast<long>(un(na) * un(T)), 0.0);
  for (int i = 0; i < na; ++i) I.onehot[un(i) * un(T) + un(atoms.type[un(i)])] = 1.0;
  I.h.resize(I.layers.size() + 1);
  fit(I.h[0], un(na) * un(I.chem.irreps_out().dim()));
  k::linear_forward_cpu(I.chem.view(), na, I.onehot.data(), nullptr, I.h[0].data());

  for (std::size_t l = 0; l < I.layers.size(); ++l) {
    auto& P = I.layers[l];
    fit(P.x, un(na) * un(P.dim_in));
    fit(P.A, un(nl) * un(P.dim_mid));
    fit(P.z, un(nl) * un(P.dim_z));
    fit(I.h[l + 1], un(na) * un(P.dim_out));
    k::linear_forward_cpu(P.lin1.view(), na, I.h[l].data(), nullptr, P.x.data());
    k::conv_forward_cpu(P.conv.view(), edges, nl, na, P.x.data(), P.A.data(), P.ws);
    k::linear_forward_cpu(P.lin2.view(), nl, P.A.data(), nullptr, P.z.data());
    if (P.use_sc) {
      fit(I.sc, un(nl) * un(P.dim_z));
      k::linear_forward_cpu(P.sc.view(), nl, I.h[l].data(), atoms.type.data(), I.sc.data());
      for (std::size_t q = 0; q < un(nl) * un(P.dim_z); ++q) P.z[q] += I.sc[q];
    }
    k::gate_forward_cpu(P.gate.view(), nl, P.z.data(), I.h[l + 1].data());
    if (P.resnet)
      for (std::size_t q = 0; q < un(nl) * un(P.dim_out); ++q) I.h[l + 1][q] += I.h[l][q];
    if (l + 1 < I.layers.size()) halo.forward(I.h[l + 1].data(), P.dim_out);  // ghosts read them next layer
  }

  const int dl = I.layers.empty() ? I.chem.irreps_out().dim() : I.layers.back().dim_out;
  const int dh = I.out1.irreps_out().dim();
  fit(I.hid, un(nl) * un(dh));
  fit(I.eraw, un(nl));
  fit(I.ge, un(nl));
  k::linear_forward_cpu(I.out1.view(), nl, I.h.back().data(), nullptr, I.hid.data());
  k::linear_forward_cpu(I.out2.view(), nl, I.hid.data(), nullptr, I.eraw.data());
  const auto& S = M.per_species_scales;
  const auto& H = M.per_species_shifts;
  double energy = 0.0;
  if (request.per_atom_energy) result.atom_energy.assign(un(nl), 0.0);
  for (int i = 0; i < nl; ++i) {
    const std::size_t t = un(atoms.type[un(i)]);
    const double s = S.empty() ? 1.0 : S[S.size() == 1 ? 0 : t];
    const double b = H.empty() ? 0.0 : H[H.size() == 1 ? 0 : t];
    const double e = M.global_scale * (s * I.eraw[un(i)] + b);
    energy += e;
    if (request.per_atom_energy) result.atom_energy[un(i)] = e;
    I.ge[un(i)] = M.global_scale * s;  // dE/de_raw
  }
  if (M.has_global_shift && halo.rank() == 0) energy += M.global_shift;  // once, not per rank
  result.energy = energy;

  // Backward: gh holds dE/dh for all rows; ghost rows are summed into owners after each layer.
  fit(I.ghid, un(nl) * un(dh));
  fit(I.gh, un(na) * un(dl));
  std::fill(I.gh.begin(), I.gh.end(), 0.0);
  k::linear_backward_cpu(I.out2.view(), nl, I.ge.data(), nullptr, I.ghid.data());
  k::linear_backward_cpu(I.out1.view(), nl, I.ghid.data(), nullptr, I.gh.data());
  I.gr.assign(un(3 * E), 0.0);
  for (std::size_t l = I.layers.size(); l-- > 0;) {
    auto& P = I.layers[l];
    fit(I.gz, un(nl) * un(P.dim_z));
    fit(I.gA, un(nl) * un(P.dim_mid));
    fit(I.tmp, un(na) * un(P.dim_in));
    I.gprev.assign(un(na) * un(P.dim_in), 0.0);
    I.gx.assign(un(na) * un(P.dim_in), 0.0);
    k::gate_backward_cpu(P.gate.view(), nl, P.z.data(), I.gh.data(), I.gz.data());
    if (P.resnet) std::copy(I.gh.begin(), I.gh.begin() + static_cast<long>(un(nl) * un(P.dim_in)), I.gprev.begin());
    k::linear_backward_cpu(P.lin2.view(), nl, I.gz.data(), nullptr, I.gA.data());
    if (P.use_sc) {
      k::linear_backward_cpu(P.sc.view(), nl, I.gz.data(), atoms.type.data(), I.tmp.data());
      for (std::size_t q = 0; q < un(nl) * un(P.dim_in); ++q) I.gprev[q] += I.tmp[q];
    }
    k::conv_backward_cpu(P.conv.view(), edges, nl, na, P.x.data(), I.gA.data(), I.gx.data(), I.gr.data(), P.ws);
    if (l == 0) break;  // h[0] is a per-type constant: no gradient needed
    k::linear_backward_cpu(P.lin1.view(), na, I.gx.data(), nullptr, I.tmp.data());
    for (std::size_t q = 0; q < un(na) * un(P.dim_in); ++q) I.gprev[q] += I.tmp[q];
    halo.reverse(I.gprev.data(), P.dim_in);
    std::fill(I.gprev.begin() + static_cast<long>(un(nl) * un(P.dim_in)), I.gprev.end(), 0.0);
    I.gh.swap(I.gprev);
  }

  // dE/dr_e -> forces (F_centre += g, F_neighbour -= g) and the virial -sum r_e (x) g_e (symmetrised).
  Mat3 w = Mat3::Zero();
  for (long e = 0; e < E; ++e) {
    const Vec3 g(I.gr[un(3 * e)], I.gr[un(3 * e + 1)], I.gr[un(3 * e + 2)]);
    const Vec3 r(I.vec[un(3 * e)], I.vec[un(3 * e + 1)], I.vec[un(3 * e + 2)]);
    atoms.f[un(I.center[un(e)])] += g;
    atoms.f[un(I.neighbor[un(e)])] -= g;
    w -= r * g.transpose();
  }
  if (request.virial) result.virial = 0.5 * (w + w.transpose());
}

}  // namespace e3md
