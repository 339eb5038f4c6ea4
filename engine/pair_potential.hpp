// Classical pair potentials (Born–Mayer–Huggins, Buckingham, Pedone, Lennard-Jones, each optionally with
// damped-shifted-force Coulomb) over half neighbor lists. The per-pair physics lives in the evaluators of
// pair_evaluators.hpp; this file holds the parameter tables and the one loop that calls them.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/pair_evaluators.hpp"
#include "engine/potential.hpp"

namespace e3md {

// One species of a classical potential.
struct PairSpecies {
  std::string name;
  double charge = 0.0;  // e
  double mass = 0.0;    // amu (0 = not given; the Simulation then looks the element up)
};

// What every classical potential shares, independent of the short-range form.
class ClassicalPotential : public Potential {
 public:
  NeighborKind neighbor_kind() const override { return NeighborKind::Half; }
  bool needs_reverse_force() const override { return true; }
  std::vector<std::string> species() const override;
  const std::vector<PairSpecies>& species_params() const { return species_; }
  // Short-range cutoff of a type pair (0 when the pair has no short-range term) and the Coulomb cutoff (Å).
  virtual double pair_cutoff(int ti, int tj) const = 0;
  double coulomb_cutoff() const { return coulomb_ ? std::sqrt(coulomb_->cutsq) : 0.0; }
  const std::optional<DsfCoulomb>& coulomb() const { return coulomb_; }

 protected:
  ClassicalPotential(std::vector<PairSpecies> species, std::optional<DsfCoulomb> coulomb)
      : species_(std::move(species)), coulomb_(coulomb) {}
  std::vector<PairSpecies> species_;
  std::optional<DsfCoulomb> coulomb_;
};

// Pair table for `Pair` (one of BornPair, BuckPair, PedonePair, LjPair): pairs[ti * n + tj], symmetric;
// a pair with cutsq == 0 has no short-range term.
template <class Pair>
class PairPotential final : public ClassicalPotential {
 public:
  PairPotential(std::string style, std::vector<PairSpecies> species, std::vector<Pair> pairs,
                std::optional<DsfCoulomb> coulomb);

  std::string name() const override { return style_; }
  double cutoff() const override { return cutoff_; }
  double pair_cutoff(int ti, int tj) const override;
  void compute(const Box& box, Atoms& atoms, const NeighborList& list, HaloExchange& halo,
               const ComputeRequest& request, ComputeResult& result) override;

 private:
  std::string style_;
  int ntypes_ = 0;
  std::vector<Pair> pairs_;
  std::vector<double> cutsq_;    // per type pair: max(short-range, Coulomb)²
  std::vector<double> charges_;  // per type
  double cutoff_ = 0.0;
  std::vector<double> eatom_scratch_;  // per local + ghost atom, reused between calls
};

extern template class PairPotential<BornPair>;
extern template class PairPotential<BuckPair>;
extern template class PairPotential<PedonePair>;
extern template class PairPotential<LjPair>;

}  // namespace e3md
