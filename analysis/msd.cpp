#include "analysis/msd.hpp"

#include <Eigen/Geometry>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <new>
#include <utility>

#include "analysis/csv.hpp"
#include "analysis/fft.hpp"
#include "analysis/ranks.hpp"
#include "io/structure_io.hpp"

namespace e3md::analysis {
namespace {

// The series of a chunk of atoms: left uninitialised, since the reading pass writes every entry (so the pages
// are first touched there, by the threads that fill them, not all by one thread zeroing them up front).
struct FreeDeleter {
  void operator()(double* p) const { std::free(p); }
};
using SeriesStore = std::unique_ptr<double[], FreeDeleter>;
SeriesStore series_store(std::size_t n) {
  void* p = std::malloc(std::max<std::size_t>(1, n * sizeof(double)));
  if (!p) throw std::bad_alloc();
  return SeriesStore(static_cast<double*>(p));
}

void scale(MsdComponents& c, double s) {
  for (auto* v : {&c.a, &c.b, &c.normal, &c.total})
    for (double& e : *v) e *= s;
}

// Adds `natoms` atoms whose unwrapped coordinates are store[(atom*T + t0 + t)*3 + k], t < L, to sum. Threads
// each sum their share of the atoms, merged at the end.
void add_series(const double* store, std::size_t natoms, std::size_t T, std::size_t t0, MsdSum& sum) {
  const long na = static_cast<long>(natoms);
  const std::size_t L = sum.length();
#pragma omp parallel
  {
    MsdSum local(L);
#pragma omp for schedule(static)
    for (long a = 0; a < na; ++a) local.add(store + (static_cast<std::size_t>(a) * T + t0) * 3, 3);
#pragma omp critical
    sum.merge(local);
  }
}

// The MSD components of what `sum` holds on all ranks of comm (collective), divided by `atoms`.
MsdComponents project(MsdSum& sum, const Vec3& da, const Vec3& db, const Vec3& dn, std::size_t atoms,
                      MPI_Comm comm) {
  sum.allreduce(comm);
  MsdComponents c;
  c.a = sum.msd(da * da.transpose());
  c.b = sum.msd(db * db.transpose());
  c.normal = sum.msd(dn * dn.transpose());
  c.total = sum.msd(Mat3::Identity());
  scale(c, 1.0 / static_cast<double>(atoms));
  return c;
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
  MsdSum sum(T);
  add_series(store.data(), series.size(), T, 0, sum);
  return project(sum, dir_a, dir_b, dir_normal, series.size(), MPI_COMM_SELF);
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

  const std::size_t nblocks = options.blocks > 1 ? static_cast<std::size_t>(options.blocks) : 0;
  const std::size_t L = nblocks ? T / nblocks : 0;
  if (nblocks && L < 4) {
    throw AnalysisError(path + ": " + std::to_string(T) + " frames are too few for " +
                        std::to_string(nblocks) +
                        " blocks of at least 4 frames; lower --blocks or select more frames");
  }
  res.block_lag_time.assign(res.lag_time.begin(), res.lag_time.begin() + static_cast<long>(L));

  // The ranks share the atoms evenly (all of them with drift removal, for the centre of mass, else the
  // selected ones). Each reads every frame but only the rows from its first to its last atom, and unwraps
  // per atom, so the series are the same on any number of ranks. A rank's selected atoms are processed in
  // chunks whose series fit in options.memory_limit, one reading pass per chunk over that chunk's rows
  // only, so the passes together read the rows once.
  const int rank = comm_rank(comm), nranks = comm_size(comm);
  std::vector<std::size_t> mine;
  {
    std::vector<char> use(natoms, options.remove_drift ? 1 : 0);
    for (const auto& s : sel)
      for (int i : s) use[static_cast<std::size_t>(i)] = 1;
    std::vector<std::size_t> all;
    for (std::size_t i = 0; i < natoms; ++i)
      if (use[i]) all.push_back(i);
    const Share part = share(all.size(), rank, nranks);
    mine.assign(all.begin() + static_cast<long>(part.begin), all.begin() + static_cast<long>(part.end));
  }
  std::vector<int> species_of(natoms, -1);
  for (std::size_t s = 0; s < names.size(); ++s)
    for (int i : sel[s]) species_of[static_cast<std::size_t>(i)] = static_cast<int>(s);
  std::vector<std::size_t> held;  // this rank's selected atoms, by id
  for (std::size_t i : mine)
    if (species_of[i] >= 0) held.push_back(i);
  const std::size_t per_chunk =
      std::max<std::size_t>(1, options.memory_limit / std::max<std::size_t>(1, T * 3 * sizeof(double)));
  std::vector<std::vector<std::size_t>> chunks;
  for (std::size_t k = 0; k < held.size(); k += per_chunk)
    chunks.emplace_back(held.begin() + static_cast<long>(k),
                        held.begin() + static_cast<long>(std::min(held.size(), k + per_chunk)));
  if (chunks.empty()) chunks.emplace_back();  // a rank without atoms still reads the cells
  // The most passes of any rank: every rank takes the centre of mass in a pass of its own when one needs to.
  int passes = static_cast<int>(chunks.size());
  if (nranks > 1) MPI_Allreduce(MPI_IN_PLACE, &passes, 1, MPI_INT, MPI_MAX, comm);

  // One reading pass over all frames for `atoms` (sorted ids), kB frames at a time: the frames' rows from lo
  // to the last atom are read (on all threads where the source can, the next block located meanwhile) into
  // xb[q * rows + id − lo], unwrapped there in place (each atom on one thread, carrying its own state from
  // block to block), and handed to visit(f0, nb, lo, rows) as frames f0 .. f0 + nb − 1. The first pass also
  // sets the mode, the directions and the mean volume.
  Unwrap mode = options.unwrap;
  bool first_pass = true;
  std::vector<Vec3> xb, last_x, last_u;
  std::vector<Vec3i> ib;
  std::vector<Box> boxes;
  auto pass = [&](const std::vector<std::size_t>& atoms, auto&& visit) {
    const std::size_t lo = atoms.empty() ? 0 : atoms.front();
    const std::size_t rows = atoms.empty() ? 1 : atoms.back() - lo + 1;
    // A block of ~4 MiB of rows: enough frames for the reading threads to share, few enough to stay in cache
    // while they are unwrapped and stored (2 to 16 frames).
    const std::size_t kB =
        std::clamp<std::size_t>((std::size_t{4} << 20) / (rows * (sizeof(Vec3) + sizeof(Vec3i))), 2, 16);
    xb.resize(kB * rows);
    ib.resize(kB * rows);
    boxes.resize(kB);
    last_x.assign(rows, Vec3::Zero());
    last_u.assign(rows, Vec3::Zero());
    double volume_sum = 0.0;
    const long na = static_cast<long>(atoms.size());
    for (std::size_t f0 = 0; f0 < T; f0 += kB) {
      const std::size_t nb = std::min(kB, T - f0);
      const bool want_images = mode == Unwrap::Images || mode == Unwrap::Auto;
      const std::size_t next_n = f0 + nb < T ? std::min(kB, T - f0 - nb) : 0;
      const bool has_images =
          traj.read_block(frames.data() + f0, static_cast<int>(nb), static_cast<std::int64_t>(lo),
                          static_cast<std::int64_t>(rows), xb.data(), want_images ? ib.data() : nullptr,
                          boxes.data(), frames.data() + f0 + nb, static_cast<int>(next_n));
      for (std::size_t q = 0; q < nb; ++q) volume_sum += boxes[q].volume();
      if (f0 == 0 && first_pass) {
        if (mode == Unwrap::Images && !has_images) {
          throw AnalysisError(path + ": the trajectory has no image counters; use --unwrap displacement");
        }
        if (mode == Unwrap::Auto) mode = has_images ? Unwrap::Images : Unwrap::Displacement;
        res.unwrap_used = mode == Unwrap::Images ? "images" : mode == Unwrap::None ? "none" : "displacement";
        res.dir_a = boxes[0].vector(0).normalized();
        res.dir_b = boxes[0].vector(1).normalized();
        res.dir_normal = boxes[0].vector(0).cross(boxes[0].vector(1)).normalized();
      }
      if (mode != Unwrap::None) {
#pragma omp parallel for schedule(static)
        for (long a = 0; a < na; ++a) {
          const std::size_t r = atoms[static_cast<std::size_t>(a)] - lo;
          Vec3 x_prev = last_x[r], u = last_u[r];
          for (std::size_t q = 0; q < nb; ++q) {
            Vec3& x = xb[q * rows + r];
            if (mode == Unwrap::Images) {
              x = boxes[q].unwrap(x, ib[q * rows + r]);
            } else {  // displacement: the minimum image of each step, in that frame's cell
              const Vec3 xq = x;
              u = f0 + q == 0 ? xq : Vec3(u + boxes[q].minimum_image(xq - x_prev));
              x_prev = xq;
              x = u;
            }
          }
          last_x[r] = x_prev, last_u[r] = u;
        }
      }
      visit(f0, nb, lo, rows);
    }
    if (first_pass) res.mean_volume = volume_sum / static_cast<double>(T);
    first_pass = false;
  };

  // Centre of mass of all atoms per frame, Σ w_i u_i(t) over every rank, and Σ w_i (last entry). In the
  // main pass when one pass does, else in a pass of its own first.
  std::vector<double> com(options.remove_drift ? 3 * T + 1 : 0, 0.0);
  auto add_com = [&](std::size_t f0, std::size_t nb, std::size_t lo, std::size_t rows) {
    for (std::size_t q = 0; q < nb; ++q) {
      Vec3 c = Vec3::Zero();
      for (std::size_t i : mine) c += weights[i] * xb[q * rows + i - lo];
      const std::size_t t = f0 + q;
      com[3 * t] = c[0], com[3 * t + 1] = c[1], com[3 * t + 2] = c[2];
    }
  };
  auto finish_com = [&] {
    for (std::size_t i : mine) com[3 * T] += weights[i];
    if (nranks > 1)
      MPI_Allreduce(MPI_IN_PLACE, com.data(), static_cast<int>(com.size()), MPI_DOUBLE, MPI_SUM, comm);
  };
  const bool com_apart = options.remove_drift && passes > 1;
  if (com_apart) {
    pass(mine, add_com);
    finish_com();
  }

  std::vector<MsdSum> sums;  // per species: all lags, then each block
  for (std::size_t s = 0; s < names.size(); ++s) {
    sums.emplace_back(T);
    for (std::size_t b = 0; b < nblocks; ++b) sums.emplace_back(L);
  }
  const std::size_t per_species = 1 + nblocks;
  for (const std::vector<std::size_t>& atoms : chunks) {
    // The chunk's series by species, [atom][t][3]; each block of frames lands as one contiguous run per atom.
    std::vector<std::vector<std::size_t>> by_species(names.size());
    for (std::size_t i : atoms) by_species[static_cast<std::size_t>(species_of[i])].push_back(i);
    std::vector<SeriesStore> store;
    for (std::size_t s = 0; s < names.size(); ++s)
      store.push_back(series_store(by_species[s].size() * T * 3));
    const bool com_here = options.remove_drift && !com_apart;
    pass(com_here ? mine : atoms, [&](std::size_t f0, std::size_t nb, std::size_t lo, std::size_t rows) {
      if (com_here) add_com(f0, nb, lo, rows);
      for (std::size_t s = 0; s < names.size(); ++s) {
        const long n = static_cast<long>(by_species[s].size());
        double* base = store[s].get();
        const std::vector<std::size_t>& ids = by_species[s];
#pragma omp parallel for schedule(static)
        for (long a = 0; a < n; ++a) {
          const std::size_t r = ids[static_cast<std::size_t>(a)] - lo;
          double* out = base + (static_cast<std::size_t>(a) * T + f0) * 3;
          for (std::size_t q = 0; q < nb; ++q) {
            const Vec3& u = xb[q * rows + r];
            out[3 * q] = u[0], out[3 * q + 1] = u[1], out[3 * q + 2] = u[2];
          }
        }
      }
    });
    if (com_here) finish_com();
    if (options.remove_drift) {
      // Subtract the centre-of-mass displacement from frame 0.
      const double wsum = com[3 * T];
      for (std::size_t s = 0; s < names.size(); ++s) {
        for (std::size_t a = 0; a < by_species[s].size(); ++a) {
          double* u = store[s].get() + a * T * 3;
          for (std::size_t t = 0; t < T; ++t)
            for (std::size_t k = 0; k < 3; ++k) u[3 * t + k] -= (com[3 * t + k] - com[k]) / wsum;
        }
      }
    }
    for (std::size_t s = 0; s < names.size(); ++s) {
      add_series(store[s].get(), by_species[s].size(), T, 0, sums[s * per_species]);
      for (std::size_t b = 0; b < nblocks; ++b)
        add_series(store[s].get(), by_species[s].size(), T, b * L, sums[s * per_species + 1 + b]);
    }
  }

  for (std::size_t s = 0; s < names.size(); ++s) {
    MsdSpecies ms;
    ms.species = names[s];
    ms.atoms = static_cast<long>(sel[s].size());
    ms.msd = project(sums[s * per_species], res.dir_a, res.dir_b, res.dir_normal, sel[s].size(), comm);
    for (std::size_t b = 0; b < nblocks; ++b)
      ms.blocks.push_back(
          project(sums[s * per_species + 1 + b], res.dir_a, res.dir_b, res.dir_normal, sel[s].size(), comm));
    res.species.push_back(std::move(ms));
  }
  res.passes = passes + (com_apart ? 1 : 0);
  return res;
}

void write_msd_csv(const MsdResult& res, const std::string& path, const std::string& command_line,
                   const std::vector<std::string>& extra_comments) {
  CsvTable t;
  t.comments.push_back(command_line);
  t.comments.push_back("frames=" + std::to_string(res.frames) + " dt_ps=" + csv_number(res.dt) +
                       " unwrap=" + res.unwrap_used + " stored_bytes=" + std::to_string(res.stored_bytes) +
                       " passes=" + std::to_string(res.passes));
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
