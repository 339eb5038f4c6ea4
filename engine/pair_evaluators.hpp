// Per-pair physics of the classical potentials, HOOMD-style: each evaluator is a tiny struct of
// precomputed coefficients with one host-and-device method, so the CPU loop (pair_potential.cpp) and a
// CUDA kernel run the same arithmetic. The arithmetic follows LAMMPS's pair styles term by term so that
// energies and forces agree with LAMMPS to round-off (see docs/potentials.md).
//
// Every evaluator adds F/r (eV/Å², "fpair": the force on i is fpair·(x_i − x_j)) and the pair energy (eV).
// evaluate(rsq, r, ...) takes r = √rsq from the caller, computed once per pair when any term needs it
// (kNeedsR); evaluators that do not need r ignore it.
#pragma once

#include <cmath>

#ifndef E3MD_HD
#if defined(__CUDACC__)
#define E3MD_HD __host__ __device__
#else
#define E3MD_HD
#endif
#endif

namespace e3md {

// √π, spelled out because M_PI is not standard C++.
inline constexpr double kSqrtPi = 1.77245385090551602729;

// Damped shifted force Coulomb (Fennell & Gezelter 2006), LAMMPS coul/dsf:
//   E(r) = qqrd2e q_i q_j [erfc(αr)/r − e_shift − r·f_shift]   for r < rc (so E(rc) = F(rc) = 0),
// plus a self term per atom e_self = −(e_shift/2 + α/√π) q_i² qqrd2e.
// LAMMPS 2021/2022 coul/dsf evaluates erfc(αr) in the pair loop with the Abramowitz–Stegun 7.1.26
// polynomial (|error| < 1.5e-7) while the shifts use the exact erfc; born/coul/dsf of the same version calls
// erfc(). `exact_erfc = false` reproduces the former to round-off, `exact_erfc = true` the latter (forces
// are then the exact gradient of the energy).
struct DsfCoulomb {
  double alpha = 0.0;     // Å⁻¹
  double cutsq = 0.0;     // Å²
  double e_shift = 0.0;   // Å⁻¹
  double f_shift = 0.0;   // Å⁻²
  double qqrd2e = 0.0;    // eV·Å/e²
  bool exact_erfc = false;

  static DsfCoulomb make(double alpha_in, double cutoff, double qqrd2e_in, bool exact) {
    DsfCoulomb c;
    c.alpha = alpha_in;
    c.cutsq = cutoff * cutoff;
    c.qqrd2e = qqrd2e_in;
    c.exact_erfc = exact;
    const double erfcc = ::erfc(alpha_in * cutoff);
    const double erfcd = ::exp(-alpha_in * alpha_in * cutoff * cutoff);
    c.f_shift = -(erfcc / c.cutsq + 2.0 / kSqrtPi * alpha_in * erfcd / cutoff);
    c.e_shift = erfcc / cutoff - c.f_shift * cutoff;
    return c;
  }

  E3MD_HD double self_energy(double qi) const {
    return -(e_shift / 2.0 + alpha / kSqrtPi) * qi * qi * qqrd2e;
  }

  // rsq < cutsq is checked by the caller.
  E3MD_HD void evaluate(double rsq, double r, double qiqj, double& fpair, double& energy) const {
    const double prefactor = qqrd2e * qiqj / r;
    const double erfcd = ::exp(-alpha * alpha * rsq);
    double erfcc;
    if (exact_erfc) {
      erfcc = ::erfc(alpha * r);
    } else {
      const double t = 1.0 / (1.0 + 0.3275911 * alpha * r);
      erfcc = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) *
              erfcd;
    }
    const double forcecoul = prefactor * (erfcc / r + 2.0 * alpha / kSqrtPi * erfcd + r * f_shift) * r;
    fpair += forcecoul / rsq;
    energy += prefactor * (erfcc - r * e_shift - rsq * f_shift);
  }
};

// Born–Mayer–Huggins, LAMMPS born: E = A exp((σ − r)/ρ) − C/r⁶ + D/r⁸ − offset.
struct BornPair {
  double cutsq = 0.0;
  double a = 0.0, rhoinv = 0.0, sigma = 0.0, c = 0.0, d = 0.0;
  double born1 = 0.0, born2 = 0.0, born3 = 0.0, offset = 0.0;

  static BornPair make(double A, double rho, double sigma_in, double C, double D, double cutoff, bool shift) {
    BornPair p;
    p.cutsq = cutoff * cutoff;
    p.a = A;
    p.rhoinv = 1.0 / rho;
    p.sigma = sigma_in;
    p.c = C;
    p.d = D;
    p.born1 = A / rho;
    p.born2 = 6.0 * C;
    p.born3 = 8.0 * D;
    if (shift) {
      p.offset = A * ::exp((sigma_in - cutoff) * p.rhoinv) - C / ::pow(cutoff, 6.0) + D / ::pow(cutoff, 8.0);
    }
    return p;
  }

