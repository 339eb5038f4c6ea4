// `e3md eval (--model M.h5 | --potential P.yaml) --structure S`: one force call on one structure, the way a
// calculator does it — total energy (eV), forces (eV/Å, in the input order), virial (Σ r⊗F, eV, the sign
// nequip's `virial` output and LAMMPS use) and stress (eV/Å³, ASE sign: −virial/V; null unless all three
// directions are periodic, since a volume is only physical then). Output is JSON (17 significant digits, so
// that a reader gets the same doubles) or extended XYZ with energy/forces/stress labels. Every rank computes
// its share through the usual Simulation; rank 0 gathers by atom id and writes, so the output does not depend
// on the rank count beyond summation order.
#include <mpi.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "driver/commands.hpp"
#include "engine/nequip_potential.hpp"
#include "engine/simulation.hpp"
#include "io/extxyz.hpp"
#include "io/model_file.hpp"
#include "io/potential_params.hpp"
#include "io/structure_io.hpp"

namespace e3md {
namespace {

struct EvalOptions {
  std::string model;             // e3md model file (.h5)
  std::string potential;         // classical potential YAML
  std::string structure;         // any format io/structure_io reads
  std::string structure_format;  // empty = from the file name
  std::string format = "json";   // json | extxyz
  std::string output;            // empty = stdout
  std::string precision = "float64";
  std::string device = "cpu";          // NequIP: cpu | cuda
  std::string gpu_aware_mpi = "auto";  // device cuda: auto | true | false
  int repeat = 1;  // force calls; each one's CPU and wall time go to standard error when > 1
};

// Seconds of CPU used by this process (all threads) and of wall time.
double process_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

struct EvalResult {
  double energy = 0.0;       // eV
  std::vector<Vec3> forces;  // eV/Å, input order (rank 0 only)
  Mat3 virial = Mat3::Zero();
  bool has_stress = false;
  Mat3 stress = Mat3::Zero();
};

std::string num(double v) {
  if (!std::isfinite(v)) return "null";  // JSON has no inf/nan; a non-finite value must not look valid
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
      out += buf;
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string json_mat3(const Mat3& m) {
  std::string out = "[";
  for (int r = 0; r < 3; ++r) {
    out += r ? ", [" : "[";
    for (int c = 0; c < 3; ++c) out += (c ? ", " : "") + num(m(r, c));
    out += "]";
  }
  return out + "]";
}

std::string to_json(const Structure& s, const EvalResult& res, const std::string& potential_source,
                    const std::string& structure_path, const std::string& precision) {
  std::ostringstream o;
  o << "{\n  \"natoms\": " << s.size() << ",\n  \"potential\": " << json_string(potential_source)
    << ",\n  \"precision\": " << json_string(precision)
    << ",\n  \"structure\": " << json_string(structure_path) << ",\n  \"species\": [";
  for (std::size_t i = 0; i < s.size(); ++i) o << (i ? ", " : "") << json_string(s.species[i]);
  o << "],\n  \"energy\": " << num(res.energy) << ",\n  \"forces\": [";
  for (std::size_t i = 0; i < res.forces.size(); ++i) {
    const Vec3& f = res.forces[i];
    o << (i ? ",\n    [" : "\n    [") << num(f[0]) << ", " << num(f[1]) << ", " << num(f[2]) << "]";
  }
  o << "\n  ],\n  \"virial\": " << json_mat3(res.virial)
    << ",\n  \"stress\": " << (res.has_stress ? json_mat3(res.stress) : "null") << "\n}\n";
  return o.str();
}

// Writes to a temporary name and renames, so that a failed run never leaves a complete-looking file.
void write_text_file(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    if (!out)
      throw std::runtime_error(path + ": cannot open for writing; check the folder exists and is writable");
    out << text;
    out.flush();
    if (!out) throw std::runtime_error(path + ": write failed (disk full?); free space and rerun");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw std::runtime_error(path + ": cannot rename " + tmp + " onto it; check permissions");
  }
}

std::shared_ptr<Potential> load_potential(const EvalOptions& o) {
  if (!o.model.empty()) {
    if (o.precision != "float64" && o.precision != "float32") {
      throw std::runtime_error("--precision " + o.precision + ": unknown precision for " + o.model +
                               "; use float64 (the reference path) or float32");
    }
    const auto arg = [](const char* flag, const std::string& value, auto parse) {
      try {
        return parse(value);
      } catch (const std::invalid_argument& e) {
        throw std::runtime_error(std::string(flag) + ": " + e.what());
      }
    };
    return std::make_shared<NequipPotential>(read_model_file(o.model), parse_nequip_precision(o.precision),
                                             arg("--device", o.device, parse_nequip_device),
                                             arg("--gpu-aware-mpi", o.gpu_aware_mpi, parse_gpu_aware_mpi));
  }
  if (o.device != "cpu") {
    throw std::runtime_error("--device " + o.device + ": classical potentials (" + o.potential +
                             ") run on the CPU only; pass --device cpu");
  }
  if (o.precision != "float64") {
    throw std::runtime_error("--precision " + o.precision + ": classical potentials (" + o.potential +
                             ") run in float64 only; pass --precision float64");
  }
  return load_classical_potential(o.potential);
}

// Names both files, which the engine's own check cannot (it knows neither).
void check_species(const Structure& s, const Potential& pot, const EvalOptions& o) {
  const std::vector<std::string> known = pot.species();
  const std::set<std::string> known_set(known.begin(), known.end());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (known_set.count(s.species[i])) continue;
    std::string list;
    for (const auto& n : known) list += (list.empty() ? "" : ", ") + n;
    const std::string& source = o.model.empty() ? o.potential : o.model;
    throw std::runtime_error(o.structure + ": atom " + std::to_string(i) + " has species '" + s.species[i] +
                             "', which " + source + " does not know (it knows " + list +
                             "); use a model trained on it or remove those atoms");
  }
}

// Forces of owned atoms, gathered onto rank 0 and placed by atom id (= index in the input structure).
std::vector<Vec3> gather_forces(Simulation& sim) {
  const Atoms& a = sim.atoms();
  std::vector<double> mine(static_cast<std::size_t>(a.nlocal) * 4);
  for (int i = 0; i < a.nlocal; ++i) {
    const auto u = static_cast<std::size_t>(i);
    mine[4 * u] = static_cast<double>(a.id[u]);  // ids are exact in a double
    for (int k = 0; k < 3; ++k) mine[4 * u + 1 + static_cast<std::size_t>(k)] = a.f[u][k];
  }
  int size = 1;
  MPI_Comm_size(sim.comm(), &size);
  const int count = a.nlocal * 4;
  std::vector<int> counts(static_cast<std::size_t>(size)), displs(static_cast<std::size_t>(size));
  MPI_Gather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, sim.comm());
  std::vector<double> all;
  if (sim.rank() == 0) {
    int total = 0;
    for (int r = 0; r < size; ++r) {
      displs[static_cast<std::size_t>(r)] = total;
      total += counts[static_cast<std::size_t>(r)];
    }
    all.resize(static_cast<std::size_t>(total));
  }
  MPI_Gatherv(mine.data(), count, MPI_DOUBLE, all.data(), counts.data(), displs.data(), MPI_DOUBLE, 0,
              sim.comm());
  std::vector<Vec3> forces;
  if (sim.rank() != 0) return forces;
  const auto n = static_cast<std::size_t>(sim.natoms());
  if (all.size() != 4 * n) throw std::logic_error("e3md eval: gathered force count differs from natoms");
  forces.assign(n, Vec3::Zero());
  for (std::size_t k = 0; k < n; ++k) {
    const double* p = &all[4 * k];
    forces[static_cast<std::size_t>(p[0])] = Vec3(p[1], p[2], p[3]);
  }
  return forces;
}

