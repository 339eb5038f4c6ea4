// The model file feeds kernels/ completely: a single-structure NequIP evaluation built only from
// read_model_file() and the kernels' plans (linear, fused convolution, gate; forward and backward) reproduces
// the energies, forces and virials nequip stored in each exported file. Edges are found by brute force over
// periodic images, with the owner atom as the neighbour (no ghosts), as nequip does.
// Tolerances: energy 1e-10 relative, forces and virial 1e-9 * max(1, max |reference|).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "io/model_file.hpp"
#include "kernels/convolution.hpp"
#include "kernels/gate.hpp"
#include "kernels/linear.hpp"

namespace fs = std::filesystem;
namespace k = e3md::kernels;
using e3md::NequipModel;

namespace {

k::Irreps to_kernels(const e3md::nequip::Irreps& irreps) {
  std::vector<k::MulIrrep> blocks;
  for (const auto& b : irreps) blocks.push_back({b.mul, k::Irrep(b.l, b.p)});
  return k::Irreps(blocks);
}

bool supported(const e3md::nequip::Activation& a) {
  return (a.name == "silu" && std::abs(a.constant - k::kNorm2MomSilu) < 1e-15) ||
         (a.name == "tanh" && std::abs(a.constant - k::kNorm2MomTanh) < 1e-15);
}

std::vector<k::GateActivation> acts(const std::vector<e3md::nequip::Activation>& in) {
  std::vector<k::GateActivation> out;
  for (const auto& a : in) out.push_back({a.name == "silu" ? k::Activation::kSilu : k::Activation::kTanh, a.constant});
  return out;
}

struct LayerPlan {
  k::EquivariantLinear<double> lin1, lin2, sc;
  k::Convolution<double> conv;
  k::Gate<double> gate;
  k::ConvWorkspace<double> ws;
  k::Wigner3jOverrides w3j;
};

struct Result {
  double energy = 0;
  std::vector<double> forces, virial;
};

Result evaluate(const NequipModel& M, const e3md::NequipReference& ref) {
  const int n = static_cast<int>(ref.types.size());
  const double* x = ref.positions.data();
  const auto& c = ref.cell;
  // Edges j -> i over periodic images: r_e = x_j + S.cell - x_i with |r_e| < r_max, minus i == j at S = 0.
  std::vector<int> center, neighbor;
  std::vector<double> vec;
  const int reach = 3;  // the generated cells are larger than r_max/2 along each axis
  for (int s0 = -reach; s0 <= reach; ++s0)
    for (int s1 = -reach; s1 <= reach; ++s1)
      for (int s2 = -reach; s2 <= reach; ++s2) {
        const int S[3] = {ref.pbc[0] ? s0 : 0, ref.pbc[1] ? s1 : 0, ref.pbc[2] ? s2 : 0};
        if (S[0] != s0 || S[1] != s1 || S[2] != s2) continue;
        for (int i = 0; i < n; ++i)
          for (int j = 0; j < n; ++j) {
            if (i == j && s0 == 0 && s1 == 0 && s2 == 0) continue;
            double r[3], r2 = 0;
            for (int a = 0; a < 3; ++a) {
              r[a] = x[3 * j + a] - x[3 * i + a] + s0 * c[static_cast<size_t>(a)] + s1 * c[static_cast<size_t>(3 + a)] +
                     s2 * c[static_cast<size_t>(6 + a)];
              r2 += r[a] * r[a];
            }
            if (r2 >= M.r_max * M.r_max) continue;
            center.push_back(i);
            neighbor.push_back(j);
            vec.insert(vec.end(), r, r + 3);
          }
      }
  const long E = static_cast<long>(center.size());
  EXPECT_EQ(E, ref.num_edges) << "edge count differs from nequip's";
  const k::EdgeList<double> edges{E, center.data(), neighbor.data(), vec.data()};

  const int T = M.num_types;
  k::EquivariantLinear<double> chem(to_kernels(M.chemical_embedding.irreps_in),
                                    to_kernels(M.chemical_embedding.irreps_out), M.chemical_embedding.weight);
  std::vector<double> onehot(static_cast<size_t>(n * T), 0.0);
  for (int i = 0; i < n; ++i) onehot[static_cast<size_t>(i * T + ref.types[static_cast<size_t>(i)])] = 1.0;
  std::vector<std::vector<double>> h(1, std::vector<double>(static_cast<size_t>(n) * chem.irreps_out().dim()));
  k::linear_forward_cpu(chem.view(), n, onehot.data(), nullptr, h[0].data());

  std::vector<LayerPlan> plans(M.layers.size());
  std::vector<std::vector<double>> xs, zs;
  for (size_t l = 0; l < M.layers.size(); ++l) {
    const auto& L = M.layers[l];
    LayerPlan& P = plans[l];
    const k::Irreps in = to_kernels(L.irreps_in), zi = to_kernels(L.gate.irreps_in);
    P.lin1 = k::EquivariantLinear<double>(in, in, L.linear_1.weight);
    P.lin2 = k::EquivariantLinear<double>(to_kernels(L.linear_2.irreps_in), zi, L.linear_2.weight);
    if (L.use_sc) P.sc = k::EquivariantLinear<double>(in, zi, L.sc.weight, T);
    for (const auto& w : L.tp.w3j) P.w3j[{w.l1, w.l2, w.l3}] = k::Wigner3jTable::from_dense(w.l1, w.l2, w.l3, w.c);
    k::ConvolutionSpec spec;
    spec.node = in;
    spec.sh = to_kernels(L.tp.irreps_in2);
    spec.out = to_kernels(L.tp.irreps_out);
    for (const auto& p : L.tp.paths) spec.instructions.push_back({p.in1, p.in2, p.out});
    spec.r_max = M.r_max;
    spec.p = M.polynomial_p;
    spec.bessel_freq = M.bessel_weights;
    spec.mlp_dims = L.radial.sizes;
    spec.mlp_weights = L.radial.weights;
    spec.avg_num_neighbors = L.avg_num_neighbors;
    spec.w3j_overrides = &P.w3j;
    P.conv = k::Convolution<double>(spec);
    P.gate = k::Gate<double>(to_kernels(L.gate.scalars), acts(L.gate.scalar_acts), to_kernels(L.gate.gates),
                             acts(L.gate.gate_acts), to_kernels(L.gate.gated));
    EXPECT_TRUE(P.gate.irreps_in() == zi) << "layer " << l << ": gate input layout differs from the file's";
    EXPECT_TRUE(P.gate.irreps_out() == to_kernels(L.gate.irreps_out)) << "layer " << l;

    const int din = in.dim(), dz = zi.dim(), dA = spec.out.dim();
    std::vector<double> xl(static_cast<size_t>(n * din)), A(static_cast<size_t>(n * dA)), z(static_cast<size_t>(n * dz));
    std::vector<double> sc(static_cast<size_t>(n * dz), 0.0);
    k::linear_forward_cpu(P.lin1.view(), n, h[l].data(), nullptr, xl.data());
    k::conv_forward_cpu(P.conv.view(), edges, n, n, xl.data(), A.data(), P.ws);
    k::linear_forward_cpu(P.lin2.view(), n, A.data(), nullptr, z.data());
    if (L.use_sc) {
      k::linear_forward_cpu(P.sc.view(), n, h[l].data(), ref.types.data(), sc.data());
      for (size_t q = 0; q < z.size(); ++q) z[q] += sc[q];
    }
    std::vector<double> out(static_cast<size_t>(n) * P.gate.irreps_out().dim());
    k::gate_forward_cpu(P.gate.view(), n, z.data(), out.data());
    if (L.resnet)
      for (size_t q = 0; q < out.size(); ++q) out[q] += h[l][q];
    xs.push_back(std::move(xl));
    zs.push_back(std::move(z));
    h.push_back(std::move(out));
  }
  k::EquivariantLinear<double> o1(to_kernels(M.conv_to_output_hidden.irreps_in),
                                  to_kernels(M.conv_to_output_hidden.irreps_out), M.conv_to_output_hidden.weight);
  k::EquivariantLinear<double> o2(to_kernels(M.output_hidden_to_scalar.irreps_in),
                                  to_kernels(M.output_hidden_to_scalar.irreps_out), M.output_hidden_to_scalar.weight);
  const int dh = o1.irreps_out().dim();
  std::vector<double> hid(static_cast<size_t>(n * dh)), eraw(static_cast<size_t>(n));
  k::linear_forward_cpu(o1.view(), n, h.back().data(), nullptr, hid.data());
  k::linear_forward_cpu(o2.view(), n, hid.data(), nullptr, eraw.data());

  Result res;
  std::vector<double> ge(static_cast<size_t>(n));  // dE/de_raw
  for (int i = 0; i < n; ++i) {
    const size_t t = static_cast<size_t>(ref.types[static_cast<size_t>(i)]);
    const auto& S = M.per_species_scales;
    const auto& H = M.per_species_shifts;
    const double s = S.empty() ? 1.0 : S[S.size() == 1 ? 0 : t];
    const double b = H.empty() ? 0.0 : H[H.size() == 1 ? 0 : t];
    res.energy += M.global_scale * (s * eraw[static_cast<size_t>(i)] + b);
    ge[static_cast<size_t>(i)] = M.global_scale * s;
  }
  if (M.has_global_shift) res.energy += M.global_shift;

  // Backward: dE/dh of the last features, then through each layer; dE/dr_e accumulates in gr.
  std::vector<double> ghid(static_cast<size_t>(n * dh)), gh(h.back().size());
  k::linear_backward_cpu(o2.view(), n, ge.data(), nullptr, ghid.data());
  k::linear_backward_cpu(o1.view(), n, ghid.data(), nullptr, gh.data());
  std::vector<double> gr(static_cast<size_t>(3 * E), 0.0);
  for (size_t l = M.layers.size(); l-- > 0;) {
    const auto& L = M.layers[l];
    LayerPlan& P = plans[l];
    std::vector<double> gz(zs[l].size()), gA(static_cast<size_t>(n) * to_kernels(L.tp.irreps_out).dim());
    std::vector<double> gprev(h[l].size(), 0.0), tmp(h[l].size()), gx(xs[l].size(), 0.0);
    k::gate_backward_cpu(P.gate.view(), n, zs[l].data(), gh.data(), gz.data());
    if (L.resnet) gprev = gh;
    k::linear_backward_cpu(P.lin2.view(), n, gz.data(), nullptr, gA.data());
    if (L.use_sc) {
      k::linear_backward_cpu(P.sc.view(), n, gz.data(), ref.types.data(), tmp.data());
      for (size_t q = 0; q < tmp.size(); ++q) gprev[q] += tmp[q];
    }
    k::conv_backward_cpu(P.conv.view(), edges, n, n, xs[l].data(), gA.data(), gx.data(), gr.data(), P.ws);
    k::linear_backward_cpu(P.lin1.view(), n, gx.data(), nullptr, tmp.data());
    for (size_t q = 0; q < tmp.size(); ++q) gprev[q] += tmp[q];
    gh = std::move(gprev);
  }
  res.forces.assign(static_cast<size_t>(3 * n), 0.0);
  res.virial.assign(9, 0.0);
  for (long e = 0; e < E; ++e) {
    for (int a = 0; a < 3; ++a) {
      const double g = gr[static_cast<size_t>(3 * e + a)];
      res.forces[static_cast<size_t>(3 * center[static_cast<size_t>(e)] + a)] += g;
      res.forces[static_cast<size_t>(3 * neighbor[static_cast<size_t>(e)] + a)] -= g;
      for (int b = 0; b < 3; ++b)
        res.virial[static_cast<size_t>(3 * b + a)] -= 0.5 * vec[static_cast<size_t>(3 * e + b)] * g,
            res.virial[static_cast<size_t>(3 * a + b)] -= 0.5 * vec[static_cast<size_t>(3 * e + b)] * g;
    }
  }
  return res;
}

}  // namespace