  static constexpr bool kNeedsR = true;
  E3MD_HD void evaluate(double rsq, double r, double& fpair, double& energy) const {
    const double r2inv = 1.0 / rsq;
    const double r6inv = r2inv * r2inv * r2inv;
    const double rexp = ::exp((sigma - r) * rhoinv);
    const double forceborn = born1 * r * rexp - born2 * r6inv + born3 * r2inv * r6inv;
    fpair += forceborn * r2inv;
    energy += a * rexp - c * r6inv + d * r6inv * r2inv - offset;
  }
};

// Buckingham, LAMMPS buck: E = A exp(−r/ρ) − C/r⁶ − offset.
struct BuckPair {
  double cutsq = 0.0;
  double a = 0.0, rhoinv = 0.0, c = 0.0;
  double buck1 = 0.0, buck2 = 0.0, offset = 0.0;

  static BuckPair make(double A, double rho, double C, double cutoff, bool shift) {
    BuckPair p;
    p.cutsq = cutoff * cutoff;
    p.a = A;
    p.rhoinv = 1.0 / rho;
    p.c = C;
    p.buck1 = A / rho;
    p.buck2 = 6.0 * C;
    if (shift) p.offset = A * ::exp(-cutoff / rho) - C / ::pow(cutoff, 6.0);
    return p;
  }

  static constexpr bool kNeedsR = true;
  E3MD_HD void evaluate(double rsq, double r, double& fpair, double& energy) const {
    const double r2inv = 1.0 / rsq;
    const double r6inv = r2inv * r2inv * r2inv;
    const double rexp = ::exp(-r * rhoinv);
    const double forcebuck = buck1 * r * rexp - buck2 * r6inv;
    fpair += forcebuck * r2inv;
    energy += a * rexp - c * r6inv - offset;
  }
};

// Pedone (Pedone et al., J. Phys. Chem. B 110, 11780 (2006)):
//   E = D0 [(1 − e^{−a(r−r0)})² − 1] + C/r¹² − offset = D0 [e^{−2a(r−r0)} − 2 e^{−a(r−r0)}] + C/r¹² − offset,
// the Morse part written as LAMMPS morse writes it.
struct PedonePair {
  double cutsq = 0.0;
  double d0 = 0.0, alpha = 0.0, r0 = 0.0, c12 = 0.0;
  double morse1 = 0.0, offset = 0.0;

  static PedonePair make(double D0, double a, double r0_in, double C, double cutoff, bool shift) {
    PedonePair p;
    p.cutsq = cutoff * cutoff;
    p.d0 = D0;
    p.alpha = a;
    p.r0 = r0_in;
    p.c12 = C;
    p.morse1 = 2.0 * D0 * a;
    if (shift) {
      const double e = ::exp(-a * (cutoff - r0_in));
      p.offset = D0 * (e * e - 2.0 * e) + C / ::pow(cutoff, 12.0);
    }
    return p;
  }

  static constexpr bool kNeedsR = true;
  E3MD_HD void evaluate(double rsq, double r, double& fpair, double& energy) const {
    const double dexp = ::exp(-alpha * (r - r0));
    const double r2inv = 1.0 / rsq;
    const double r12inv = r2inv * r2inv * r2inv * r2inv * r2inv * r2inv;
    fpair += morse1 * (dexp * dexp - dexp) / r + 12.0 * c12 * r12inv * r2inv;
    energy += d0 * (dexp * dexp - 2.0 * dexp) + c12 * r12inv - offset;
  }
};

// Lennard-Jones, LAMMPS lj/cut: E = 4ε[(σ/r)¹² − (σ/r)⁶] − offset.
struct LjPair {
  double cutsq = 0.0;
  double lj1 = 0.0, lj2 = 0.0, lj3 = 0.0, lj4 = 0.0, offset = 0.0;

  static LjPair make(double epsilon, double sigma, double cutoff, bool shift) {
    LjPair p;
    p.cutsq = cutoff * cutoff;
    p.lj1 = 48.0 * epsilon * ::pow(sigma, 12.0);
    p.lj2 = 24.0 * epsilon * ::pow(sigma, 6.0);
    p.lj3 = 4.0 * epsilon * ::pow(sigma, 12.0);
    p.lj4 = 4.0 * epsilon * ::pow(sigma, 6.0);
    if (shift) {
      const double ratio = sigma / cutoff;
      p.offset = 4.0 * epsilon * (::pow(ratio, 12.0) - ::pow(ratio, 6.0));
    }
    return p;
  }

  static constexpr bool kNeedsR = false;
  E3MD_HD void evaluate(double rsq, double /*r*/, double& fpair, double& energy) const {
    const double r2inv = 1.0 / rsq;
    const double r6inv = r2inv * r2inv * r2inv;
    const double forcelj = r6inv * (lj1 * r6inv - lj2);
    fpair += forcelj * r2inv;
    energy += r6inv * (lj3 * r6inv - lj4) - offset;
  }
};

}  // namespace e3md
