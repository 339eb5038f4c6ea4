#include "driver/run_plan.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "driver/builder_deck.hpp"
#include "driver/deck_analysis.hpp"
#include "engine/integrator.hpp"
#include "engine/integrator_langevin.hpp"
#include "engine/integrator_nose_hoover.hpp"
#include "engine/minimizer_fire.hpp"
#include "engine/nequip_potential.hpp"
#include "engine/simulation.hpp"
#include "engine/thermo.hpp"
#include "engine/velocities.hpp"
#include "io/checkpoint.hpp"
#include "io/h5md_writer.hpp"
#include "io/model_file.hpp"
#include "io/potential_params.hpp"
#include "io/structure_io.hpp"

namespace e3md {
namespace {

namespace fs = std::filesystem;
using structure_io_detail::format_real;

NoseHooverParams::Coupling coupling_of(const std::string& c) {
  if (c == "aniso") return NoseHooverParams::Coupling::Aniso;
  if (c == "z") return NoseHooverParams::Coupling::Z;
  return NoseHooverParams::Coupling::Iso;
}

std::unique_ptr<Integrator> make_integrator(const DeckStage& s, long seed) {
  if (s.type == "nve") return std::make_unique<VelocityVerlet>(s.timestep);
  if (s.type == "nvt" && s.thermostat.kind == "langevin") {
    return std::make_unique<LangevinIntegrator>(s.timestep, s.t_start, s.t_end, s.thermostat.damping,
                                                static_cast<std::uint64_t>(seed));
  }
  NoseHooverParams p;
  p.t_start = s.t_start;
  p.t_stop = s.t_end;
  p.t_damp = s.thermostat.damping;
  p.tchain = s.thermostat.chain;
  if (s.type == "npt") {
    p.barostat = true;
    p.coupling = coupling_of(s.barostat.couple);
    p.p_start = p.p_stop = s.barostat.pressure;
    p.p_damp = s.barostat.damping;
  }
  return std::make_unique<NoseHooverIntegrator>(s.timestep, p);
}

// First global step of each stage (minimize stages take none).
std::vector<long> stage_starts(const Deck& deck) {
  std::vector<long> out;
  long n = 0;
  for (const auto& s : deck.stages) {
    out.push_back(n);
    n += s.steps;
  }
  return out;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// This rank's share of the state, as a checkpoint.
Checkpoint snapshot(const Simulation& sim, const Integrator* integ, int stage, long stage_step, long seed,
                    long frames, const std::string& deck_text) {
  Checkpoint c;
  c.step = sim.step();
  c.time = sim.time();
  c.stage = stage;
  c.stage_step = stage_step;
  c.seed = seed;
  c.box = sim.box();
  c.species = sim.species().names;
  c.masses = sim.species().masses;
  const Atoms& a = sim.atoms();
  const auto n = static_cast<std::size_t>(a.nlocal);
  c.id.assign(a.id.begin(), a.id.begin() + static_cast<long>(n));
  c.type.assign(a.type.begin(), a.type.begin() + static_cast<long>(n));
  c.x.assign(a.x.begin(), a.x.begin() + static_cast<long>(n));
  c.v.assign(a.v.begin(), a.v.begin() + static_cast<long>(n));
  c.image.assign(a.image.begin(), a.image.begin() + static_cast<long>(n));
  if (integ) {
    c.integrator = integ->name();
    c.integrator_state = integ->save_state();
  }
  c.trajectory_frames = frames;
  c.deck = deck_text;
  return c;
}

// The structure a (whole) checkpoint describes.
Structure structure_of(const Checkpoint& c) {
  Structure s;
  s.box = c.box;
  for (std::size_t i = 0; i < c.id.size(); ++i) {
    s.species.push_back(c.species[static_cast<std::size_t>(c.type[i])]);
    s.positions.push_back(c.x[i]);
    s.velocities.push_back(c.v[i]);
    s.images.push_back(c.image[i]);
  }
  return s;
}

// With species/masses from a checkpoint, the state is one the run's own dynamics reached: the
// minimum-distance check, a guard against malformed input structures, does not apply to it (the blow-up check
// guards the dynamics).
SimulationOptions sim_options(const Deck& deck, const Potential& pot,
                              const std::vector<std::string>& species = {},
                              const std::vector<double>& masses = {}) {
  SimulationOptions o;
  if (!species.empty()) o.min_distance = 0.0;
  o.skin = deck.skin >= 0 ? deck.skin : (pot.name() == "nequip" ? 0.5 : 1.0);
  o.grid = deck.grid;
  o.source = deck.system.structure.empty() ? deck.system.source : deck.resolve(deck.system.structure);
  for (std::size_t i = 0; i < species.size() && i < masses.size(); ++i) o.masses[species[i]] = masses[i];
  return o;
}

std::string checkpoint_name(const Deck& deck, long step) {
  fs::path stem = fs::path(deck.output.directory) / deck.output.checkpoint;
  const std::string ext = stem.extension().string();
  stem.replace_extension();
  char buf[32];
  std::snprintf(buf, sizeof(buf), ".%09ld", step);
  return stem.string() + buf + (ext.empty() ? ".h5" : ext);
}

class Runner {
 public:
  Runner(MPI_Comm comm, const Deck& deck, const RunOptions& opt) : comm_(comm), deck_(deck), opt_(opt) {
    deck_.output.directory = deck_.resolve(deck_.output.directory);  // outputs live relative to the deck
    MPI_Comm_rank(comm_, &rank_);
    deck_text_ = read_text(deck_.path);
    starts_ = stage_starts(deck_);
  }

  int run() {
    potential_ = make_deck_potential(deck_);
    if (const auto* nq = dynamic_cast<const NequipPotential*>(potential_.get()); nq && rank_ == 0)
      spdlog::info("potential: NequIP {} ({}), network on {}", deck_.potential.model,
                   to_string(nq->precision()), nq->backend());
    int stage0 = 0;
    long stage_step0 = 0;
    std::vector<double> integ_state;
    long frames0 = 0;
    if (opt_.restart.empty()) {
      Structure s = make_deck_structure(deck_);
      sim_ = std::make_unique<Simulation>(comm_, s, potential_, sim_options(deck_, *potential_));
      if (deck_.velocities.set) {
        create_velocities(*sim_, deck_.velocities.temperature,
                          static_cast<std::uint64_t>(deck_.velocities.seed));
      }
    } else {
      const Checkpoint c = read_checkpoint(opt_.restart);
      if (c.stage < 0 || static_cast<std::size_t>(c.stage) >= deck_.stages.size()) {
        throw std::runtime_error(opt_.restart + ": checkpoint is in stage " + std::to_string(c.stage) +
                                 " but the deck has " + std::to_string(deck_.stages.size()) +
                                 " stages; restart with the deck that wrote it");
      }
      sim_ = std::make_unique<Simulation>(comm_, structure_of(c), potential_,
                                          sim_options(deck_, *potential_, c.species, c.masses));
      sim_->set_clock(c.step, c.time);
      stage0 = c.stage;
      stage_step0 = c.stage_step;
      integ_state = c.integrator_state;
      frames0 = c.trajectory_frames;
      if (rank_ == 0)
        spdlog::info("restarting from {} at step {} (stage {}, step {} of it)", opt_.restart, c.step,
                     deck_.stages[static_cast<std::size_t>(c.stage)].name, c.stage_step);
    }
    clock_.first_step = sim_->step();
    open_outputs(frames0);
    if (opt_.restart.empty()) write_frame(true, true);
    for (std::size_t i = static_cast<std::size_t>(stage0); i < deck_.stages.size(); ++i) {
      const bool resumed = static_cast<int>(i) == stage0 && !opt_.restart.empty();
      run_stage(static_cast<int>(i), resumed ? stage_step0 : 0, resumed ? &integ_state : nullptr);
    }
    finish();
    return 0;
  }

 private:
  void open_outputs(long frames0) {
    if (rank_ == 0) fs::create_directories(deck_.output.directory);
    MPI_Barrier(comm_);
    const auto& o = deck_.output;
    if (!o.trajectory.empty()) {
      const std::string path = (fs::path(o.directory) / o.trajectory).string();
      if (opt_.restart.empty()) {
        H5mdWriterOptions wo;
        wo.velocities = o.trajectory_velocities;
        wo.forces = o.trajectory_forces;
        traj_ = std::make_unique<H5mdWriter>(
            H5mdWriter::create(comm_, path, sim_->natoms(), sim_->species().names, wo));
      } else {
        traj_ = std::make_unique<H5mdWriter>(H5mdWriter::append(comm_, path, sim_->step()));
        if (traj_->frames_written() != frames0 && rank_ == 0) {
          spdlog::warn("trajectory {} holds {} frames up to step {}; the checkpoint recorded {}", path,
                       traj_->frames_written(), sim_->step(), frames0);
        }
      }
    }
  }

  // Writes the current state to the outputs asked for (each output keeps its own interval).
  void write_frame(bool trajectory, bool xyz) {
    const double t0 = MPI_Wtime();
    const long step = sim_->step();
    const auto& o = deck_.output;
    if (trajectory && traj_) {
      const Atoms& a = sim_->atoms();
      H5mdLocalFrame f;
      f.step = step;
      f.time = sim_->time();
      f.box = sim_->box();
      f.nlocal = a.nlocal;
      f.ids = a.id.data();
      f.types = a.type.data();
      f.positions = a.x.data();
      f.velocities = a.v.data();
      f.forces = a.f.data();
      f.images = a.image.data();
      const double pe = sim_->potential_energy();
      const double ke = sim_->kinetic_energy();
      f.observables = {sim_->temperature(), pe, ke, pe + ke, sim_->pressure(), sim_->volume()};
      traj_->write_frame(f);
    }
    if (xyz && !o.xyz.empty()) {
      Structure s = sim_->gather();
      if (rank_ == 0) {
        s.info["step"] = std::to_string(step);
        s.info["time"] = format_real(sim_->time());
        StructureWriteOptions wo;
        wo.append = xyz_started_ || !opt_.restart.empty();
        write_structure((fs::path(o.directory) / o.xyz).string(), s, wo);
      }
      xyz_started_ = true;
    }
    clock_.output_s += MPI_Wtime() - t0;
    clock_.frames += 1;
  }

  // Writes a checkpoint, then continues from it exactly as a restart would (fresh decomposition, fresh
  // integrator with the saved state), so that a restarted run follows the uninterrupted one bit for bit.
  void checkpoint(int stage, long stage_step, std::unique_ptr<Integrator>& integ) {
    const double t0 = MPI_Wtime();
    const std::string path = checkpoint_name(deck_, sim_->step());
    const long frames = traj_ ? traj_->frames_written() : 0;
    write_checkpoint(comm_, path,
                     snapshot(*sim_, integ.get(), stage, stage_step, deck_.seed, frames, deck_text_),
                     sim_->natoms());
    written_.push_back(path);
    while (static_cast<int>(written_.size()) > deck_.output.checkpoint_keep) {
      if (rank_ == 0) fs::remove(written_.front());
      written_.erase(written_.begin());
    }
    const Checkpoint c = read_checkpoint(path);
    absorb_halo_counters();
    sim_ = std::make_unique<Simulation>(comm_, structure_of(c), potential_,
                                        sim_options(deck_, *potential_, c.species, c.masses));
    sim_->set_clock(c.step, c.time);
    const auto& s = deck_.stages[static_cast<std::size_t>(stage)];
    integ = make_integrator(s, deck_.seed);
    const long first = starts_[static_cast<std::size_t>(stage)];
    integ->setup(*sim_, first, first + s.steps);
    integ->load_state(c.integrator_state);
    last_ckpt_time_ = std::chrono::steady_clock::now();
    clock_.checkpoint_s += MPI_Wtime() - t0;
    clock_.checkpoints += 1;
  }

  bool checkpoint_due(long step) {
    const auto& every = deck_.output.checkpoint_every;
    if (deck_.output.checkpoint.empty()) return false;
    int due = every.every_steps > 0 && step % every.every_steps == 0;
    if (!due && every.every_minutes > 0) {
      const double min =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - last_ckpt_time_).count() / 60.0;
      due = min >= every.every_minutes;
      MPI_Bcast(&due, 1, MPI_INT, 0, comm_);  // rank 0's clock decides
    }
    return due != 0;
  }

  // Global id of the atom with the largest speed (collective).
  long fastest_atom() const {
    const Atoms& a = sim_->atoms();
    struct {
      double v2;
      int rank;
    } local{-1.0, rank_}, global{};
    long id = -1;
    for (int i = 0; i < a.nlocal; ++i) {
      const double v2 = a.v[static_cast<std::size_t>(i)].squaredNorm();
      if (v2 > local.v2) local.v2 = v2, id = a.id[static_cast<std::size_t>(i)];
    }
    MPI_Allreduce(&local, &global, 1, MPI_DOUBLE_INT, MPI_MAXLOC, comm_);
    MPI_Bcast(&id, 1, MPI_LONG, global.rank, comm_);
    return id;
  }

  // Stops a run whose forces or temperature went non-finite or far above the target, after saving the
  // last good state.
  void check_health(const DeckStage& s, int stage) {
    const double pe = sim_->potential_energy();
    const double t = sim_->temperature();
    const double target = s.type == "nve" ? stage_t0_ : std::max(s.t_start, s.t_end);
    const double limit = std::max(10.0 * target, target + 5000.0);
    const Atoms& a = sim_->atoms();
    long bad_id = -1;
    for (int i = 0; i < a.nlocal && bad_id < 0; ++i) {
      const auto& f = a.f[static_cast<std::size_t>(i)];
      const auto& x = a.x[static_cast<std::size_t>(i)];
      if (!f.allFinite() || !x.allFinite()) bad_id = a.id[static_cast<std::size_t>(i)];
    }
    long first_bad = bad_id < 0 ? std::numeric_limits<long>::max() : bad_id;
    MPI_Allreduce(MPI_IN_PLACE, &first_bad, 1, MPI_LONG, MPI_MIN, comm_);
    const bool nonfinite =
        first_bad != std::numeric_limits<long>::max() || !std::isfinite(pe) || !std::isfinite(t);
    if (!nonfinite && t <= limit) return;
    std::string why =
        nonfinite ? "non-finite forces or positions" : "temperature " + fmt::format("{:.0f}", t) + " K";
    if (first_bad != std::numeric_limits<long>::max()) {
      why += " (first affected atom id " + std::to_string(first_bad) + ")";
    } else if (!nonfinite) {
      why += " (fastest atom id " + std::to_string(fastest_atom()) + ")";
    }
    std::string saved = "no state saved";
    if (good_.step >= 0) {
      const fs::path dir = deck_.output.directory;
      const std::string path = (dir / "lastgood.h5").string();
      write_checkpoint(comm_, path, good_.ckpt, sim_->natoms());
      saved = "last good state (step " + std::to_string(good_.step) + ") saved to " + path;
    }
    throw std::runtime_error("run blew up at step " + std::to_string(sim_->step()) + " in stage `" + s.name +
                             "` (" + std::to_string(stage + 1) + "): " + why + "; " + saved +
                             "; lower the timestep or check the potential and the starting structure");
  }

  // Atoms, ghosts and neighbor-list entries per rank (max/mean): at each stage start, and after a
  // neighbor-list rebuild that moved either imbalance since the last report by more than 5 % or, on small
  // subdomains, by more than twice the counting noise 1/√(atoms per rank) (a liquid of 100 atoms per rank
  // fluctuates by ~10 % from one rebuild to the next, which is no news).
  void report_balance(bool always) {
    const LoadBalance& b = sim_->load_balance();
    if (b.rebuilds == reported_.rebuilds && !always) return;
    const double tol = std::max(0.05, 2.0 / std::sqrt(std::max(1.0, b.atoms_mean)));
    const bool moved = std::abs(b.atom_imbalance() - reported_.atom_imbalance()) > tol ||
                       std::abs(b.edge_imbalance() - reported_.edge_imbalance()) > tol;
    if (!always && !moved) return;
    reported_ = b;
    if (rank_ != 0) return;
    const auto& g = sim_->halo().grid();
    spdlog::info(
        "load balance on {} ranks, grid {}x{}x{} (step {}, neighbor build {}): atoms max/mean {:.3f} "
        "({} / {:.1f}), edges max/mean {:.3f} ({} / {:.1f}), ghosts max {} mean {:.1f}",
        b.ranks, g[0], g[1], g[2], sim_->step(), b.rebuilds, b.atom_imbalance(), b.atoms_max, b.atoms_mean,
        b.edge_imbalance(), b.edges_max, b.edges_mean, b.ghosts_max, b.ghosts_mean);
  }

  // The state a blown-up run saves: taken at each stage start and every thermo interval, after the health
  // check.
  void remember_good(int stage, long stage_step, const Integrator& integ) {
    good_.ckpt = snapshot(*sim_, &integ, stage, stage_step, deck_.seed, traj_ ? traj_->frames_written() : 0,
                          deck_text_);
    good_.step = sim_->step();
  }

  void run_stage(int stage, long done, const std::vector<double>* state) {
    const DeckStage& s = deck_.stages[static_cast<std::size_t>(stage)];
    if (s.type == "minimize") {
      if (rank_ == 0)
        spdlog::info("stage {} `{}`: FIRE minimisation (force tolerance {} eV/Å)", stage + 1, s.name,
                     s.force_tolerance);
      FireParams p;
      p.force_tolerance = s.force_tolerance;
      p.max_iterations = s.max_iterations;
      p.relax_cell = s.relax_cell;
      p.pressure = s.relax_cell ? s.barostat.pressure : 0.0;
      p.coupling = coupling_of(s.barostat.couple);
      const FireResult r = minimize_fire(*sim_, p);
      if (rank_ == 0) {
        spdlog::info("stage {} `{}`: {} after {} iterations, energy {:.6f} eV, max force {:.3e} eV/Å",
                     stage + 1, s.name, r.converged ? "converged" : "NOT converged", r.iterations, r.energy,
                     r.max_force);
      }
      write_frame(true, true);
      return;
    }
    if (done >= s.steps) return;
    const long first = starts_[static_cast<std::size_t>(stage)];
    auto integ = make_integrator(s, deck_.seed);
    integ->setup(*sim_, first, first + s.steps);
    if (state) integ->load_state(*state);
    stage_t0_ = std::max(sim_->temperature(), 1.0);
    if (rank_ == 0) {
      spdlog::info("stage {} `{}`: {} {} steps of {} ps{}", stage + 1, s.name, s.type, s.steps - done,
                   s.timestep,
                   s.type == "nve" ? std::string() : fmt::format(", T {} → {} K", s.t_start, s.t_end));
    }
    Thermo thermo(deck_.output.thermo_every, first + s.steps);
    thermo(*sim_, *integ);
    report_balance(true);
    remember_good(stage, done, *integ);
    for (long k = done; k < s.steps; ++k) {
      integ->step(*sim_);
      const long step = sim_->step();
      check_health(s, stage);
      thermo(*sim_, *integ);
      if (step % deck_.output.thermo_every == 0) remember_good(stage, k + 1, *integ);
      report_balance(false);
      const bool traj_due = traj_ && step % deck_.output.trajectory_every == 0;
      const bool xyz_due = !deck_.output.xyz.empty() && step % deck_.output.xyz_every == 0;
      if (traj_due || xyz_due) write_frame(traj_due, xyz_due);
      if (checkpoint_due(step)) checkpoint(stage, k + 1, integ);
    }
  }

  void finish() {
    if (traj_) traj_->close();
    const auto& o = deck_.output;
    if (!o.final_structure.empty()) {
      const Structure s = sim_->gather();
      if (rank_ == 0) write_structure((fs::path(o.directory) / o.final_structure).string(), s);
    }
    absorb_halo_counters();
    double halo_max = clock_.halo_s;
    double bytes = clock_.halo_bytes;
    MPI_Allreduce(MPI_IN_PLACE, &halo_max, 1, MPI_DOUBLE, MPI_MAX, comm_);
    MPI_Allreduce(MPI_IN_PLACE, &bytes, 1, MPI_DOUBLE, MPI_SUM, comm_);
    if (rank_ == 0) {
      const double wall = MPI_Wtime() - clock_.start;
      const auto share = [wall](double t) { return wall > 0.0 ? 100.0 * t / wall : 0.0; };
      spdlog::info("run finished at step {} ({:.6g} ps) in {:.2f} s wall", sim_->step(), sim_->time(), wall);
      spdlog::info(
          "output cost: {} frames {:.3f} s ({:.2f} % of the run), {} checkpoints {:.3f} s ({:.2f} %)",
          clock_.frames, clock_.output_s, share(clock_.output_s), clock_.checkpoints, clock_.checkpoint_s,
          share(clock_.checkpoint_s));
      const long steps = std::max(1L, sim_->step() - clock_.first_step);
      spdlog::info(
          "halo exchange: {:.3f} s on the slowest rank ({:.2f} % of the run), {:.3f} MB sent by all ranks, "
          "{:.1f} kB per MD step",
          halo_max, share(halo_max), bytes / 1e6, bytes / 1e3 / static_cast<double>(steps));
    }
  }

  // Adds the halo's time and traffic counters of the current Simulation to the run's totals, and resets them.
  void absorb_halo_counters() {
    clock_.halo_s += sim_->halo().halo_seconds();
    clock_.halo_bytes += static_cast<double>(sim_->halo().bytes_sent());
    sim_->halo().reset_halo_seconds();
    sim_->halo().reset_bytes_sent();
  }

  MPI_Comm comm_;
  Deck deck_;
  RunOptions opt_;
  int rank_ = 0;
  std::string deck_text_;
  std::vector<long> starts_;
  std::shared_ptr<Potential> potential_;
  std::unique_ptr<Simulation> sim_;
  std::unique_ptr<H5mdWriter> traj_;
  bool xyz_started_ = false;
  std::vector<std::string> written_;
  std::chrono::steady_clock::time_point last_ckpt_time_ = std::chrono::steady_clock::now();
  double stage_t0_ = 1.0;
  LoadBalance reported_;
  // Wall time (rank 0's clock, s) of the whole run and of what output costs in it.
  struct {
    double start = MPI_Wtime();
    double output_s = 0.0, checkpoint_s = 0.0;
    long frames = 0, checkpoints = 0;
    double halo_s = 0.0, halo_bytes = 0.0;  // this rank's halo time (s) and bytes sent
    long first_step = 0;                    // the step this invocation started from
  } clock_;
  struct {
    long step = -1;
    Checkpoint ckpt;
  } good_;
};

}  // namespace

std::shared_ptr<Potential> make_deck_potential(const Deck& deck) {
  const auto& p = deck.potential;
  if (!p.model.empty()) {
    // io/deck.cpp has already refused values other than float64 / float32.
    return std::make_shared<NequipPotential>(
        read_model_file(deck.resolve(p.model)), parse_nequip_precision(p.precision),
        parse_nequip_device(p.device), parse_gpu_aware_mpi(p.gpu_aware_mpi));
  }
  if (!p.classical.empty()) return load_classical_potential(deck.resolve(p.classical));
  return make_classical_potential(p.inline_params, p.source);
}

Structure make_deck_structure(const Deck& deck) {
  if (!deck.system.structure.empty()) {
    StructureReadOptions o;
    o.format = deck.system.format;
    return read_structure(deck.resolve(deck.system.structure), o);
  }
  return build_from_yaml(deck.system.build, deck.system.source, deck.directory);
}

std::string describe_plan(const Deck& deck, long natoms) {
  std::ostringstream os;
  os << "deck " << deck.path << ": " << natoms << " atoms, " << deck.stages.size() << " stages, "
     << deck.total_steps() << " MD steps\n";
  double t = 0.0;
  for (std::size_t i = 0; i < deck.stages.size(); ++i) {
    const auto& s = deck.stages[i];
    os << "  " << i + 1 << ". " << s.name << ": " << s.type;
    if (s.type == "minimize") {
      os << " (FIRE, force tolerance " << s.force_tolerance << " eV/Å, at most " << s.max_iterations
         << " iterations)";
    } else {
      os << ", " << s.steps << " steps × " << s.timestep << " ps = " << s.steps * s.timestep << " ps";
      if (s.type != "nve")
        os << ", T " << s.t_start << " → " << s.t_end << " K (" << s.thermostat.kind << ")";
      if (s.type == "npt") os << ", P " << s.barostat.pressure << " bar (" << s.barostat.couple << ")";
      t += s.steps * s.timestep;
    }
    os << "\n";
  }
  os << "  simulated time " << t << " ps\n";
  const auto& o = deck.output;
  if (!o.trajectory.empty()) {
    const long frames = deck.total_steps() / o.trajectory_every + 1 + static_cast<long>(deck.stages.size());
    const double per_atom =
        3 * 8 + 3 * 4 + (o.trajectory_velocities ? 24 : 0) + (o.trajectory_forces ? 24 : 0);
    os << "  trajectory " << o.trajectory << ": about " << frames << " frames, "
       << fmt::format("{:.1f}", frames * per_atom * static_cast<double>(natoms) / 1e6) << " MB\n";
  }
  if (!o.checkpoint.empty()) {
    os << "  checkpoints " << o.checkpoint << ": keep " << o.checkpoint_keep << ", "
       << fmt::format("{:.1f}", static_cast<double>(natoms) * 64 / 1e6) << " MB each\n";
  }
  return os.str();
}

int run_deck(MPI_Comm comm, const Deck& deck, const RunOptions& options) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  const long want = static_cast<long>(deck.grid[0]) * deck.grid[1] * deck.grid[2];
  if (want > 0 && want != size) {
    throw DeckError(deck.grid_source + ": `decomposition` [" + std::to_string(deck.grid[0]) + ", " +
                    std::to_string(deck.grid[1]) + ", " + std::to_string(deck.grid[2]) + "] needs " +
                    std::to_string(want) + " MPI ranks but the run has " + std::to_string(size) +
                    "; run with mpirun -np " + std::to_string(want) + " or use `decomposition: auto`");
  }
  check_deck_analyses(deck);  // a misspelt option fails now, not after the run
  if (options.dry_run) {
    const Structure s = make_deck_structure(deck);
    const auto pot = make_deck_potential(deck);
    Simulation sim(comm, s, pot, sim_options(deck, *pot));  // validates species, distances, cell
    if (rank == 0)
      std::printf("%s%s", describe_plan(deck, sim.natoms()).c_str(), describe_deck_analyses(deck).c_str());
    return 0;
  }
  int code = 0;
  {
    Runner r(comm, deck, options);
    code = r.run();
  }
  if (code != 0 || deck.analysis.empty()) return code;
  // The analyses are serial: rank 0 runs them, and a failure there is an error of every rank.
  std::string failure;
  if (rank == 0) {
    try {
      run_deck_analyses(deck);
    } catch (const std::exception& e) {
      failure = e.what();
      if (failure.empty()) failure = "analysis failed";
    }
  }
  int length = static_cast<int>(failure.size());
  MPI_Bcast(&length, 1, MPI_INT, 0, comm);
  failure.resize(static_cast<std::size_t>(length));
  MPI_Bcast(failure.data(), length, MPI_CHAR, 0, comm);
  if (length > 0) throw DeckError(failure);
  return 0;
}

}  // namespace e3md