void run_eval(const EvalOptions& o) {
  if (o.repeat < 1) throw std::runtime_error("--repeat " + std::to_string(o.repeat) + ": give at least 1");
  if (o.format != "json" && o.format != "extxyz") {
    throw std::runtime_error("--format " + o.format + ": unknown output format; use json or extxyz");
  }
  StructureReadOptions ropt;
  ropt.format = o.structure_format;
  Structure s = read_structure(o.structure, ropt);
  if (s.size() == 0)
    throw std::runtime_error(o.structure + ": the structure has no atoms; give at least one atom");
  std::shared_ptr<Potential> pot = load_potential(o);
  check_species(s, *pot, o);

  SimulationOptions sopt;
  sopt.skin = 0.0;  // one force call: the neighbor list is never reused
  sopt.source = o.structure;
  // Masses do not enter a force call; give type names that are not elements a placeholder so that the
  // engine's mass check does not reject them.
  for (const auto& name : pot->species()) {
    if (!(element_mass(name) > 0.0)) sopt.masses[name] = 1.0;
  }
  Simulation sim(MPI_COMM_WORLD, s, pot, sopt);
  for (int call = 0; call < o.repeat; ++call) {
    const double cpu0 = process_cpu_seconds(), wall0 = MPI_Wtime();
    sim.compute_forces();
    const double cpu = process_cpu_seconds() - cpu0, wall = MPI_Wtime() - wall0;
    if (o.repeat > 1 && sim.rank() == 0)
      std::fprintf(stderr, "e3md eval: force call %d of %d: %.6f s CPU (rank 0), %.6f s wall\n", call + 1,
                   o.repeat, cpu, wall);
  }

  EvalResult res;
  res.energy = sim.potential_energy();
  res.virial = sim.virial();
  res.forces = gather_forces(sim);
  const auto& pbc = sim.box().periodic();
  res.has_stress = pbc[0] && pbc[1] && pbc[2];
  if (res.has_stress) res.stress = -res.virial / sim.volume();
  if (sim.rank() != 0) return;

  const std::string source = o.model.empty() ? o.potential : o.model;
  std::string text;
  if (o.format == "json") {
    text = to_json(s, res, source, o.structure, o.precision);
  } else {
    // The structure as read (unwrapped positions, input order) with the computed labels.
    s.has_energy = true;
    s.energy = res.energy;
    s.forces = res.forces;
    s.has_stress = res.has_stress;
    s.stress = res.stress;
    std::string v;
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c) v += (v.empty() ? "" : " ") + num(res.virial(r, c));
    s.info["virial"] = v;
    std::ostringstream buf;
    write_extxyz_frame(buf, s);
    text = buf.str();
  }
  if (o.output.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
  } else {
    write_text_file(o.output, text);
  }
}

