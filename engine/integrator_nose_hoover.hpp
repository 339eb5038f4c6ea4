// Nosé–Hoover chain NVT and MTK NPT, following LAMMPS fix nvt / fix npt (fix_nh.cpp): the Martyna–
// Tuckerman–Klein equations integrated with the Tuckerman et al. (2006) Trotter splitting, a thermostat
// chain of length tchain with tloop sub-steps, barostat masses (N+1)kT/ω_p², a chain of length pchain on
// the barostat, and the MTK correction terms. Target temperature and pressure ramp linearly over the run.
//
// Barostat couplings: Iso (one strain rate for the three axes, scalar pressure), Aniso (one per axis,
// P_xx/P_yy/P_zz), Z (c axis only, P_zz; for interfaces). A strain rate on axis k scales lattice vector k
// (row k of the cell) — for LAMMPS's restricted triclinic cells this is exactly LAMMPS's box scaling with
// tilt factors scaled along, so the cell shape (angles) of a triclinic cell is kept.
#pragma once

#include <array>
#include <vector>

#include "engine/integrator.hpp"
#include "engine/types.hpp"

namespace e3md {

struct NoseHooverParams {
  double t_start = 300.0, t_stop = 300.0;  // K
  double t_damp = 0.1;                     // ps (LAMMPS Tdamp)
  int tchain = 3, tloop = 1;
  bool barostat = false;
  enum class Coupling { Iso, Aniso, Z } coupling = Coupling::Iso;
  double p_start = 0.0, p_stop = 0.0;      // bar
  double p_damp = 1.0;                     // ps (LAMMPS Pdamp)
  int pchain = 3, ploop = 1;
};

class NoseHooverIntegrator final : public Integrator {
 public:
  NoseHooverIntegrator(double dt, const NoseHooverParams& params);
  std::string name() const override { return params_.barostat ? "npt" : "nvt"; }
  void setup(Simulation& sim, long first_step, long last_step) override;
  void step(Simulation& sim) override;
  double conserved_contribution(const Simulation& sim) const override;
  std::vector<double> save_state() const override;
  void load_state(const std::vector<double>& state) override;
  double target_temperature() const { return t_target_; }

 private:
  void compute_temp_target(long step);
  void compute_press_target(long step);
  void nhc_temp_integrate(Simulation& sim);
  void nhc_press_integrate();
  void couple(Simulation& sim);
  void nh_omega_dot(Simulation& sim);
  void nh_v_press(Simulation& sim);
  void remap(Simulation& sim);

  NoseHooverParams params_;
  std::array<bool, 3> p_flag_{{false, false, false}};
  int pdim_ = 0;
  long first_step_ = 0, last_step_ = 0;
  double t_target_ = 0.0, ke_target_ = 0.0, t_current_ = 0.0, tdof_ = 0.0, natoms_ = 0.0;
  // thermostat chain (size tchain + 1: the last element is a zero that closes the chain)
  std::vector<double> eta_, eta_dot_, eta_dotdot_, eta_mass_;
  // barostat
  std::array<double, 3> omega_dot_{{0, 0, 0}}, omega_mass_{{0, 0, 0}}, p_target_{{0, 0, 0}}, p_current_{{0, 0, 0}};
  double p_hydro_ = 0.0, p_freq_max_ = 0.0, vol0_ = 0.0, mtk_term1_ = 0.0, mtk_term2_ = 0.0;
  std::vector<double> etap_, etap_dot_, etap_dotdot_, etap_mass_;
  Mat3 ke_tensor_ = Mat3::Zero();
};

}  // namespace e3md
