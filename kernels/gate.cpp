#include "kernels/gate.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace e3md::kernels {

GateActivation normalized_activation(Activation a) {
  switch (a) {
    case Activation::kSilu:
      return {a, kNorm2MomSilu};
    case Activation::kTanh:
      return {a, kNorm2MomTanh};
    default:
      return {a, 1.0};
  }
}

namespace {

// Input offset of every component range of a piece: piece layout offset -> input offset, per simplified
// block of the piece.
struct PieceMap {
  std::vector<int> piece_off;  // offset of each simplified block inside the piece
  std::vector<int> in_off;     // offset of that block in the gate input
  int to_input(int off) const {
    std::size_t b = 0;
    while (b + 1 < piece_off.size() && piece_off[b + 1] <= off) ++b;
    return in_off[b] + (off - piece_off[b]);
  }
};

}  // namespace

template <class Real>
Gate<Real>::Gate(const Irreps& scalars, const std::vector<GateActivation>& act_scalars, const Irreps& gates,
                 const std::vector<GateActivation>& act_gates, const Irreps& gated) {
  if (act_scalars.size() != scalars.size() || act_gates.size() != gates.size()) {
    throw std::invalid_argument("gate: give one activation per block of scalars (" + scalars.str() +
                                ") and of gates (" + gates.str() + ")");
  }
  for (const auto& b : scalars.blocks())
    if (b.ir.l != 0) throw std::invalid_argument("gate: scalars " + scalars.str() + " must all be l = 0");
  for (const auto& b : gates.blocks())
    if (b.ir.l != 0) throw std::invalid_argument("gate: gates " + gates.str() + " must all be l = 0");
  if (gates.num_irreps() != gated.num_irreps()) {
    throw std::invalid_argument("gate: " + std::to_string(gates.num_irreps()) + " gate scalars for " +
                                std::to_string(gated.num_irreps()) + " gated channels (" + gated.str() + ")");
  }
  const Irreps parts[3] = {scalars.simplify(), gates.simplify(), gated.simplify()};
  const Irreps cat = parts[0] + parts[1] + parts[2];
  std::vector<int> perm;
  const Irreps sorted = cat.sort(&perm);
  const auto so = sorted.offsets();
  in_ = sorted.simplify();
  out_ = parts[0] + parts[2];
  PieceMap maps[3];
  int k = 0;
  for (int p = 0; p < 3; ++p) {
    const auto po = parts[p].offsets();
    for (std::size_t b = 0; b < parts[p].size(); ++b, ++k) {
      maps[p].piece_off.push_back(po[b]);
      maps[p].in_off.push_back(so[static_cast<std::size_t>(perm[static_cast<std::size_t>(k)])]);
    }
  }
  // Scalars: one segment per given block (activations are per given block; a simplified block may span
  // several given blocks).
  int off = 0;
  for (std::size_t b = 0; b < scalars.size(); ++b) {
    const int n = scalars[b].dim();
    if (n > 0) {
      scalars_.push_back(
          {maps[0].to_input(off), off, n, act_scalars[b].act, static_cast<Real>(act_scalars[b].scale)});
    }
    off += n;
  }
  // Gate scalar c -> (input offset, activation); consecutive gates inside one given block are contiguous.
  struct GateRun {
    int c0, count, in_off;
    GateActivation act;
  };
  std::vector<GateRun> runs;
  int c = 0;
  for (std::size_t b = 0; b < gates.size(); ++b) {
    if (gates[b].mul > 0) runs.push_back({c, gates[b].mul, maps[1].to_input(c), act_gates[b]});
    c += gates[b].mul;
  }
  // Gated: split every given block at the boundaries of gate runs.
  int goff = 0;
  c = 0;
  const int out_base = parts[0].dim();
  for (const auto& blk : gated.blocks()) {
    const int d = blk.ir.dim();
    int u = 0;
    while (u < blk.mul) {
      const int cc = c + u;
      const auto it = std::find_if(runs.begin(), runs.end(),
                                   [&](const GateRun& r) { return cc >= r.c0 && cc < r.c0 + r.count; });
      const int take = std::min(blk.mul - u, it->c0 + it->count - cc);
      const int piece = goff + u * d;
      gated_.push_back({it->in_off + (cc - it->c0), maps[2].to_input(piece), out_base + piece, take, d,
                        it->act.act, static_cast<Real>(it->act.scale)});
      u += take;
    }
    c += blk.mul;
    goff += blk.dim();
  }
}

template <class Real>
GateView<Real> Gate<Real>::view() const {
  GateView<Real> v;
  v.scalars = scalars_.data();
  v.num_scalars = static_cast<int>(scalars_.size());
  v.gated = gated_.data();
  v.num_gated = static_cast<int>(gated_.size());
  v.dim_in = in_.dim();
  v.dim_out = out_.dim();
  return v;
}

template <class Real>
void gate_forward_cpu(const GateView<Real>& G, long n, const Real* x, Real* y) {
#pragma omp parallel for schedule(static)
  for (long i = 0; i < n; ++i) gate_forward(G, x + i * G.dim_in, y + i * G.dim_out);
}

template <class Real>
void gate_backward_cpu(const GateView<Real>& G, long n, const Real* x, const Real* gy, Real* gx) {
#pragma omp parallel for schedule(static)
  for (long i = 0; i < n; ++i) gate_backward(G, x + i * G.dim_in, gy + i * G.dim_out, gx + i * G.dim_in);
}

template class Gate<double>;
template class Gate<float>;
template void gate_forward_cpu<double>(const GateView<double>&, long, const double*, double*);
template void gate_forward_cpu<float>(const GateView<float>&, long, const float*, float*);
template void gate_backward_cpu<double>(const GateView<double>&, long, const double*, const double*, double*);
template void gate_backward_cpu<float>(const GateView<float>&, long, const float*, const float*, float*);

}  // namespace e3md::kernels