void add_eval_command(CLI::App& app) {
  auto* c = app.add_subcommand("eval", "Energy, forces, virial and stress of one structure");
  auto o = std::make_shared<EvalOptions>();
  auto* model = c->add_option("--model", o->model, "e3md model file (.h5, from tools/export_nequip.py)");
  auto* pot =
      c->add_option("--potential", o->potential, "classical potential YAML (e.g. inputs/potentials/*.yaml)");
  model->excludes(pot);
  pot->excludes(model);
  c->add_option("--structure", o->structure, "structure file (extxyz, POSCAR, LAMMPS data)")->required();
  c->add_option("--structure-format", o->structure_format,
                "structure format when the file name does not tell");
  c->add_option("--format", o->format, "output format: json (default) or extxyz");
  c->add_option("--output,-o", o->output, "output file (default: standard output)");
  c->add_option(
      "--precision", o->precision,
      "NequIP arithmetic: float64 (default, the reference path) or float32 (classical: float64 only)");
  c->add_option("--device", o->device,
                "NequIP network on cpu (default) or cuda (the GPU of this rank's node-local rank)");
  c->add_option("--gpu-aware-mpi", o->gpu_aware_mpi,
                "device cuda: hand MPI device buffers (true), stage them through host memory (false) or ask "
                "the MPI library (auto, default)");
  c->add_option("--repeat", o->repeat,
                "force calls on the same structure (default 1); with more than one, each call's CPU and wall "
                "time is printed on standard error (benchmarking)");
  c->callback([o] {
    if (o->model.empty() && o->potential.empty()) {
      throw std::runtime_error("e3md eval: no potential given; pass --model M.h5 or --potential P.yaml");
    }
    run_eval(*o);
  });
}

const CommandRegistrar registrar("eval", 20, add_eval_command);

}  // namespace
}  // namespace e3md
