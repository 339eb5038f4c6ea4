// Plain-data description of a NequIP (nequip 0.5/0.6 on e3nn 0.5) model, as read from an e3md model file by
// io/model_file.hpp. Every list and constant here is what the exported network uses; a potential evaluates it
// without re-deriving any bookkeeping. docs/model-format.md documents each field (shapes, units, meaning).
// Units: lengths in Å, energies in eV. Weights are float64 copies of the trained weights.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace e3md {

// The building blocks live in their own namespace so that they never clash with the kernels' plan classes of
// the same names (e3md::kernels::Irreps, EquivariantLinear, Gate, ...), which a potential uses side by side.
namespace nequip {

// One block of an irreps list: `mul` copies of the irrep (l, p), p = +1 (even) or -1 (odd). Inside a block
// the layout is multiplicity-major: component m of copy u sits at offset + u*(2l+1) + m (e3nn's order).
struct Irrep {
  int mul = 0;
  int l = 0;
  int p = 1;
  int dim() const { return mul * (2 * l + 1); }
  bool operator==(const Irrep& o) const { return mul == o.mul && l == o.l && p == o.p; }
};
using Irreps = std::vector<Irrep>;

inline int irreps_dim(const Irreps& irreps) {
  int d = 0;
  for (const auto& b : irreps) d += b.dim();
  return d;
}

// Start offset of each block, plus the total dimension as the last entry.
inline std::vector<int> irreps_offsets(const Irreps& irreps) {
  std::vector<int> o{0};
  for (const auto& b : irreps) o.push_back(o.back() + b.dim());
  return o;
}

// e3nn o3.Linear without bias: y[out][w][m] += path_weight * sum_u W[u][w] * x[in][u][m] per instruction.
// `weight` is the concatenation, in instruction order, of row-major (mul_in x mul_out) matrices.
struct EquivariantLinear {
  Irreps irreps_in, irreps_out;
  std::vector<std::array<int, 2>> instructions;  // (input block, output block)
  std::vector<double> path_weights;              // 1/sqrt(fan-in of the output block)
  std::vector<double> weight;
};

// Elementwise activation, already including e3nn's normalize2mom constant: f(x) = constant * name(x).
// name: silu | tanh | ssp (softplus(x) - ln 2) | abs | sigmoid | identity.
struct Activation {
  std::string name = "identity";
  double constant = 1.0;
};

// e3nn FullyConnectedNet without biases: z <- act(z W_j / sqrt(sizes[j])) for hidden layers, no act at the
// end.
struct RadialMlp {
  std::vector<int> sizes;                    // [num_basis, hidden..., tp weight_numel]
  std::vector<std::vector<double>> weights;  // weights[j]: row-major (sizes[j] x sizes[j+1])
  Activation activation;
};

// Real Wigner-3j tensor C^(l1,l2,l3), row-major (2l1+1, 2l2+1, 2l3+1), unit Frobenius norm (e3nn convention).
struct Wigner3j {
  int l1 = 0, l2 = 0, l3 = 0;
  std::vector<double> c;
};

// One "uvu" path of the edge tensor product: out[slot][u][k] += path_weight * w_e[offset+u] *
// sum_ij C[i][j][k] x[in1][u][i] Y[in2][j]; the per-edge weight offset is the running sum of mul over paths.
struct TensorProductPath {
  int in1 = 0, in2 = 0, out = 0;
  double path_weight = 1.0;
};

struct EdgeTensorProduct {
  Irreps irreps_in1;                     // layer input features (after linear_1)
  Irreps irreps_in2;                     // edge spherical harmonics
  Irreps irreps_out;                     // "mid": sorted, not simplified, one block per path
  std::vector<TensorProductPath> paths;  // creation order = per-edge weight layout
  std::vector<Wigner3j> w3j;             // every (l1,l2,l3) used by a path
  int weight_numel = 0;
};

// Self-connection: e3nn FullyConnectedTensorProduct(features, num_types x 0e, out), "uvw". With a one-hot
// second input, out[o][w][m] += path_weight/sqrt(2l+1) * sum_u W[u][type][w] * x[in][u][m] (C^(l,0,l) =
// I/sqrt(2l+1)). `weight` concatenates row-major (mul_in, num_types, mul_out) tensors in instruction order.
struct SelfConnection {
  Irreps irreps_in1, irreps_in2, irreps_out;
  std::vector<std::array<int, 3>> instructions;  // (input block, 0, output block)
  std::vector<double> path_weights;
  std::vector<double> weight;
};

// e3nn Gate on the layer's pre-activation z (layout irreps_in). Offsets are start indices into z.
// Output = [act(scalar blocks)] ++ [gated blocks, channel c times act(gate c)] (irreps_out).
struct Gate {
  Irreps irreps_in, irreps_out;
  Irreps scalars, gates, gated;
  std::vector<int> scalar_offsets, gate_offsets, gated_offsets;
  std::vector<Activation> scalar_acts, gate_acts;  // one per block
};

}  // namespace nequip

