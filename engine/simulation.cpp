#include "engine/simulation.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "engine/pair_potential.hpp"
#include "engine/units.hpp"

namespace e3md {

double element_mass(const std::string& symbol) {
  // IUPAC standard atomic weights (abridged), amu.
  static const std::map<std::string, double> table = {
      {"H", 1.008},   {"He", 4.0026}, {"Li", 6.94},   {"Be", 9.0122}, {"B", 10.81},   {"C", 12.011},
      {"N", 14.007},  {"O", 15.999},  {"F", 18.998},  {"Ne", 20.180}, {"Na", 22.990}, {"Mg", 24.305},
      {"Al", 26.982}, {"Si", 28.085}, {"P", 30.974},  {"S", 32.06},   {"Cl", 35.45},  {"Ar", 39.948},
      {"K", 39.098},  {"Ca", 40.078}, {"Ti", 47.867}, {"Fe", 55.845}, {"Cu", 63.546}, {"Zn", 65.38},
      {"Ge", 72.630}, {"Kr", 83.798}, {"Xe", 131.29}, {"Zr", 91.224}, {"Ag", 107.87}, {"Sn", 118.71},
      {"La", 138.91}, {"Au", 196.97}};
  const auto it = table.find(symbol);
  return it == table.end() ? 0.0 : it->second;
}

Simulation::Simulation(MPI_Comm comm, const Structure& s, std::shared_ptr<Potential> potential,
                       const SimulationOptions& options)
    : box_(s.box), potential_(std::move(potential)) {
  if (!potential_) throw std::invalid_argument("Simulation: no potential given");
  if (s.size() == 0) throw std::invalid_argument("Simulation: the structure has no atoms");
  if (!(options.skin >= 0.0)) throw std::invalid_argument("Simulation: skin must be >= 0 Å");

  // Species: the potential's order; masses from the options, then the potential, then the element table.
  species_.names = potential_->species();
  std::vector<double> pot_masses(species_.names.size(), 0.0);
  if (auto* cp = dynamic_cast<const ClassicalPotential*>(potential_.get())) {
    for (std::size_t t = 0; t < pot_masses.size(); ++t) pot_masses[t] = cp->species_params()[t].mass;
  }
  for (std::size_t t = 0; t < species_.names.size(); ++t) {
    const auto& name = species_.names[t];
    double m = element_mass(name);
    if (pot_masses[t] > 0.0) m = pot_masses[t];
    const auto it = options.masses.find(name);
    if (it != options.masses.end()) m = it->second;
    species_.masses.push_back(m);
  }
  // Input errors (species, cell, overlaps) name the structure's source first.
  try {
    construct(comm, s, options);
  } catch (const std::runtime_error& e) {
    if (options.source.empty()) throw;
    throw std::runtime_error(options.source + ": " + e.what());
  }
}

void Simulation::construct(MPI_Comm comm, const Structure& s, const SimulationOptions& options) {
  std::vector<int> types(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const int t = species_.find(s.species[i]);
    if (t < 0) {
      std::string known;
      for (const auto& n : species_.names) known += (known.empty() ? "" : ", ") + n;
      throw std::runtime_error("species '" + s.species[i] + "' of atom id " + std::to_string(i) +
                               " is unknown to potential '" + potential_->name() + "' (knows " + known +
                               "); add it to the potential or change the structure");
    }
    if (!(species_.masses[static_cast<std::size_t>(t)] > 0.0)) {
      throw std::runtime_error("no mass for species '" + s.species[i] +
                               "'; give it in the potential's species block or the deck's masses");
    }
    types[i] = t;
  }
  check_structure(s);
  natoms_ = static_cast<long>(s.size());

  halo_ = std::make_unique<HaloExchange>(comm, box_, options.grid);
  builder_ = std::make_unique<NeighborBuilder>(potential_->cutoff(), options.skin);
  halo_->set_ghost_cutoff(builder_->ghost_cutoff());
  std::vector<AtomId> ids(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) ids[i] = static_cast<AtomId>(i);
  std::vector<Vec3i> images = s.images;
  if (images.empty()) images.assign(s.size(), Vec3i::Zero());
  halo_->distribute(ids, types, s.positions, s.velocities, images, atoms_);

  halo_->exchange(atoms_);
  halo_->borders(atoms_);
  builder_->build(box_, atoms_, potential_->neighbor_kind(), list_);
  force_rebuild_ = false;
  measure_balance();
  check_min_distance(options.min_distance);
}

void Simulation::measure_balance() {
  long local[3] = {atoms_.nlocal, atoms_.ntotal() - atoms_.nlocal, static_cast<long>(list_.neighbors.size())};
  long max[3], sum[3];
  MPI_Allreduce(local, max, 3, MPI_LONG, MPI_MAX, comm());
  MPI_Allreduce(local, sum, 3, MPI_LONG, MPI_SUM, comm());
  int size = 1;
  MPI_Comm_size(comm(), &size);
  balance_.ranks = size;
  balance_.rebuilds += 1;
  balance_.atoms_max = max[0];
  balance_.ghosts_max = max[1];
  balance_.edges_max = max[2];
  balance_.atoms_mean = static_cast<double>(sum[0]) / size;
  balance_.ghosts_mean = static_cast<double>(sum[1]) / size;
  balance_.edges_mean = static_cast<double>(sum[2]) / size;
}

void Simulation::check_structure(const Structure& s) const {
  // Along a non-periodic direction the cell must span every atom (the decomposition splits that span).
  for (int k = 0; k < 3; ++k) {
    if (box_.periodic(k)) continue;
    double smin = 0.0, smax = 0.0;
    std::size_t imin = 0, imax = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
      const double sk = box_.to_fractional(s.positions[i])[k];
      if (i == 0 || sk < smin) smin = sk, imin = i;
      if (i == 0 || sk > smax) smax = sk, imax = i;
    }
    if (smin < 0.0 || smax >= 1.0) {
      const double len = box_.vector(k).norm();
      const std::size_t bad = smin < 0.0 ? imin : imax;
      const double need = (std::max(smax, 1.0) - std::min(smin, 0.0)) * len;
      throw std::runtime_error("box too small along non-periodic direction " + std::string(1, "abc"[k]) +
                               ": atom id " + std::to_string(bad) + " lies at fractional coordinate " +
                               std::to_string(smin < 0.0 ? smin : smax) +
                               " outside [0, 1); make cell vector " + std::string(1, "abc"[k]) +
                               " at least " + std::to_string(need) + " Å long and place the atoms inside it");
    }
  }
}

