#include "engine/minimizer_fire.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>

#include "engine/simulation.hpp"
#include "engine/units.hpp"

namespace e3md {
namespace {

// −∂H/∂ε_k for the relaxed strains (eV) and the pressure error per axis (bar).
void cell_forces(const Simulation& sim, const FireParams& p, const std::array<bool, 3>& axes, std::array<double, 3>& g,
                 double& perr) {
  const Mat3& h = sim.box().cell();
  const Mat3 recip = sim.box().inverse().transpose();  // rows: reciprocal vectors a*_k (a_k · a*_l = δ_kl)
  const double v = sim.volume();
  perr = 0.0;
  for (int k = 0; k < 3; ++k) {
    const auto uk = static_cast<std::size_t>(k);
    g[uk] = 0.0;
    if (!axes[uk]) continue;
    const double w = h.row(k) * sim.virial() * recip.row(k).transpose();
    g[uk] = w - p.pressure * v / units::nktv2p;
    perr = std::max(perr, std::abs(w / v * units::nktv2p - p.pressure));
  }
  if (p.coupling == NoseHooverParams::Coupling::Iso) {
    const double sum = g[0] + g[1] + g[2];
    g = {sum, sum, sum};
  }
}

}  // namespace

FireResult minimize_fire(Simulation& sim, const FireParams& p) {
  if (!(p.dt > 0.0)) throw std::invalid_argument("fire: dt must be > 0 ps");
  const double dtmax = 10.0 * p.dt, dtmin = 0.02 * p.dt;
  const int ndelay = 20;
  const double finc = 1.1, fdec = 0.5, alpha0 = 0.25, falpha = 0.99;

  std::array<bool, 3> axes{{false, false, false}};
  if (p.relax_cell) {
    axes = p.coupling == NoseHooverParams::Coupling::Z ? std::array<bool, 3>{{false, false, true}}
                                                         : std::array<bool, 3>{{true, true, true}};
  }
  const int ncell = p.relax_cell ? (p.coupling == NoseHooverParams::Coupling::Iso ? 1 : 3) : 0;
  const double nat = static_cast<double>(sim.natoms());
  // Cell coordinates q_k = N ε_k with the mean atomic mass, forces g_k / N.
  double mass_sum = 0.0;
  Atoms& a = sim.atoms();
  for (int i = 0; i < a.nlocal; ++i) mass_sum += sim.mass(a.type[static_cast<std::size_t>(i)]);
  const double cell_mass = sim.halo().allreduce_sum(mass_sum) / nat;
  std::array<double, 3> vcell{{0, 0, 0}}, g{{0, 0, 0}};

  for (int i = 0; i < a.nlocal; ++i) a.v[static_cast<std::size_t>(i)].setZero();
  sim.compute_forces();
  double dt = p.dt, alpha = alpha0, e_prev = sim.potential_energy();
  int npos = 0;
  FireResult r;
  const auto converged = [&](double& fmax, double& perr) {
    double lf = 0.0;
    for (int i = 0; i < a.nlocal; ++i) lf = std::max(lf, a.f[static_cast<std::size_t>(i)].cwiseAbs().maxCoeff());
    double buf = lf;
    MPI_Allreduce(&lf, &buf, 1, MPI_DOUBLE, MPI_MAX, sim.comm());
    fmax = buf;
    perr = 0.0;
    if (p.relax_cell) cell_forces(sim, p, axes, g, perr);
    return fmax < p.force_tolerance && (!p.relax_cell || perr < p.pressure_tolerance);
  };
  double fmax = 0.0, perr = 0.0;
  bool done = converged(fmax, perr);
  long it = 0;
  for (; it < p.max_iterations && !done; ++it) {
    // P = F·v over atoms and cell.
    double local[1] = {0.0};
    for (int i = 0; i < a.nlocal; ++i) local[0] += a.f[static_cast<std::size_t>(i)].dot(a.v[static_cast<std::size_t>(i)]);
    double power = sim.halo().allreduce_sum(local[0]);
    for (int k = 0; k < ncell; ++k) power += g[static_cast<std::size_t>(k)] / nat * vcell[static_cast<std::size_t>(k)];
    if (power > 0.0) {
      if (++npos > ndelay) {
        dt = std::min(dt * finc, dtmax);
        alpha *= falpha;
      }
    } else {
      npos = 0;
      if (it >= ndelay) {
        dt = std::max(dt * fdec, dtmin);
        alpha = alpha0;
      }
      // Half step back, then stop.
      for (int i = 0; i < a.nlocal; ++i) {
        const auto ui = static_cast<std::size_t>(i);
        a.x[ui] -= 0.5 * dt * a.v[ui];
        a.v[ui].setZero();
      }
      vcell = {0, 0, 0};
    }
    // Semi-implicit Euler velocity update, then FIRE mixing with global norms.
    const double dtf = dt * units::ftm2v;
    double sums[3] = {0, 0, 0};  // v·v, f·f, v·f
    for (int i = 0; i < a.nlocal; ++i) {
      const auto ui = static_cast<std::size_t>(i);
      a.v[ui] += dtf / sim.mass(a.type[ui]) * a.f[ui];
      sums[0] += a.v[ui].squaredNorm();
      sums[1] += a.f[ui].squaredNorm();
      sums[2] += a.v[ui].dot(a.f[ui]);
    }
    sim.halo().allreduce_sum(sums, 3);
    for (int k = 0; k < ncell; ++k) {
      const auto uk = static_cast<std::size_t>(k);
      vcell[uk] += dtf / cell_mass * g[uk] / nat;
      sums[0] += vcell[uk] * vcell[uk];
      sums[1] += (g[uk] / nat) * (g[uk] / nat);
      sums[2] += vcell[uk] * g[uk] / nat;
    }
    if (sums[2] > 0.0 && sums[1] > 0.0) {
      const double s1 = 1.0 - alpha, s2 = alpha * std::sqrt(sums[0] / sums[1]);
      for (int i = 0; i < a.nlocal; ++i) {
        const auto ui = static_cast<std::size_t>(i);
        a.v[ui] = s1 * a.v[ui] + s2 * a.f[ui];
      }
      for (int k = 0; k < ncell; ++k) vcell[static_cast<std::size_t>(k)] = s1 * vcell[static_cast<std::size_t>(k)] + s2 * g[static_cast<std::size_t>(k)] / nat;
    }
    for (int i = 0; i < a.nlocal; ++i) a.x[static_cast<std::size_t>(i)] += dt * a.v[static_cast<std::size_t>(i)];
    if (p.relax_cell) {
      Mat3 cell = sim.box().cell();
      for (int k = 0; k < 3; ++k) {
        if (!axes[static_cast<std::size_t>(k)]) continue;
        const double dq = dt * vcell[static_cast<std::size_t>(ncell == 1 ? 0 : k)];
        cell.row(k) *= 1.0 + dq / nat;
      }
      sim.set_cell(cell, /*remap=*/true, /*rebuild=*/false);
    }
    sim.compute_forces();
    done = converged(fmax, perr);
    const double e = sim.potential_energy();
    if (p.energy_tolerance > 0.0 && std::abs(e - e_prev) < p.energy_tolerance * std::abs(e)) done = true;
    e_prev = e;
  }
  for (int i = 0; i < a.nlocal; ++i) a.v[static_cast<std::size_t>(i)].setZero();
  r.iterations = it;
  r.converged = done;
  r.energy = sim.potential_energy();
  r.max_force = fmax;
  r.max_pressure_error = perr;
  return r;
}

}  // namespace e3md