TEST(ModelFileKernels, ReproducesNequipEnergiesForcesVirials) {
  int evaluated = 0;
  for (const auto& entry : fs::directory_iterator(E3MD_NEQUIP_MODELS)) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() != ".h5" || name.find(".deployed.") != std::string::npos) continue;
    SCOPED_TRACE(name);
    const NequipModel M = e3md::read_model_file(entry.path().string());
    bool ok = true;
    for (const auto& L : M.layers) {
      ok = ok && L.radial.activation.name == "silu";
      for (const auto& a : L.gate.scalar_acts) ok = ok && supported(a);
      for (const auto& a : L.gate.gate_acts) ok = ok && supported(a);
    }
    if (!ok) continue;  // kernels/ implements silu and tanh only (the nequip 0.6 defaults)
    double worst_e = 0, worst_f = 0, worst_v = 0;
    for (const auto& ref : M.references) {
      const Result r = evaluate(M, ref);
      worst_e = std::max(worst_e, std::abs(r.energy - ref.energy) / std::abs(ref.energy));
      for (size_t q = 0; q < r.forces.size(); ++q) worst_f = std::max(worst_f, std::abs(r.forces[q] - ref.forces[q]));
      for (size_t q = 0; q < 9 && ref.has_virial; ++q) worst_v = std::max(worst_v, std::abs(r.virial[q] - ref.virial[q]));
      EXPECT_NEAR(r.energy, ref.energy, 1e-10 * std::abs(ref.energy));
      double fmax = 1.0, vmax = 1.0;
      for (double f : ref.forces) fmax = std::max(fmax, std::abs(f));
      for (size_t q = 0; q < r.forces.size(); ++q) EXPECT_NEAR(r.forces[q], ref.forces[q], 1e-9 * fmax) << q;
      if (ref.has_virial) {
        for (double v : ref.virial) vmax = std::max(vmax, std::abs(v));
        for (size_t q = 0; q < 9; ++q) EXPECT_NEAR(r.virial[q], ref.virial[q], 1e-9 * vmax) << q;
      }
    }
    std::printf("%-28s energy rel %.1e, forces abs %.1e eV/A, virial abs %.1e eV\n", name.c_str(), worst_e, worst_f,
                worst_v);
    ++evaluated;
  }
  EXPECT_GE(evaluated, 6);
}
