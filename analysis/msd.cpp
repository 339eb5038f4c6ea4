#include "analysis/msd.hpp"

#include <Eigen/Geometry>
#include <cmath>
#include <utility>

#include "analysis/csv.hpp"
#include "analysis/fft.hpp"
#include "io/structure_io.hpp"

namespace e3md::analysis {
namespace {

MsdComponents zeros(std::size_t T) {
  MsdComponents c;
  c.a.assign(T, 0.0);
  c.b.assign(T, 0.0);
  c.normal.assign(T, 0.0);
  c.total.assign(T, 0.0);
  return c;
}

void add_into(MsdComponents& acc, const MsdComponents& x) {
  for (std::size_t m = 0; m < acc.total.size(); ++m) {
    acc.a[m] += x.a[m];
    acc.b[m] += x.b[m];
    acc.normal[m] += x.normal[m];
    acc.total[m] += x.total[m];
  }
}

void scale(MsdComponents& c, double s) {
  for (auto* v : {&c.a, &c.b, &c.normal, &c.total})
    for (double& e : *v) e *= s;
}

// Adds the MSD components of `natoms` atoms whose unwrapped coordinates are store[(atom*T + t0 + t)*3 + k],
// t < L, to acc (not normalised). Threads each sum their share of the atoms, merged before the projections.
void accumulate(const std::vector<double>& store, std::size_t natoms, std::size_t T, std::size_t t0,
                std::size_t L, const Vec3& da, const Vec3& db, const Vec3& dn, MsdComponents& acc) {
  const long na = static_cast<long>(natoms);
  MsdSum sum(L);
#pragma omp parallel
  {
    MsdSum local(L);
#pragma omp for schedule(static)
    for (long a = 0; a < na; ++a) local.add(store.data() + (static_cast<std::size_t>(a) * T + t0) * 3, 3);
#pragma omp critical
    sum.merge(local);
  }
  MsdComponents c;
  c.a = sum.msd(da * da.transpose());
  c.b = sum.msd(db * db.transpose());
  c.normal = sum.msd(dn * dn.transpose());
  c.total = sum.msd(Mat3::Identity());
  add_into(acc, c);
}

}  // namespace

MsdComponents msd_of_series(const std::vector<std::vector<Vec3>>& series, const Vec3& dir_a,
                            const Vec3& dir_b, const Vec3& dir_normal) {
  if (series.empty() || series.front().empty()) throw AnalysisError("MSD of an empty series");
  const std::size_t T = series.front().size();
  std::vector<double> store(series.size() * T * 3);
  for (std::size_t a = 0; a < series.size(); ++a) {
    if (series[a].size() != T) throw AnalysisError("MSD series of different lengths");
    for (std::size_t t = 0; t < T; ++t)
      for (int k = 0; k < 3; ++k) store[(a * T + t) * 3 + static_cast<std::size_t>(k)] = series[a][t][k];
  }
  MsdComponents c = zeros(T);
  accumulate(store, series.size(), T, 0, T, dir_a, dir_b, dir_normal, c);
  scale(c, 1.0 / static_cast<double>(series.size()));
  return c;
}

MsdResult compute_msd(const TrajectorySource& traj, const MsdOptions& options) {
  const std::string& path = traj.path();
  const auto frames = options.range.resolve(traj.frames(), path);
  const std::size_t T = frames.size();
  if (T < 2) throw AnalysisError(path + ": MSD needs at least two frames in the selected range");
  const auto& species = traj.species();
  const std::vector<std::string> names =
      options.species.empty() ? distinct_species(species) : options.species;
  std::vector<std::vector<int>> sel;
  for (const auto& n : names) sel.push_back(select_species(species, {n}, path));

  MsdResult res;
  res.frames = static_cast<long>(T);
  const double t0 = traj.time(frames[0]);
  res.dt = traj.time(frames[1]) - t0;
  if (!(res.dt > 0.0)) throw AnalysisError(path + ": frame times do not increase; MSD needs a time axis");
  for (std::size_t i = 0; i < T; ++i) {
    const double expect = t0 + res.dt * static_cast<double>(i);
    if (std::abs(traj.time(frames[i]) - expect) > 1e-6 * std::max(res.dt, std::abs(expect))) {
      throw AnalysisError(path + ": frame " + std::to_string(frames[i]) +
                          " is not on the uniform time grid (t = " + std::to_string(traj.time(frames[i])) +
                          " ps, expected " + std::to_string(expect) +
                          " ps); MSD needs evenly spaced frames (choose a range without restarts or gaps)");
    }
  }
  res.lag_time.resize(T);
  for (std::size_t m = 0; m < T; ++m) res.lag_time[m] = res.dt * static_cast<double>(m);

  const std::size_t natoms = static_cast<std::size_t>(traj.natoms());
  std::vector<double> weights;
  if (options.remove_drift) {
    weights.assign(natoms, 1.0);
    if (!options.drift_equal_weights) {
      for (std::size_t i = 0; i < natoms; ++i) {
        try {
          weights[i] = atomic_mass(species[i]);
        } catch (const std::exception&) {
          throw AnalysisError(
              path + ": species '" + species[i] +
              "' is not an element, so its mass is unknown for drift removal; pass --drift-equal-weights");
        }
      }
    }
  }
  std::vector<std::vector<double>> store(names.size());
  for (std::size_t s = 0; s < names.size(); ++s) {
    store[s].assign(sel[s].size() * T * 3, 0.0);
    res.stored_bytes += store[s].size() * sizeof(double);
  }

  // Atoms to unwrap: the selected species, or all of them when the centre of mass is needed.
  std::vector<std::size_t> needed;
  {
    std::vector<char> use(natoms, options.remove_drift ? 1 : 0);
    for (const auto& s : sel)
      for (int i : s) use[static_cast<std::size_t>(i)] = 1;
    for (std::size_t i = 0; i < natoms; ++i)
      if (use[i]) needed.push_back(i);
  }
  Frame f;
  std::vector<Vec3> prev, unwrapped(natoms);
  Vec3 com0 = Vec3::Zero();
  double volume_sum = 0.0;
  bool use_images = false;
  for (std::size_t t = 0; t < T; ++t) {
    traj.read(frames[t], f);
    volume_sum += f.box.volume();
    if (t == 0) {
      const bool has_images = f.images.size() == natoms;
      if (options.unwrap == Unwrap::Images && !has_images) {
        throw AnalysisError(path + ": the trajectory has no image counters; use --unwrap displacement");
      }
      use_images = options.unwrap == Unwrap::Images || (options.unwrap == Unwrap::Auto && has_images);
      res.unwrap_used = use_images ? "images" : "displacement";
      res.dir_a = f.box.vector(0).normalized();
      res.dir_b = f.box.vector(1).normalized();
      res.dir_normal = f.box.vector(0).cross(f.box.vector(1)).normalized();
    }
    if (use_images) {
      for (std::size_t i : needed) unwrapped[i] = f.box.unwrap(f.positions[i], f.images[i]);
    } else if (t == 0) {
      unwrapped = f.positions;
    } else {
      for (std::size_t i : needed) unwrapped[i] += f.box.minimum_image(f.positions[i] - prev[i]);
    }
    std::swap(prev, f.positions);
    Vec3 drift = Vec3::Zero();
    if (options.remove_drift) {
      Vec3 com = Vec3::Zero();
      double wsum = 0.0;
      for (std::size_t i = 0; i < natoms; ++i) com += weights[i] * unwrapped[i], wsum += weights[i];
      com /= wsum;
      if (t == 0) com0 = com;
      drift = com - com0;
    }
    for (std::size_t s = 0; s < names.size(); ++s) {
      for (std::size_t a = 0; a < sel[s].size(); ++a) {
        const Vec3 u = unwrapped[static_cast<std::size_t>(sel[s][a])] - drift;
        double* dst = store[s].data() + (a * T + t) * 3;
        dst[0] = u[0], dst[1] = u[1], dst[2] = u[2];
      }
    }
  }
  res.mean_volume = volume_sum / static_cast<double>(T);

  const std::size_t nblocks = options.blocks > 1 ? static_cast<std::size_t>(options.blocks) : 0;
  const std::size_t L = nblocks ? T / nblocks : 0;
  if (nblocks && L < 4) {
    throw AnalysisError(path + ": " + std::to_string(T) + " frames are too few for " +
                        std::to_string(nblocks) +
                        " blocks of at least 4 frames; lower --blocks or select more frames");
  }
  res.block_lag_time.assign(res.lag_time.begin(), res.lag_time.begin() + static_cast<long>(L));
  for (std::size_t s = 0; s < names.size(); ++s) {
    MsdSpecies ms;
    ms.species = names[s];
    ms.atoms = static_cast<long>(sel[s].size());
    ms.msd = zeros(T);
    accumulate(store[s], sel[s].size(), T, 0, T, res.dir_a, res.dir_b, res.dir_normal, ms.msd);
    scale(ms.msd, 1.0 / static_cast<double>(sel[s].size()));
    for (std::size_t b = 0; b < nblocks; ++b) {
      MsdComponents c = zeros(L);
      accumulate(store[s], sel[s].size(), T, b * L, L, res.dir_a, res.dir_b, res.dir_normal, c);
      scale(c, 1.0 / static_cast<double>(sel[s].size()));
      ms.blocks.push_back(std::move(c));
    }
    res.species.push_back(std::move(ms));
  }
  return res;
}

void write_msd_csv(const MsdResult& res, const std::string& path, const std::string& command_line,
                   const std::vector<std::string>& extra_comments) {
  CsvTable t;
  t.comments.push_back(command_line);
  t.comments.push_back("frames=" + std::to_string(res.frames) + " dt_ps=" + csv_number(res.dt) +
                       " unwrap=" + res.unwrap_used + " stored_bytes=" + std::to_string(res.stored_bytes));
  for (const auto& c : extra_comments) t.comments.push_back(c);
  t.add_column("t[ps]", res.lag_time);
  for (const auto& s : res.species) {
    t.add_column("msd_" + s.species + "_a[Angstrom^2]", s.msd.a);
    t.add_column("msd_" + s.species + "_b[Angstrom^2]", s.msd.b);
    t.add_column("msd_" + s.species + "_normal[Angstrom^2]", s.msd.normal);
    t.add_column("msd_" + s.species + "_total[Angstrom^2]", s.msd.total);
  }
  t.write(path);
}

}  // namespace e3md::analysis
