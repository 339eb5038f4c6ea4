#include "engine/pair_potential.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "engine/halo_exchange.hpp"

namespace e3md {

std::vector<std::string> ClassicalPotential::species() const {
  std::vector<std::string> names;
  names.reserve(species_.size());
  for (const auto& s : species_) names.push_back(s.name);
  return names;
}

template <class Pair>
PairPotential<Pair>::PairPotential(std::string style, std::vector<PairSpecies> species, std::vector<Pair> pairs,
                                   std::optional<DsfCoulomb> coulomb)
    : ClassicalPotential(std::move(species), coulomb), style_(std::move(style)), pairs_(std::move(pairs)) {
  ntypes_ = static_cast<int>(species_.size());
  const auto n = static_cast<std::size_t>(ntypes_);
  if (ntypes_ == 0) throw std::invalid_argument(style_ + ": no species given; list at least one species");
  if (pairs_.size() != n * n) {
    throw std::invalid_argument(style_ + ": pair table has " + std::to_string(pairs_.size()) + " entries, expected " +
                                std::to_string(n * n) + " (one per ordered species pair)");
  }
  const double coul_cutsq = coulomb_ ? coulomb_->cutsq : 0.0;
  cutsq_.resize(n * n);
  for (std::size_t k = 0; k < n * n; ++k) {
    cutsq_[k] = std::max(pairs_[k].cutsq, coul_cutsq);
    cutoff_ = std::max(cutoff_, std::sqrt(cutsq_[k]));
  }
  for (const auto& s : species_) charges_.push_back(s.charge);
  if (!(cutoff_ > 0.0)) throw std::invalid_argument(style_ + ": every cutoff is zero; give a positive 'cutoff'");
}

template <class Pair>
double PairPotential<Pair>::pair_cutoff(int ti, int tj) const {
  return std::sqrt(pairs_[static_cast<std::size_t>(ti * ntypes_ + tj)].cutsq);
}

template <class Pair>
void PairPotential<Pair>::compute(const Box& /*box*/, Atoms& atoms, const NeighborList& list, HaloExchange& halo,
                                  const ComputeRequest& request, ComputeResult& result) {
  const int nlocal = atoms.nlocal;
  const bool per_atom = request.per_atom_energy;
  if (per_atom) eatom_scratch_.assign(static_cast<std::size_t>(atoms.ntotal()), 0.0);
  double* eatom = per_atom ? eatom_scratch_.data() : nullptr;

  const Vec3* x = atoms.x.data();
  Vec3* f = atoms.f.data();
  const int* type = atoms.type.data();
  const double* q = charges_.data();
  const Pair* pairs = pairs_.data();
  const double* cutsq = cutsq_.data();
  const bool has_coul = coulomb_.has_value();
  const DsfCoulomb coul = has_coul ? *coulomb_ : DsfCoulomb{};

  double energy = 0.0;
  for (int i = 0; i < nlocal; ++i) {
    const double xi = x[i][0], yi = x[i][1], zi = x[i][2];
    const int ti = type[i];
    const double qi = q[ti];
    if (has_coul) {
      const double es = coul.self_energy(qi);
      energy += es;
      if (eatom) eatom[i] += es;
    }
    double fxi = 0, fyi = 0, fzi = 0;
    const int row = ti * ntypes_;
    for (int k = list.begin(i), kend = list.end(i); k < kend; ++k) {
      const int j = list.neighbors[static_cast<std::size_t>(k)];
      const double dx = xi - x[j][0], dy = yi - x[j][1], dz = zi - x[j][2];
      const double rsq = dx * dx + dy * dy + dz * dz;
      const int tj = type[j];
      if (rsq >= cutsq[row + tj]) continue;
      double fpair = 0.0, e = 0.0;
      const double r = (has_coul || Pair::kNeedsR) ? std::sqrt(rsq) : 0.0;
      if (has_coul && rsq < coul.cutsq) coul.evaluate(rsq, r, qi * q[tj], fpair, e);
      const Pair& p = pairs[row + tj];
      if (rsq < p.cutsq) p.evaluate(rsq, r, fpair, e);
      fxi += dx * fpair;
      fyi += dy * fpair;
      fzi += dz * fpair;
      f[j][0] -= dx * fpair;
      f[j][1] -= dy * fpair;
      f[j][2] -= dz * fpair;
      energy += e;
      if (eatom) {
        eatom[i] += 0.5 * e;
        eatom[j] += 0.5 * e;
      }
    }
    f[i][0] += fxi;
    f[i][1] += fyi;
    f[i][2] += fzi;
  }
  result.energy = request.energy ? energy : 0.0;
  // Virial Σ r⊗F as LAMMPS's virial_fdotr_compute: Σ x_i ⊗ f_i over owned and ghost atoms, before ghost
  // forces are summed into owners. Ghost positions are exact lattice images, so this equals the pair sum
  // Σ Δx⊗F_pair, at one pass over atoms instead of six products per pair.
  if (request.virial) {
    double v0 = 0, v1 = 0, v2 = 0, v3 = 0, v4 = 0, v5 = 0;  // xx yy zz xy xz yz
    for (int i = 0, n = atoms.ntotal(); i < n; ++i) {
      v0 += x[i][0] * f[i][0];
      v1 += x[i][1] * f[i][1];
      v2 += x[i][2] * f[i][2];
      v3 += x[i][1] * f[i][0];
      v4 += x[i][2] * f[i][0];
      v5 += x[i][2] * f[i][1];
    }
    result.virial << v0, v3, v4, v3, v1, v5, v4, v5, v2;
  } else {
    result.virial.setZero();
  }
  if (per_atom) {
    // Halves of pair energies tallied on ghosts belong to their owners.
    halo.reverse(eatom, 1);
    result.atom_energy.assign(eatom, eatom + nlocal);
  }
}

template class PairPotential<BornPair>;
template class PairPotential<BuckPair>;
template class PairPotential<PedonePair>;
template class PairPotential<LjPair>;

}  // namespace e3md