void Simulation::check_min_distance(double min_distance) {
  // Smallest pair distance on this rank (neighbor list covers every pair below cutoff + skin).
  struct {
    double d;
    int rank;
  } local{1e300, rank()}, global{};
  AtomId ia = -1, ib = -1;
  for (int i = 0; i < atoms_.nlocal; ++i) {
    for (int k = list_.begin(i); k < list_.end(i); ++k) {
      const int j = list_.neighbors[static_cast<std::size_t>(k)];
      const double d = (atoms_.x[static_cast<std::size_t>(i)] - atoms_.x[static_cast<std::size_t>(j)]).norm();
      if (d < local.d) {
        local.d = d;
        ia = atoms_.id[static_cast<std::size_t>(i)];
        ib = atoms_.id[static_cast<std::size_t>(j)];
      }
    }
  }
  MPI_Allreduce(&local, &global, 1, MPI_DOUBLE_INT, MPI_MINLOC, comm());
  if (global.d >= min_distance) return;
  long long ids[2] = {static_cast<long long>(std::min(ia, ib)), static_cast<long long>(std::max(ia, ib))};
  MPI_Bcast(ids, 2, MPI_LONG_LONG, global.rank, comm());
  throw std::runtime_error("atoms " + std::to_string(ids[0]) + " and " + std::to_string(ids[1]) + " are " +
                           std::to_string(global.d) + " Å apart (minimum " + std::to_string(min_distance) +
                           " Å); remove overlapping atoms from the structure");
}

void Simulation::compute_forces(const ComputeRequest& request) {
  // needs_rebuild is collective: every rank calls it on every step.
  const bool moved = builder_->needs_rebuild(atoms_, comm());
  if (force_rebuild_ || moved) {
    halo_->exchange(atoms_);
    halo_->borders(atoms_);
    builder_->build(box_, atoms_, potential_->neighbor_kind(), list_);
    force_rebuild_ = false;
    measure_balance();
  } else {
    halo_->forward_positions(atoms_);
  }
  std::fill(atoms_.f.begin(), atoms_.f.begin() + atoms_.ntotal(), Vec3::Zero());
  result_.energy = 0.0;
  result_.virial.setZero();
  potential_->compute(box_, atoms_, list_, *halo_, request, result_);
  if (potential_->needs_reverse_force()) halo_->reverse_forces(atoms_);
  double buf[10];
  buf[0] = result_.energy;
  for (int k = 0; k < 9; ++k) buf[1 + k] = result_.virial(k / 3, k % 3);
  halo_->allreduce_sum(buf, 10);
  energy_ = buf[0];
  for (int k = 0; k < 9; ++k) virial_(k / 3, k % 3) = buf[1 + k];
}

