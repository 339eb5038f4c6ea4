// `e3md analyze rdf|msd|diffusion|arrhenius|profile`: trajectory analyses writing CSV (units in the header)
// and, with --plot, PNG + SVG figures through tools/plot_e3md.py. docs/analysis.md describes each.
#include <mpi.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "analysis/csv.hpp"
#include "analysis/diffusion.hpp"
#include "analysis/msd.hpp"
#include "analysis/plot.hpp"
#include "analysis/profile.hpp"
#include "analysis/ranks.hpp"
#include "analysis/rdf.hpp"
#include "analysis/trajectory.hpp"
#include "driver/commands.hpp"
#include "engine/units.hpp"
#include "io/h5md_reader.hpp"

namespace e3md {
namespace {

using namespace analysis;

struct Common {
  std::string traj, format, out;
  double dt = 1.0;
  FrameRange range;
  bool plot = false;
};

void add_common(CLI::App* c, Common& o, const std::string& default_out) {
  o.out = default_out;
  c->add_option("trajectory", o.traj, "trajectory (.h5md, or .xyz/.extxyz)")->required();
  c->add_option("--format", o.format, "h5md or extxyz (default: from the extension)");
  c->add_option("--dt", o.dt, "time between extended XYZ frames without a time key (ps)");
  c->add_option("--start", o.range.start, "first frame (negative: from the end)");
  c->add_option("--stop", o.range.stop, "frame after the last (-1: the end)");
  c->add_option("--stride", o.range.stride, "use every n-th frame");
  c->add_option("-o,--output", o.out, "CSV file to write");
  c->add_flag("--plot", o.plot, "also write <output>.png and .svg (tools/plot_e3md.py)");
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, sep)) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

std::string stem(const std::string& path) {
  const auto dot = path.rfind('.');
  const auto slash = path.rfind('/');
  return (dot == std::string::npos || (slash != std::string::npos && dot < slash)) ? path
                                                                                   : path.substr(0, dot);
}

std::string describe(const std::string& sub, const Common& o) {
  return "e3md analyze " + sub + " " + o.traj + " start=" + std::to_string(o.range.start) +
         " stop=" + std::to_string(o.range.stop) + " stride=" + std::to_string(o.range.stride);
}

// " in 1.234 s": the wall time since `start` (opening the file, reading it and the analysis; no plotting).
std::string took(std::chrono::steady_clock::time_point start) {
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  char buf[32];
  std::snprintf(buf, sizeof buf, " in %.3f s", s);
  return buf;
}

bool is_root(MPI_Comm comm) { return comm_rank(comm) == 0; }

void print(const std::string& line) {
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

// Mean of the H5MD temperature observable over the frame range; 0 when unavailable.
double trajectory_temperature(const Common& o) {
  try {
    H5mdReader r(o.traj);
    const auto names = r.observable_names();
    if (std::find(names.begin(), names.end(), "temperature") == names.end()) return 0.0;
    const auto t = r.observable("temperature");
    const auto idx = o.range.resolve(r.frames(), o.traj);
    double s = 0.0;
    for (auto i : idx) s += t[static_cast<std::size_t>(i)];
    return s / static_cast<double>(idx.size());
  } catch (const std::exception&) {
    return 0.0;  // not an H5MD file: the caller asks for --temperature
  }
}

void add_rdf(CLI::App* analyze, MPI_Comm comm) {
  auto o = std::make_shared<Common>();
  auto pairs = std::make_shared<std::string>();
  auto ropt = std::make_shared<RdfOptions>();
  auto* c =
      analyze->add_subcommand("rdf", "radial distribution functions g(r) and coordination numbers n(r)");
  add_common(c, *o, "rdf.csv");
  c->add_option("--pairs", *pairs, "species pairs, e.g. Li-O,Li-Li (default: total g(r) of all atoms)");
  c->add_option("--rmin", ropt->r_min, "lower edge of the first bin (Å)");
  c->add_option("--rmax", ropt->r_max, "upper edge of the last bin (Å); may exceed half the cell");
  c->add_option("--bins", ropt->bins, "number of bins");
  c->callback([o, pairs, ropt, comm] {
    const auto start = std::chrono::steady_clock::now();
    RdfOptions opt = *ropt;
    opt.range = o->range;
    for (const auto& p : split(*pairs, ',')) {
      const auto dash = p.find('-');
      if (dash == std::string::npos || dash == 0 || dash + 1 == p.size()) {
        throw AnalysisError("--pairs: '" + p + "' is not of the form A-B (e.g. Li-O)");
      }
      opt.pairs.push_back({p.substr(0, dash), p.substr(dash + 1)});
    }
    auto traj = open_trajectory(o->traj, o->format, o->dt);
    const RdfResult res = compute_rdf(*traj, opt, comm);
    if (!is_root(comm)) return;
    write_rdf_csv(res, o->out, describe("rdf", *o));
    print("rdf: " + std::to_string(res.frames) + " frames, " + std::to_string(res.labels.size()) +
          " pair(s) -> " + o->out + took(start));
    if (o->plot) run_plot("rdf", {o->out}, stem(o->out));
  });
}

struct MsdCli {
  std::string species, unwrap = "auto";
  bool drift = false, equal = false;
  int blocks = 5;
  double max_memory_mb = 1024.0;
};

MsdOptions msd_options(const MsdCli& m, const Common& o) {
  MsdOptions opt;
  opt.species = split(m.species, ',');
  opt.range = o.range;
  opt.remove_drift = m.drift;
  opt.drift_equal_weights = m.equal;
  opt.blocks = m.blocks;
  if (!(m.max_memory_mb > 0.0)) throw AnalysisError("--max-memory must be positive (MiB)");
  opt.memory_limit = static_cast<std::size_t>(m.max_memory_mb * 1024.0 * 1024.0);
  if (m.unwrap == "auto")
    opt.unwrap = Unwrap::Auto;
  else if (m.unwrap == "images")
    opt.unwrap = Unwrap::Images;
  else if (m.unwrap == "displacement")
    opt.unwrap = Unwrap::Displacement;
  else if (m.unwrap == "none")
    opt.unwrap = Unwrap::None;
  else
    throw AnalysisError("--unwrap must be auto, images, displacement or none (got '" + m.unwrap + "')");
  return opt;
}

void add_msd_options(CLI::App* c, MsdCli& m) {
  c->add_option("--species", m.species, "comma-separated species (default: every species)");
  c->add_option("--unwrap", m.unwrap,
                "auto (image counters if present), images, displacement, none (positions already unwrapped)");
  c->add_flag("--remove-drift", m.drift, "subtract the centre-of-mass displacement of all atoms");
  c->add_flag("--drift-equal-weights", m.equal, "drift removal with equal weights instead of element masses");
  c->add_option("--blocks", m.blocks, "time blocks for the D uncertainty (0: none)");
  c->add_option("--max-memory", m.max_memory_mb,
                "MiB of unwrapped coordinates held per rank; more atoms take several reading passes");
}

std::vector<std::string> fit_comments(const std::vector<DiffusionResult>& d) {
  std::vector<std::string> out;
  for (const auto& r : d) {
    char buf[256];
    std::snprintf(
        buf, sizeof(buf),
        "fit %s t_begin_ps=%.17g t_end_ps=%.17g D_A2ps=%.17g D_err_A2ps=%.17g slope=%.17g intercept=%.17g",
        r.species.c_str(), r.t_begin, r.t_end, r.total().D, r.total().D_err, r.total().fit.slope,
        r.total().fit.intercept);
    out.push_back(buf);
  }
  return out;
}

void add_msd(CLI::App* analyze, MPI_Comm comm) {
  auto o = std::make_shared<Common>();
  auto m = std::make_shared<MsdCli>();
  auto* c = analyze->add_subcommand("msd", "mean-squared displacement per species (FFT, all time origins)");
  add_common(c, *o, "msd.csv");
  add_msd_options(c, *m);
  c->callback([o, m, comm] {
    const auto start = std::chrono::steady_clock::now();
    auto traj = open_trajectory(o->traj, o->format, o->dt);
    const MsdResult res = compute_msd(*traj, msd_options(*m, *o), comm);
    if (!is_root(comm)) return;
    std::vector<DiffusionResult> fits;
    for (std::size_t s = 0; s < res.species.size(); ++s) fits.push_back(fit_diffusion(res, s));
    write_msd_csv(res, o->out, describe("msd", *o), fit_comments(fits));
    print("msd: " + std::to_string(res.frames) + " frames, unwrap=" + res.unwrap_used + ", " +
          std::to_string(res.stored_bytes / 1024) + " KiB of coordinates in " + std::to_string(res.passes) +
          " reading pass(es) -> " + o->out + took(start));
    if (o->plot) run_plot("msd", {o->out}, stem(o->out));
  });
}

void add_diffusion(CLI::App* analyze, MPI_Comm comm) {
  auto o = std::make_shared<Common>();
  auto m = std::make_shared<MsdCli>();
  auto fit = std::make_shared<std::array<double, 2>>(std::array<double, 2>{-1.0, -1.0});
  auto ne = std::make_shared<std::array<double, 2>>(std::array<double, 2>{0.0, 1.0});
  auto msd_out = std::make_shared<std::string>();
  auto* c = analyze->add_subcommand("diffusion",
                                    "diffusion coefficients (MSD slope) and Nernst–Einstein conductivity");
  add_common(c, *o, "diffusion.csv");
  add_msd_options(c, *m);
  c->add_option("--fit-begin", (*fit)[0], "fit window start (ps; default from the log-log slope)");
  c->add_option("--fit-end", (*fit)[1], "fit window end (ps)");
  c->add_option("--temperature", (*ne)[0], "K, for Nernst–Einstein (default: H5MD temperature observable)");
  c->add_option("--charge", (*ne)[1], "carrier charge z for Nernst–Einstein");
  c->add_option("--msd-output", *msd_out, "also write the MSD CSV here");
  c->callback([o, m, fit, ne, msd_out, comm] {
    auto traj = open_trajectory(o->traj, o->format, o->dt);
    const MsdResult res = compute_msd(*traj, msd_options(*m, *o), comm);
    if (!is_root(comm)) return;
    double T = (*ne)[0] > 0.0 ? (*ne)[0] : trajectory_temperature(*o);
    std::vector<DiffusionResult> out;
    for (std::size_t s = 0; s < res.species.size(); ++s) {
      FitWindow w;
      if ((*fit)[0] >= 0.0 || (*fit)[1] >= 0.0) {
        w = window_from_times(res.lag_time, std::max((*fit)[0], 0.0),
                              (*fit)[1] >= 0.0 ? (*fit)[1] : res.lag_time.back());
      }
      DiffusionResult d = fit_diffusion(res, s, w);
      if (T > 0.0) add_nernst_einstein(d, static_cast<double>(d.atoms) / res.mean_volume, (*ne)[1], T);
      char buf[256];
      std::snprintf(buf, sizeof(buf), "diffusion %s: D = %.4g ± %.2g cm²/s (fit %.4g–%.4g ps%s)%s",
                    d.species.c_str(), d.total().D * kA2psToCm2s, d.total().D_err * kA2psToCm2s, d.t_begin,
                    d.t_end, d.window.from_slope ? ", log-log slope window" : ", fallback window", "");
      print(buf);
      if (T > 0.0) {
        std::snprintf(buf, sizeof(buf), "  Nernst–Einstein at %.1f K: sigma = %.4g ± %.2g S/cm", T, d.sigma,
                      d.sigma_err);
        print(buf);
      }
      out.push_back(std::move(d));
    }
    write_diffusion_csv(out, o->out, describe("diffusion", *o));
    if (!msd_out->empty() || o->plot) {
      const std::string mpath = msd_out->empty() ? stem(o->out) + "_msd.csv" : *msd_out;
      write_msd_csv(res, mpath, describe("msd", *o), fit_comments(out));
      if (o->plot) run_plot("msd", {mpath}, stem(mpath));
    }
  });
}

void add_arrhenius(CLI::App* analyze, MPI_Comm comm) {
  auto points = std::make_shared<std::vector<std::string>>();
  auto runs = std::make_shared<std::vector<std::string>>();
  auto out = std::make_shared<std::string>("arrhenius.csv");
  auto ne = std::make_shared<std::array<double, 2>>(std::array<double, 2>{0.0, 1.0});
  auto plot = std::make_shared<bool>(false);
  auto* c =
      analyze->add_subcommand("arrhenius", "Arrhenius fit of D(T): activation energy, prefactor, σ(300 K)");
  c->add_option("--point", *points, "T:D:D_err with T in K and D in cm²/s (repeat)");
  c->add_option("--diffusion", *runs,
                "T=diffusion.csv: the total D of the first species in that file (repeat)");
  c->add_option("--density", (*ne)[0],
                "carrier number density (Å⁻³) for σ(300 K); default: from the diffusion CSVs");
  c->add_option("--charge", (*ne)[1], "carrier charge z");
  c->add_option("-o,--output", *out, "CSV file to write");
  c->add_flag("--plot", *plot, "also write <output>.png and .svg");
  c->callback([points, runs, out, ne, plot, comm] {
    std::vector<ArrheniusPoint> pts;
    double density_sum = 0.0;
    int density_n = 0;
    for (const auto& p : *points) {
      const auto f = split(p, ':');
      if (f.size() < 2 || f.size() > 3) throw AnalysisError("--point '" + p + "': expected T:D or T:D:D_err");
      pts.push_back({std::stod(f[0]), std::stod(f[1]), f.size() == 3 ? std::stod(f[2]) : 0.0});
    }
    for (const auto& r : *runs) {
      const auto eq = r.find('=');
      if (eq == std::string::npos)
        throw AnalysisError("--diffusion '" + r + "': expected T=path/to/diffusion.csv");
      const std::string path = r.substr(eq + 1);
      const CsvTable t = read_csv(path);
      const auto& comp = csv_column(t, "component[index]", path);
      const auto& sp = csv_column(t, "species[index]", path);
      bool found = false;
      for (std::size_t i = 0; i < comp.size(); ++i) {
        if (comp[i] != 3.0 || sp[i] != 0.0) continue;
        pts.push_back({std::stod(r.substr(0, eq)), csv_column(t, "D[cm^2/s]", path)[i],
                       csv_column(t, "D_err[cm^2/s]", path)[i]});
        const double n = csv_column(t, "number_density[Angstrom^-3]", path)[i];
        if (n > 0.0) density_sum += n, ++density_n;
        found = true;
        break;
      }
      if (!found)
        throw AnalysisError(
            path + ": no total-D row (component 3) for species 0; write it with `e3md analyze diffusion`");
    }
    const double n = (*ne)[0] > 0.0 ? (*ne)[0] : (density_n ? density_sum / density_n : 0.0);
    const ArrheniusResult a = fit_arrhenius(pts, n, (*ne)[1]);
    if (!is_root(comm)) return;
    CsvTable t;
    char buf[512];
    std::snprintf(buf, sizeof(buf), "Ea_eV=%.17g Ea_err_eV=%.17g D0_cm2s=%.17g D0_err_cm2s=%.17g weighted=%d",
                  a.Ea, a.Ea_err, a.D0, a.D0_err, a.weighted ? 1 : 0);
    t.comments.push_back("e3md analyze arrhenius");
    t.comments.push_back(buf);
    std::snprintf(
        buf, sizeof(buf),
        "D300_cm2s=%.17g D300_err_cm2s=%.17g sigma300_S_cm=%.17g sigma300_err_S_cm=%.17g density_A3=%.17g",
        a.D300, a.D300_err, a.sigma300, a.sigma300_err, n);
    t.comments.push_back(buf);
    std::vector<double> T, invT, D, De, fitD;
    for (const auto& p : pts) {
      T.push_back(p.temperature);
      invT.push_back(1000.0 / p.temperature);
      D.push_back(p.D);
      De.push_back(p.D_err);
      fitD.push_back(a.D0 * std::exp(-a.Ea / (units::boltz * p.temperature)));
    }
    t.add_column("T[K]", T);
    t.add_column("1000/T[1/K]", invT);
    t.add_column("D[cm^2/s]", D);
    t.add_column("D_err[cm^2/s]", De);
    t.add_column("D_fit[cm^2/s]", fitD);
    t.write(*out);
    std::snprintf(buf, sizeof(buf),
                  "arrhenius: Ea = %.4f ± %.4f eV, D0 = %.4g ± %.2g cm²/s, D(300 K) = %.4g ± %.2g cm²/s",
                  a.Ea, a.Ea_err, a.D0, a.D0_err, a.D300, a.D300_err);
    print(buf);
    if (n > 0.0) {
      std::snprintf(buf, sizeof(buf), "  Nernst–Einstein sigma(300 K) = %.4g ± %.2g S/cm", a.sigma300,
                    a.sigma300_err);
      print(buf);
    }
    if (*plot) run_plot("arrhenius", {*out}, stem(*out));
  });
}

void add_profile(CLI::App* analyze, MPI_Comm comm) {
  auto o = std::make_shared<Common>();
  auto popt = std::make_shared<ProfileOptions>();
  auto axis = std::make_shared<std::string>("c");
  auto species = std::make_shared<std::string>();
  auto interfaces = std::make_shared<std::string>();
  auto* c =
      analyze->add_subcommand("profile", "density, Li–Li distance and coordination profiles along an axis");
  add_common(c, *o, "profile.csv");
  c->add_option("--axis", *axis, "a, b or c");
  c->add_option("--bins", popt->bins, "number of slabs");
  c->add_option("--species", *species, "density columns (default: every species)");
  c->add_option("--neighbour", popt->neighbour_species,
                "species for nearest-neighbour distance and coordination");
  c->add_option("--cutoff", popt->neighbour_cutoff, "neighbour-count cutoff (Å)");
  c->add_option("--nn-search", popt->nn_search, "largest nearest-neighbour distance searched (Å)");
  c->add_option("--interface", *interfaces,
                "interface positions to mark in the plot (Å, comma-separated); "
                "default: where the neighbour species' density crosses half its range");
  c->callback([o, popt, axis, species, interfaces, comm] {
    ProfileOptions opt = *popt;
    opt.range = o->range;
    if (*axis == "a")
      opt.axis = 0;
    else if (*axis == "b")
      opt.axis = 1;
    else if (*axis == "c")
      opt.axis = 2;
    else
      throw AnalysisError("--axis must be a, b or c (got '" + *axis + "')");
    opt.species = split(*species, ',');
    auto traj = open_trajectory(o->traj, o->format, o->dt);
    const ProfileResult res = compute_profile(*traj, opt);  // serial: every rank computes it, rank 0 writes
    if (!is_root(comm)) return;
    write_profile_csv(res, opt, o->out, describe("profile", *o));
    print("profile: " + std::to_string(res.frames) + " frames, " + std::to_string(res.z.size()) +
          " bins -> " + o->out);
    if (o->plot) {
      std::vector<std::string> extra{"--species", opt.neighbour_species};
      if (!interfaces->empty()) extra.insert(extra.end(), {"--interface", *interfaces});
      run_plot("profile", {o->out}, stem(o->out), extra);
    }
  });
}

}  // namespace

void add_analyze_command(CLI::App& app, MPI_Comm comm) {
  auto* analyze =
      app.add_subcommand("analyze", "trajectory analysis: rdf, msd, diffusion, arrhenius, profile");
  analyze->require_subcommand(1);
  add_rdf(analyze, comm);
  add_msd(analyze, comm);
  add_diffusion(analyze, comm);
  add_arrhenius(analyze, comm);
  add_profile(analyze, comm);
}

void add_analyze_command(CLI::App& app) { add_analyze_command(app, MPI_COMM_WORLD); }

namespace {
const CommandRegistrar reg("analyze", 40, &add_analyze_command);
}  // namespace
}  // namespace e3md
