#include "analysis/msd.hpp"

#include <Eigen/Geometry>
#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "analysis/csv.hpp"
#include "analysis/fft.hpp"
#include "analysis/ranks.hpp"
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
// t < L, to acc (not normalised), summed over the ranks of comm (collective). Threads each sum their share
// of the atoms, merged (and then summed over ranks) before the projections.
void accumulate(const std::vector<double>& store, std::size_t natoms, std::size_t T, std::size_t t0,
                std::size_t L, const Vec3& da, const Vec3& db, const Vec3& dn, MsdComponents& acc,
                MPI_Comm comm = MPI_COMM_SELF) {
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
  sum.allreduce(comm);
  MsdComponents c;
  c.a = sum.msd(da * da.transpose());
  c.b = sum.msd(db * db.transpose());
  c.normal = sum.msd(dn * dn.transpose());
  c.total = sum.msd(Mat3::Identity());
  add_into(acc, c);
}

// [begin, end) of n items split evenly over `parts`.
struct Share {
  std::size_t begin, end;
  std::size_t size() const { return end - begin; }
};
Share share(std::size_t n, int part, int parts) {
  const auto p = static_cast<std::size_t>(part), q = static_cast<std::size_t>(parts);
  return {n * p / q, n * (p + 1) / q};
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

MsdResult compute_msd(const TrajectorySource& traj, const MsdOptions& options, MPI_Comm comm) {
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
  for (std::size_t s = 0; s < names.size(); ++s) res.stored_bytes += sel[s].size() * T * 3 * sizeof(double);

  // Atoms to unwrap: the selected species, or all of them when the centre of mass is needed. Ranks share
  // them evenly; each reads every frame, but only the rows from its first to its last atom, and keeps the
  // unwrapped series of its atoms (the unwrapping is per atom, so it is the same on any number of ranks).
  const int rank = comm_rank(comm), nranks = comm_size(comm);
  std::vector<std::size_t> needed;
  {
    std::vector<char> use(natoms, options.remove_drift ? 1 : 0);
    for (const auto& s : sel)
      for (int i : s) use[static_cast<std::size_t>(i)] = 1;
    for (std::size_t i = 0; i < natoms; ++i)
      if (use[i]) needed.push_back(i);
  }
  {
    const Share mine = share(needed.size(), rank, nranks);
    needed = std::vector<std::size_t>(needed.begin() + static_cast<long>(mine.begin),
                                      needed.begin() + static_cast<long>(mine.end));
  }
  // Rows read: [lo, lo + rows); a rank without atoms reads one row for the cells.
  const std::size_t lo = needed.empty() ? 0 : needed.front();
  const std::size_t rows = needed.empty() ? 1 : needed.back() - lo + 1;
  std::vector<std::vector<int>> held(names.size());  // this rank's atoms of each species (atom ids)
  for (std::size_t s = 0; s < names.size(); ++s) {
    for (int i : sel[s]) {
      if (!needed.empty() && static_cast<std::size_t>(i) >= lo && static_cast<std::size_t>(i) < lo + rows &&
          std::binary_search(needed.begin(), needed.end(), static_cast<std::size_t>(i)))
        held[s].push_back(i);
    }
  }
  std::vector<std::vector<double>> store(names.size());
  for (std::size_t s = 0; s < names.size(); ++s) store[s].assign(held[s].size() * T * 3, 0.0);

  // Frames are gathered in blocks of kBlock before they are written atom-major into the store, so that each
  // atom's series is written a few cache lines at a time instead of one scattered line per frame.
  constexpr std::size_t kBlock = 16;
  std::vector<std::vector<double>> block(names.size());
  for (std::size_t s = 0; s < names.size(); ++s) block[s].resize(held[s].size() * kBlock * 3);
  auto flush_block = [&](std::size_t t_first, std::size_t count) {
    for (std::size_t s = 0; s < names.size(); ++s) {
      const std::size_t n = held[s].size();
      for (std::size_t a = 0; a < n; ++a) {
        double* dst = store[s].data() + (a * T + t_first) * 3;
        for (std::size_t j = 0; j < count; ++j) {
          const double* src = block[s].data() + (j * n + a) * 3;
          dst[3 * j] = src[0], dst[3 * j + 1] = src[1], dst[3 * j + 2] = src[2];
        }
      }
    }
  };
  // Σ w_i u_i(t) over this rank's atoms and Σ w_i, for the centre of mass.
  std::vector<double> com(options.remove_drift ? 3 * T + 1 : 0, 0.0);
  if (options.remove_drift)
    for (std::size_t i : needed) com[3 * T] += weights[i];
  Frame f;
  std::vector<Vec3> prev, unwrapped(rows);
  double volume_sum = 0.0;
  Unwrap mode = options.unwrap;
  for (std::size_t t = 0; t < T; ++t) {
    traj.read_atoms(frames[t], static_cast<std::int64_t>(lo), static_cast<std::int64_t>(rows), f);
    volume_sum += f.box.volume();
    if (t == 0) {
      const bool has_images = !f.images.empty() && f.images.size() == f.positions.size();
      if (mode == Unwrap::Images && !has_images) {
        throw AnalysisError(path + ": the trajectory has no image counters; use --unwrap displacement");
      }
      if (mode == Unwrap::Auto) mode = has_images ? Unwrap::Images : Unwrap::Displacement;
      res.unwrap_used = mode == Unwrap::Images ? "images" : mode == Unwrap::None ? "none" : "displacement";
      res.dir_a = f.box.vector(0).normalized();
      res.dir_b = f.box.vector(1).normalized();
      res.dir_normal = f.box.vector(0).cross(f.box.vector(1)).normalized();
    }
    if (needed.empty()) continue;
    if (mode == Unwrap::Images) {
      for (std::size_t i : needed) unwrapped[i - lo] = f.box.unwrap(f.positions[i - lo], f.images[i - lo]);
    } else if (mode == Unwrap::None || t == 0) {
      for (std::size_t i : needed) unwrapped[i - lo] = f.positions[i - lo];
    } else {
      for (std::size_t i : needed)
        unwrapped[i - lo] += f.box.minimum_image(f.positions[i - lo] - prev[i - lo]);
    }
    if (mode == Unwrap::Displacement) std::swap(prev, f.positions);
    if (options.remove_drift) {
      Vec3 c = Vec3::Zero();
      for (std::size_t i : needed) c += weights[i] * unwrapped[i - lo];
      com[3 * t] = c[0], com[3 * t + 1] = c[1], com[3 * t + 2] = c[2];
    }
    const std::size_t j = t % kBlock;
    for (std::size_t s = 0; s < names.size(); ++s) {
      const std::size_t n = held[s].size();
      double* dst = block[s].data() + j * n * 3;
      for (std::size_t a = 0; a < n; ++a) {
        const Vec3& u = unwrapped[static_cast<std::size_t>(held[s][a]) - lo];
        dst[3 * a] = u[0], dst[3 * a + 1] = u[1], dst[3 * a + 2] = u[2];
      }
    }
    if (j + 1 == kBlock || t + 1 == T) flush_block(t - j, j + 1);
  }
  res.mean_volume = volume_sum / static_cast<double>(T);
  if (options.remove_drift) {
    // Subtract the centre-of-mass displacement from frame 0 of all atoms.
    if (nranks > 1)
      MPI_Allreduce(MPI_IN_PLACE, com.data(), static_cast<int>(com.size()), MPI_DOUBLE, MPI_SUM, comm);
    const double wsum = com[3 * T];
    for (std::size_t s = 0; s < names.size(); ++s) {
      for (std::size_t a = 0; a < held[s].size(); ++a) {
        double* u = store[s].data() + a * T * 3;
        for (std::size_t t = 0; t < T; ++t)
          for (std::size_t k = 0; k < 3; ++k) u[3 * t + k] -= (com[3 * t + k] - com[k]) / wsum;
      }
    }
  }

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
    accumulate(store[s], held[s].size(), T, 0, T, res.dir_a, res.dir_b, res.dir_normal, ms.msd, comm);
    scale(ms.msd, 1.0 / static_cast<double>(sel[s].size()));
    for (std::size_t b = 0; b < nblocks; ++b) {
      MsdComponents c = zeros(L);
      accumulate(store[s], held[s].size(), T, b * L, L, res.dir_a, res.dir_b, res.dir_normal, c, comm);
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