Mat3 Simulation::kinetic_tensor() const {
  Mat3 t = Mat3::Zero();
  for (int i = 0; i < atoms_.nlocal; ++i) {
    const auto ui = static_cast<std::size_t>(i);
    t += mass(atoms_.type[ui]) * atoms_.v[ui] * atoms_.v[ui].transpose();
  }
  t *= units::mvv2e;
  double buf[9];
  for (int k = 0; k < 9; ++k) buf[k] = t(k / 3, k % 3);
  halo_->allreduce_sum(buf, 9);
  for (int k = 0; k < 9; ++k) t(k / 3, k % 3) = buf[k];
  return t;
}

double Simulation::kinetic_energy() const { return 0.5 * kinetic_tensor().trace(); }

double Simulation::temperature() const {
  return dof() > 0 ? kinetic_tensor().trace() / (dof() * units::boltz) : 0.0;
}

Mat3 Simulation::pressure_tensor() const {
  // LAMMPS compute pressure: (Σ m v⊗v + Σ r⊗F) / V · nktv2p.
  return (kinetic_tensor() + virial_) / volume() * units::nktv2p;
}

double Simulation::pressure() const {
  // LAMMPS: (dof·kB·T + tr W) / 3V; dof·kB·T equals Σ m v² with the 3N − 3 temperature.
  return (temperature() * dof() * units::boltz + virial_.trace()) / (3.0 * volume()) * units::nktv2p;
}

void Simulation::set_cell(const Mat3& cell_rows, bool remap, bool rebuild) {
  const Box old = box_;
  box_.set_cell(cell_rows);
  if (remap) {
    for (int i = 0; i < atoms_.nlocal; ++i) {
      const auto ui = static_cast<std::size_t>(i);
      atoms_.x[ui] = box_.to_cartesian(old.to_fractional(atoms_.x[ui]));
    }
  }
  halo_->set_box(box_);
  if (rebuild) force_rebuild_ = true;
}

Structure Simulation::gather() const {
  Structure out;
  out.box = box_;
  const int n = atoms_.nlocal;
  // Per atom: id, type, x(3), v(3), image(3) as doubles (ids and counters are exact in a double).
  std::vector<double> mine(static_cast<std::size_t>(n) * 11);
  for (int i = 0; i < n; ++i) {
    const auto ui = static_cast<std::size_t>(i);
    double* p = &mine[ui * 11];
    p[0] = static_cast<double>(atoms_.id[ui]);
    p[1] = atoms_.type[ui];
    for (int k = 0; k < 3; ++k) {
      p[2 + k] = atoms_.x[ui][k];
      p[5 + k] = atoms_.v[ui][k];
      p[8 + k] = atoms_.image[ui][k];
    }
  }
  const int nranks = halo_->size();
  int count = n * 11;
  std::vector<int> counts(static_cast<std::size_t>(nranks)), displs(static_cast<std::size_t>(nranks));
  MPI_Gather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, comm());
  std::vector<double> all;
  if (rank() == 0) {
    int total = 0;
    for (int r = 0; r < nranks; ++r) {
      displs[static_cast<std::size_t>(r)] = total;
      total += counts[static_cast<std::size_t>(r)];
    }
    all.resize(static_cast<std::size_t>(total));
  }
  MPI_Gatherv(mine.data(), count, MPI_DOUBLE, all.data(), counts.data(), displs.data(), MPI_DOUBLE, 0,
              comm());
  if (rank() != 0) return out;
  const auto nat = static_cast<std::size_t>(natoms_);
  out.species.resize(nat);
  out.positions.resize(nat);
  out.velocities.resize(nat);
  out.images.resize(nat);
  for (std::size_t a = 0; a < all.size() / 11; ++a) {
    const double* p = &all[a * 11];
    const auto id = static_cast<std::size_t>(p[0]);
    out.species[id] = species_.names[static_cast<std::size_t>(p[1])];
    out.positions[id] = Vec3(p[2], p[3], p[4]);
    out.velocities[id] = Vec3(p[5], p[6], p[7]);
    out.images[id] = Vec3i(static_cast<int>(p[8]), static_cast<int>(p[9]), static_cast<int>(p[10]));
  }
  return out;
}

}  // namespace e3md
