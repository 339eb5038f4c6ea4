#include "analysis/rdf.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

#include "analysis/cell_list.hpp"
#include "analysis/csv.hpp"
#include "analysis/ranks.hpp"

namespace e3md::analysis {

RdfAccumulator::RdfAccumulator(const RdfOptions& options, const std::vector<std::string>& species,
                               const std::string& source)
    : opt_(options) {
  if (!(opt_.r_max > opt_.r_min) || opt_.r_min < 0.0) {
    throw AnalysisError(source + ": RDF range needs 0 <= r_min < r_max (got " + std::to_string(opt_.r_min) +
                        ", " + std::to_string(opt_.r_max) + " Å); set --rmin/--rmax");
  }
  if (opt_.bins < 1) throw AnalysisError(source + ": RDF needs at least one bin (--bins)");
  if (opt_.pairs.empty()) opt_.pairs.push_back({"all", "all"});
  for (const auto& [a, b] : opt_.pairs) {
    groups_.push_back({select_species(species, {a}, source), select_species(species, {b}, source)});
    same_.push_back(a == b);
    res_.labels.push_back(a + "-" + b);
    res_.n_centres.push_back(static_cast<long>(groups_.back().first.size()));
    res_.n_neighbours.push_back(static_cast<long>(groups_.back().second.size()));
    if (a == b && groups_.back().first.size() < 2) {
      throw AnalysisError(source + ": RDF " + a + "-" + b + " needs at least two " + a + " atoms");
    }
  }
  const auto nb = static_cast<std::size_t>(opt_.bins);
  res_.edges.resize(nb + 1);
  res_.r.resize(nb);
  const double dr = (opt_.r_max - opt_.r_min) / opt_.bins;
  for (std::size_t k = 0; k <= nb; ++k) res_.edges[k] = opt_.r_min + dr * static_cast<double>(k);
  res_.edges[nb] = opt_.r_max;
  for (std::size_t k = 0; k < nb; ++k) res_.r[k] = 0.5 * (res_.edges[k] + res_.edges[k + 1]);
  res_.counts.assign(groups_.size(), std::vector<double>(nb, 0.0));
}

namespace {

// Histogram of one frame on one thread: kLanes interleaved copies, so that consecutive candidates falling
// into the same bin (above all the overflow slot, for the ~3/4 of candidates beyond r_max) do not wait on
// each other's increments. Integer counts, exact; slot `bins` collects candidates outside [r_min, r_max].
class PairHistogram {
 public:
  static constexpr int kLanes = 4;
  explicit PairHistogram(const RdfOptions& opt)
      : rmin_(opt.r_min),
        rmin2_(opt.r_min * opt.r_min),
        rmax2_(opt.r_max * opt.r_max),
        inv_dr_(opt.bins / (opt.r_max - opt.r_min)),
        last_(opt.bins - 1),
        trash_(opt.bins),
        h_(static_cast<std::size_t>(kLanes) * static_cast<std::size_t>(opt.bins + 1), 0) {}

  // Adds weight w for each entry of [e0, e1) of `cells`, shifted by `shift`, paired with the centre x.
  void add_run(const CellList& cells, const Vec3& x, const Vec3& shift, int e0, int e1, long long w) {
    const double* px = cells.sorted(0);
    const double* py = cells.sorted(1);
    const double* pz = cells.sorted(2);
    const double bx = shift[0] - x[0], by = shift[1] - x[1], bz = shift[2] - x[2];
    long long* h = h_.data();
    for (int e = e0; e < e1; ++e) {
      const double dx = px[e] + bx, dy = py[e] + by, dz = pz[e] + bz;
      const double r2 = dx * dx + dy * dy + dz * dz;
      const int k = std::min(static_cast<int>((std::sqrt(r2) - rmin_) * inv_dr_), last_);
      const int slot = (r2 <= rmax2_ && r2 >= rmin2_) ? k : trash_;
      h[static_cast<std::size_t>(slot) * kLanes + static_cast<std::size_t>(e & (kLanes - 1))] += w;
    }
  }
  void add_to(std::vector<double>& out) const {
    for (std::size_t k = 0; k < out.size(); ++k) {
      long long sum = 0;
      for (std::size_t l = 0; l < kLanes; ++l) sum += h_[k * kLanes + l];
      out[k] += static_cast<double>(sum);
    }
  }