struct NequipLayer {
  nequip::Irreps irreps_in;  // features entering the layer (and the self-connection)
  nequip::EquivariantLinear linear_1;
  nequip::RadialMlp radial;
  nequip::EdgeTensorProduct tp;
  double avg_num_neighbors = 0.0;      // messages are divided by sqrt of it; 0 = no normalisation
  nequip::EquivariantLinear linear_2;  // simplify(tp.irreps_out) -> gate.irreps_in
  bool use_sc = true;
  nequip::SelfConnection sc;
  nequip::Gate gate;
  bool resnet = false;  // h_next = h + gate(z)
};

// One reference evaluation by nequip (float64) stored in the file for CI.
struct NequipReference {
  std::string label;
  std::vector<double> positions;  // N x 3, Å
  std::array<double, 9> cell{};   // rows are lattice vectors, Å
  std::array<bool, 3> pbc{};
  std::vector<int> types;               // nequip type index per atom
  double energy = 0.0;                  // eV
  std::vector<double> forces;           // N x 3, eV/Å
  std::vector<double> atomic_energies;  // eV (global scale applied, global shift not)
  bool has_virial = false;
  std::array<double, 9> virial{};  // eV, nequip's sign (= -sym(sum r_e g_e))
  std::array<double, 9> stress{};  // eV/Å^3, ASE sign (= -virial/V)
  std::int64_t num_edges = 0;
};

struct NequipModel {
  // provenance
  int schema_version = 0;
  std::string nequip_version, e3nn_version, torch_version, model_dtype, config_yaml, source_kind;
  std::int64_t parameter_count_nequip = 0;  // sum of numel over nequip's model.parameters()

  // species
  std::vector<std::string> type_names;  // type index -> name
  std::vector<int> atomic_numbers;      // 0 when the name is not an element

  // edges
  double r_max = 0.0;         // Å
  double polynomial_p = 6.0;  // cutoff envelope exponent
  int l_max = 0;
  nequip::Irreps edge_sh;              // spherical harmonics irreps (1x0e+1x1o+... or all even)
  std::vector<double> bessel_weights;  // w_n: B_n(r) = 2/r_max sin(w_n r / r_max) / r
  bool bessel_trainable = true;

  int num_types = 0;
  nequip::EquivariantLinear chemical_embedding;  // one-hot (num_types x 0e) -> features
  std::vector<NequipLayer> layers;
  nequip::EquivariantLinear conv_to_output_hidden, output_hidden_to_scalar;

  // e_i = global_scale * (scales[t] * raw_i + shifts[t]); E = sum e_i + global_shift (when present).
  // scales/shifts have 0 (absent), 1 (shared) or num_types entries.
  std::vector<double> per_species_scales, per_species_shifts;
  bool per_species_scales_trainable = false, per_species_shifts_trainable = false;
  bool has_global_scale = false, has_global_shift = false, global_trainable = false;
  double global_scale = 1.0, global_shift = 0.0;

  std::vector<NequipReference> references;
};

}  // namespace e3md
