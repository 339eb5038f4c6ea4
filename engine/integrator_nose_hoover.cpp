#include "engine/integrator_nose_hoover.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "engine/simulation.hpp"
#include "engine/units.hpp"

namespace e3md {

using units::boltz;

NoseHooverIntegrator::NoseHooverIntegrator(double dt, const NoseHooverParams& params) : Integrator(dt), params_(params) {
  if (!(params.t_start > 0.0) || !(params.t_stop > 0.0)) {
    throw std::invalid_argument("nose-hoover: temperatures must be > 0 K");
  }
  if (!(params.t_damp > 0.0)) throw std::invalid_argument("nose-hoover: t_damp must be > 0 ps (100 dt is typical)");
  if (params.tchain < 1 || params.tloop < 1) throw std::invalid_argument("nose-hoover: tchain and tloop must be >= 1");
  const auto nt = static_cast<std::size_t>(params.tchain);
  eta_.assign(nt, 0.0);
  eta_dot_.assign(nt + 1, 0.0);
  eta_dotdot_.assign(nt, 0.0);
  eta_mass_.assign(nt, 0.0);
  if (params.barostat) {
    if (!(params.p_damp > 0.0)) throw std::invalid_argument("npt: p_damp must be > 0 ps (1000 dt is typical)");
    if (params.pchain < 1 || params.ploop < 1) throw std::invalid_argument("npt: pchain and ploop must be >= 1");
    switch (params.coupling) {
      case NoseHooverParams::Coupling::Iso:
      case NoseHooverParams::Coupling::Aniso: p_flag_ = {true, true, true}; break;
      case NoseHooverParams::Coupling::Z: p_flag_ = {false, false, true}; break;
    }
    pdim_ = static_cast<int>(std::count(p_flag_.begin(), p_flag_.end(), true));
    p_freq_max_ = 1.0 / params.p_damp;
  }
  const auto np = static_cast<std::size_t>(std::max(params.pchain, 1));
  etap_.assign(np, 0.0);
  etap_dot_.assign(np + 1, 0.0);
  etap_dotdot_.assign(np, 0.0);
  etap_mass_.assign(np, 0.0);
}

void NoseHooverIntegrator::compute_temp_target(long step) {
  double delta = static_cast<double>(step - first_step_);
  if (delta != 0.0) delta /= static_cast<double>(last_step_ - first_step_);
  t_target_ = params_.t_start + delta * (params_.t_stop - params_.t_start);
  ke_target_ = tdof_ * boltz * t_target_;
}

void NoseHooverIntegrator::compute_press_target(long step) {
  double delta = static_cast<double>(step - first_step_);
  if (delta != 0.0) delta /= static_cast<double>(last_step_ - first_step_);
  p_hydro_ = 0.0;
  for (int i = 0; i < 3; ++i) {
    if (!p_flag_[static_cast<std::size_t>(i)]) continue;
    p_target_[static_cast<std::size_t>(i)] = params_.p_start + delta * (params_.p_stop - params_.p_start);
    p_hydro_ += p_target_[static_cast<std::size_t>(i)];
  }
  if (pdim_ > 0) p_hydro_ /= pdim_;
}

void NoseHooverIntegrator::setup(Simulation& sim, long first_step, long last_step) {
  first_step_ = first_step;
  last_step_ = last_step;
  sim.compute_forces();
  natoms_ = static_cast<double>(sim.natoms());
  tdof_ = sim.dof();
  compute_temp_target(sim.step());
  t_current_ = sim.temperature();
  const double t_freq = 1.0 / params_.t_damp;
  const std::size_t nt = eta_.size();
  eta_mass_[0] = tdof_ * boltz * t_target_ / (t_freq * t_freq);
  for (std::size_t ich = 1; ich < nt; ++ich) eta_mass_[ich] = boltz * t_target_ / (t_freq * t_freq);
  for (std::size_t ich = 1; ich < nt; ++ich) {
    eta_dotdot_[ich] = (eta_mass_[ich - 1] * eta_dot_[ich - 1] * eta_dot_[ich - 1] - boltz * t_target_) / eta_mass_[ich];
  }
  if (params_.barostat) {
    compute_press_target(sim.step());
    couple(sim);
    if (vol0_ == 0.0) vol0_ = sim.volume();
    const double nkt = (natoms_ + 1.0) * boltz * t_target_;
    for (std::size_t i = 0; i < 3; ++i) {
      if (p_flag_[i]) omega_mass_[i] = nkt * params_.p_damp * params_.p_damp;
    }
    const std::size_t np = etap_.size();
    for (std::size_t ich = 0; ich < np; ++ich) etap_mass_[ich] = boltz * t_target_ / (p_freq_max_ * p_freq_max_);
    for (std::size_t ich = 1; ich < np; ++ich) {
      etap_dotdot_[ich] =
          (etap_mass_[ich - 1] * etap_dot_[ich - 1] * etap_dot_[ich - 1] - boltz * t_target_) / etap_mass_[ich];
    }
  }
}

void NoseHooverIntegrator::nhc_temp_integrate(Simulation& sim) {
  const double dthalf = 0.5 * dt_, dt4 = 0.25 * dt_, dt8 = 0.125 * dt_;
  const int mtchain = params_.tchain;
  const double t_freq = 1.0 / params_.t_damp;
  auto& ed = eta_dot_;
  auto& edd = eta_dotdot_;
  auto& em = eta_mass_;
  const auto u = [](int k) { return static_cast<std::size_t>(k); };

  // Masses follow the (ramped) target so the thermostat frequency stays 1/t_damp.
  em[0] = tdof_ * boltz * t_target_ / (t_freq * t_freq);
  for (int ich = 1; ich < mtchain; ++ich) em[u(ich)] = boltz * t_target_ / (t_freq * t_freq);

  double kecurrent = tdof_ * boltz * t_current_;
  edd[0] = em[0] > 0.0 ? (kecurrent - ke_target_) / em[0] : 0.0;
  const double ncfac = 1.0 / params_.tloop;
  for (int iloop = 0; iloop < params_.tloop; ++iloop) {
    for (int ich = mtchain - 1; ich > 0; --ich) {
      const double expfac = std::exp(-ncfac * dt8 * ed[u(ich + 1)]);
      ed[u(ich)] *= expfac;
      ed[u(ich)] += edd[u(ich)] * ncfac * dt4;
      ed[u(ich)] *= expfac;
    }
    double expfac = std::exp(-ncfac * dt8 * ed[1]);
    ed[0] *= expfac;
    ed[0] += edd[0] * ncfac * dt4;
    ed[0] *= expfac;

    const double factor_eta = std::exp(-ncfac * dthalf * ed[0]);
    Atoms& a = sim.atoms();
    for (int i = 0; i < a.nlocal; ++i) a.v[u(i)] *= factor_eta;
    // The temperature scales with the velocities; no need to recompute it.
    t_current_ *= factor_eta * factor_eta;
    kecurrent = tdof_ * boltz * t_current_;
    edd[0] = em[0] > 0.0 ? (kecurrent - ke_target_) / em[0] : 0.0;

    for (int ich = 0; ich < mtchain; ++ich) eta_[u(ich)] += ncfac * dthalf * ed[u(ich)];

    ed[0] *= expfac;
    ed[0] += edd[0] * ncfac * dt4;
    ed[0] *= expfac;
    for (int ich = 1; ich < mtchain; ++ich) {
      expfac = std::exp(-ncfac * dt8 * ed[u(ich + 1)]);
      ed[u(ich)] *= expfac;
      edd[u(ich)] = (em[u(ich - 1)] * ed[u(ich - 1)] * ed[u(ich - 1)] - boltz * t_target_) / em[u(ich)];
      ed[u(ich)] += edd[u(ich)] * ncfac * dt4;
      ed[u(ich)] *= expfac;
    }
  }
}

void NoseHooverIntegrator::nhc_press_integrate() {
  const double dthalf = 0.5 * dt_, dt4 = 0.25 * dt_, dt8 = 0.125 * dt_;
  const double kt = boltz * t_target_;
  const int mpchain = params_.pchain;
  const auto u = [](int k) { return static_cast<std::size_t>(k); };
  auto& ed = etap_dot_;
  auto& edd = etap_dotdot_;
  auto& em = etap_mass_;

  const double nkt = (natoms_ + 1.0) * kt;
  for (std::size_t i = 0; i < 3; ++i) {
    if (p_flag_[i]) omega_mass_[i] = nkt * params_.p_damp * params_.p_damp;
  }
  for (int ich = 0; ich < mpchain; ++ich) em[u(ich)] = kt / (p_freq_max_ * p_freq_max_);
  for (int ich = 1; ich < mpchain; ++ich) {
    edd[u(ich)] = (em[u(ich - 1)] * ed[u(ich - 1)] * ed[u(ich - 1)] - kt) / em[u(ich)];
  }
  const auto barostat_ke = [&]() {
    double ke = 0.0;
    for (std::size_t i = 0; i < 3; ++i) {
      if (p_flag_[i]) ke += omega_mass_[i] * omega_dot_[i] * omega_dot_[i];
    }
    return ke;
  };
  const double lkt_press = params_.coupling == NoseHooverParams::Coupling::Iso ? kt : pdim_ * kt;
  edd[0] = (barostat_ke() - lkt_press) / em[0];

  const double ncfac = 1.0 / params_.ploop;
  for (int iloop = 0; iloop < params_.ploop; ++iloop) {
    for (int ich = mpchain - 1; ich > 0; --ich) {
      const double expfac = std::exp(-ncfac * dt8 * ed[u(ich + 1)]);
      ed[u(ich)] *= expfac;
      ed[u(ich)] += edd[u(ich)] * ncfac * dt4;
      ed[u(ich)] *= expfac;
    }
    double expfac = std::exp(-ncfac * dt8 * ed[1]);
    ed[0] *= expfac;
    ed[0] += edd[0] * ncfac * dt4;
    ed[0] *= expfac;

    for (int ich = 0; ich < mpchain; ++ich) etap_[u(ich)] += ncfac * dthalf * ed[u(ich)];

    const double factor_etap = std::exp(-ncfac * dthalf * ed[0]);
    for (std::size_t i = 0; i < 3; ++i) {
      if (p_flag_[i]) omega_dot_[i] *= factor_etap;
    }
    edd[0] = (barostat_ke() - lkt_press) / em[0];

    ed[0] *= expfac;
    ed[0] += edd[0] * ncfac * dt4;
    ed[0] *= expfac;
    for (int ich = 1; ich < mpchain; ++ich) {
      expfac = std::exp(-ncfac * dt8 * ed[u(ich + 1)]);
      ed[u(ich)] *= expfac;
      edd[u(ich)] = (em[u(ich - 1)] * ed[u(ich - 1)] * ed[u(ich - 1)] - kt) / em[u(ich)];
      ed[u(ich)] += edd[u(ich)] * ncfac * dt4;
      ed[u(ich)] *= expfac;
    }
  }
}

void NoseHooverIntegrator::couple(Simulation& sim) {
  ke_tensor_ = sim.kinetic_tensor();
  if (params_.coupling == NoseHooverParams::Coupling::Iso) {
    const double p = (ke_tensor_.trace() + sim.virial().trace()) / (3.0 * sim.volume()) * units::nktv2p;
    p_current_ = {p, p, p};
  } else {
    const Mat3 pt = (ke_tensor_ + sim.virial()) / sim.volume() * units::nktv2p;
    p_current_ = {pt(0, 0), pt(1, 1), pt(2, 2)};
  }
}

void NoseHooverIntegrator::nh_omega_dot(Simulation& sim) {
  const double dthalf = 0.5 * dt_;
  const double volume = sim.volume();
  mtk_term1_ = 0.0;
  if (params_.coupling == NoseHooverParams::Coupling::Iso) {
    mtk_term1_ = ke_tensor_.trace() / (pdim_ * natoms_);
  } else {
    for (int i = 0; i < 3; ++i) {
      if (p_flag_[static_cast<std::size_t>(i)]) mtk_term1_ += ke_tensor_(i, i);
    }
    mtk_term1_ /= pdim_ * natoms_;
  }
  for (std::size_t i = 0; i < 3; ++i) {
    if (!p_flag_[i]) continue;
    const double f_omega = (p_current_[i] - p_hydro_) * volume / (omega_mass_[i] * units::nktv2p) + mtk_term1_ / omega_mass_[i];
    omega_dot_[i] += f_omega * dthalf;
  }
  mtk_term2_ = 0.0;
  for (std::size_t i = 0; i < 3; ++i) {
    if (p_flag_[i]) mtk_term2_ += omega_dot_[i];
  }
  mtk_term2_ /= pdim_ * natoms_;
}

void NoseHooverIntegrator::nh_v_press(Simulation& sim) {
  const double dt4 = 0.25 * dt_;
  Vec3 factor;
  for (int i = 0; i < 3; ++i) factor[i] = std::exp(-dt4 * (omega_dot_[static_cast<std::size_t>(i)] + mtk_term2_));
  Atoms& a = sim.atoms();
  for (int i = 0; i < a.nlocal; ++i) {
    Vec3& v = a.v[static_cast<std::size_t>(i)];
    v = v.cwiseProduct(factor).cwiseProduct(factor);
  }
}

void NoseHooverIntegrator::remap(Simulation& sim) {
  // Half-step dilation: lattice vector k (row k) scales by exp(dt/2 · ω̇_k); positions keep their
  // fractional coordinates.
  Mat3 cell = sim.box().cell();
  for (int k = 0; k < 3; ++k) {
    if (p_flag_[static_cast<std::size_t>(k)]) cell.row(k) *= std::exp(0.5 * dt_ * omega_dot_[static_cast<std::size_t>(k)]);
  }
  sim.set_cell(cell, /*remap=*/true, /*rebuild=*/false);
}

void NoseHooverIntegrator::step(Simulation& sim) {
  sim.advance_clock(dt_);
  const long now = sim.step();
  if (params_.barostat) nhc_press_integrate();
  compute_temp_target(now);
  nhc_temp_integrate(sim);
  if (params_.barostat) {
    couple(sim);  // kinetic energy changed in the thermostat half step
    compute_press_target(now);
    nh_omega_dot(sim);
    nh_v_press(sim);
  }
  kick(sim);
  if (params_.barostat) remap(sim);
  Atoms& a = sim.atoms();
  for (int i = 0; i < a.nlocal; ++i) a.x[static_cast<std::size_t>(i)] += dt_ * a.v[static_cast<std::size_t>(i)];
  if (params_.barostat) remap(sim);

  sim.compute_forces();

  kick(sim);
  if (params_.barostat) nh_v_press(sim);
  t_current_ = sim.temperature();
  if (params_.barostat) {
    couple(sim);
    nh_omega_dot(sim);
  }
  nhc_temp_integrate(sim);
  if (params_.barostat) nhc_press_integrate();
}

double NoseHooverIntegrator::conserved_contribution(const Simulation& sim) const {
  const double kt = boltz * t_target_;
  double energy = ke_target_ * eta_[0] + 0.5 * eta_mass_[0] * eta_dot_[0] * eta_dot_[0];
  for (std::size_t ich = 1; ich < eta_.size(); ++ich) {
    energy += kt * eta_[ich] + 0.5 * eta_mass_[ich] * eta_dot_[ich] * eta_dot_[ich];
  }
  if (params_.barostat) {
    double lkt_press = 0.0;
    for (std::size_t i = 0; i < 3; ++i) {
      if (!p_flag_[i]) continue;
      energy += 0.5 * omega_dot_[i] * omega_dot_[i] * omega_mass_[i] +
                p_hydro_ * (sim.volume() - vol0_) / (pdim_ * units::nktv2p);
      lkt_press += kt;
    }
    if (params_.coupling == NoseHooverParams::Coupling::Iso) lkt_press = kt;
    energy += lkt_press * etap_[0] + 0.5 * etap_mass_[0] * etap_dot_[0] * etap_dot_[0];
    for (std::size_t ich = 1; ich < etap_.size(); ++ich) {
      energy += kt * etap_[ich] + 0.5 * etap_mass_[ich] * etap_dot_[ich] * etap_dot_[ich];
    }
  }
  return energy;
}

std::vector<double> NoseHooverIntegrator::save_state() const {
  std::vector<double> s;
  s.push_back(static_cast<double>(eta_.size()));
  s.insert(s.end(), eta_.begin(), eta_.end());
  s.insert(s.end(), eta_dot_.begin(), eta_dot_.end());
  s.push_back(static_cast<double>(etap_.size()));
  s.insert(s.end(), etap_.begin(), etap_.end());
  s.insert(s.end(), etap_dot_.begin(), etap_dot_.end());
  s.insert(s.end(), omega_dot_.begin(), omega_dot_.end());
  s.push_back(vol0_);
  return s;
}

void NoseHooverIntegrator::load_state(const std::vector<double>& s) {
  const std::size_t nt = eta_.size(), np = etap_.size();
  const std::size_t expected = 1 + 2 * nt + 1 + 1 + 2 * np + 1 + 3 + 1;
  if (s.size() != expected || static_cast<std::size_t>(s[0]) != nt || static_cast<std::size_t>(s[2 * nt + 2]) != np) {
    throw std::runtime_error("nose-hoover: checkpoint state does not match tchain/pchain of this run (" +
                             std::to_string(s.size()) + " values, expected " + std::to_string(expected) +
                             "); restart with the same integrator settings");
  }
  std::size_t k = 1;
  for (auto& e : eta_) e = s[k++];
  for (auto& e : eta_dot_) e = s[k++];
  ++k;
  for (auto& e : etap_) e = s[k++];
  for (auto& e : etap_dot_) e = s[k++];
  for (auto& e : omega_dot_) e = s[k++];
  vol0_ = s[k];
}

}  // namespace e3md