 private:
  double rmin_, rmin2_, rmax2_, inv_dr_;
  int last_, trash_;
  std::vector<long long> h_;
};

}  // namespace

void RdfAccumulator::add_frame(const Box& box, const std::vector<Vec3>& positions) {
  for (std::size_t p = 0; p < groups_.size(); ++p) {
    const CellList cells(box, positions, groups_[p].second, opt_.r_max);
    std::vector<double>& out = res_.counts[p];
    const int ncell = cells.cells();
    if (same_[p]) {
      // A group with itself: the centres are the cell list's own entries. Each unordered pair once (pairs
      // inside a cell with the later entries, the half shell of neighbour runs), counted twice.
#pragma omp parallel
      {
        PairHistogram hist(opt_);
        std::vector<std::pair<std::array<int, 2>, Vec3>> runs;
#pragma omp for schedule(dynamic, 8)
        for (int c = 0; c < ncell; ++c) {
          const int b = cells.begin(c), n = cells.end(c);
          if (b == n) continue;
          runs.clear();
          cells.for_each_run<true>(c, [&](int e0, int e1, const Vec3& s) {
            if (e1 > e0) runs.push_back({{e0, e1}, s});
          });
          for (int q = b; q < n; ++q) {
            const Vec3 x(cells.sorted(0)[q], cells.sorted(1)[q], cells.sorted(2)[q]);
            hist.add_run(cells, x, Vec3::Zero(), q + 1, n, 2);
            for (const auto& [range, s] : runs) hist.add_run(cells, x, s, range[0], range[1], 2);
          }
        }
#pragma omp critical
        hist.add_to(out);
      }
    } else {
      // Centres from one group against the cell list of the other, every offset; an atom in both groups
      // meets itself once at exactly r = 0 (identical wrapped coordinates, zero shift), removed again.
      const auto& centres = groups_[p].first;
      std::vector<int> first(static_cast<std::size_t>(ncell) + 1, 0), cell_of(centres.size());
      std::vector<Vec3> wx(centres.size());
      for (std::size_t c = 0; c < centres.size(); ++c) {
        wx[c] = cells.wrapped(positions[static_cast<std::size_t>(centres[c])]);
        cell_of[c] = cells.cell_index(wx[c]);
        ++first[static_cast<std::size_t>(cell_of[c]) + 1];
      }
      for (int c = 0; c < ncell; ++c)
        first[static_cast<std::size_t>(c) + 1] += first[static_cast<std::size_t>(c)];
      std::vector<int> fill(first.begin(), first.end() - 1);
      std::vector<Vec3> xs(centres.size());
      for (std::size_t c = 0; c < centres.size(); ++c) {
        xs[static_cast<std::size_t>(fill[static_cast<std::size_t>(cell_of[c])]++)] = wx[c];
      }
      std::vector<char> in_second(positions.size(), 0);
      for (int j : groups_[p].second) in_second[static_cast<std::size_t>(j)] = 1;
      long long both = 0;
      for (int i : centres) both += in_second[static_cast<std::size_t>(i)];
#pragma omp parallel
      {
        PairHistogram hist(opt_);
        std::vector<std::pair<std::array<int, 2>, Vec3>> runs;
#pragma omp for schedule(dynamic, 8)
        for (int c = 0; c < ncell; ++c) {
          const int b = first[static_cast<std::size_t>(c)], n = first[static_cast<std::size_t>(c) + 1];
          if (b == n) continue;
          runs.clear();
          cells.for_each_run<false>(c, [&](int e0, int e1, const Vec3& s) {
            if (e1 > e0) runs.push_back({{e0, e1}, s});
          });
          for (int q = b; q < n; ++q) {
            for (const auto& [range, s] : runs)
              hist.add_run(cells, xs[static_cast<std::size_t>(q)], s, range[0], range[1], 1);
          }
        }
#pragma omp critical
        hist.add_to(out);
      }
      if (opt_.r_min == 0.0) out[0] -= static_cast<double>(both);
    }
  }
  volume_sum_ += box.volume();
  ++res_.frames;
}

void RdfAccumulator::allreduce(MPI_Comm comm) {
  std::vector<std::vector<double>*> v;
  for (auto& c : res_.counts) v.push_back(&c);
  double frames = static_cast<double>(res_.frames);
  sum_over_ranks(comm, v, {&volume_sum_, &frames});
  res_.frames = static_cast<long>(frames);
}

RdfResult RdfAccumulator::result() const {
  RdfResult r = res_;
  if (r.frames == 0) throw AnalysisError("RDF of zero frames; select at least one frame");
  r.mean_volume = volume_sum_ / static_cast<double>(r.frames);
  const std::size_t nb = r.r.size();
  r.g.assign(groups_.size(), std::vector<double>(nb, 0.0));
  r.n.assign(groups_.size(), std::vector<double>(nb, 0.0));
  for (std::size_t p = 0; p < groups_.size(); ++p) {
    const double na = static_cast<double>(r.n_centres[p]);
    const double nb_atoms = static_cast<double>(r.n_neighbours[p]);
    const double npairs = same_[p] ? na * (na - 1.0) : na * nb_atoms;
    double cum = 0.0;
    for (std::size_t k = 0; k < nb; ++k) {
      const double shell = 4.0 / 3.0 * M_PI * (std::pow(r.edges[k + 1], 3) - std::pow(r.edges[k], 3));
      r.g[p][k] = r.counts[p][k] / (static_cast<double>(r.frames) * shell * npairs / r.mean_volume);
      cum += r.counts[p][k];
      r.n[p][k] = cum / (static_cast<double>(r.frames) * na);
    }
  }
  return r;
}

RdfResult compute_rdf(const TrajectorySource& traj, const RdfOptions& options, MPI_Comm comm) {
  const auto frames = options.range.resolve(traj.frames(), traj.path());
  RdfAccumulator acc(options, traj.species(), traj.path());
  const int rank = comm_rank(comm), size = comm_size(comm);
  Frame f;
  for (std::size_t k = static_cast<std::size_t>(rank); k < frames.size();
       k += static_cast<std::size_t>(size)) {
    traj.read(frames[k], f);
    acc.add_frame(f.box, f.positions);
  }
  acc.allreduce(comm);
  return acc.result();
}

void write_rdf_csv(const RdfResult& res, const std::string& path, const std::string& command_line) {
  CsvTable t;
  t.comments.push_back(command_line);
  t.comments.push_back("frames=" + std::to_string(res.frames) +
                       " mean_volume_A3=" + csv_number(res.mean_volume));
  t.add_column("r[Angstrom]", res.r);
  for (std::size_t p = 0; p < res.labels.size(); ++p) {
    t.add_column("g_" + res.labels[p] + "[1]", res.g[p]);
    t.add_column("n_" + res.labels[p] + "[1]", res.n[p]);
  }
  t.write(path);
}

}  // namespace e3md::analysis
