#include "analysis/rdf.hpp"

#include <cmath>

#include "analysis/cell_list.hpp"
#include "analysis/csv.hpp"

namespace e3md::analysis {

RdfAccumulator::RdfAccumulator(const RdfOptions& options, const std::vector<std::string>& species,
                               const std::string& source)
    : opt_(options) {
  if (!(opt_.r_max > opt_.r_min) || opt_.r_min < 0.0) {
    throw AnalysisError(source + ": RDF range needs 0 <= r_min < r_max (got " + std::to_string(opt_.r_min) + ", " +
                        std::to_string(opt_.r_max) + " Å); set --rmin/--rmax");
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

void RdfAccumulator::add_frame(const Box& box, const std::vector<Vec3>& positions) {
  const double rmin2 = opt_.r_min * opt_.r_min;
  const double inv_dr = opt_.bins / (opt_.r_max - opt_.r_min);
  const int last = opt_.bins - 1;
  for (std::size_t p = 0; p < groups_.size(); ++p) {
    const auto& centres = groups_[p].first;
    const CellList cells(box, positions, groups_[p].second, opt_.r_max);
    std::vector<double>& out = res_.counts[p];
    const bool same = same_[p];
    // Centres sorted by cell (counting sort), so that each cell's neighbour cells are found once per batch.
    const int ncell = cells.cells();
    std::vector<int> first(static_cast<std::size_t>(ncell) + 1, 0), cell_of(centres.size());
    std::vector<Vec3> wx(centres.size());
    for (std::size_t c = 0; c < centres.size(); ++c) {
      wx[c] = cells.wrapped(positions[static_cast<std::size_t>(centres[c])]);
      cell_of[c] = cells.cell_index(wx[c]);
      ++first[static_cast<std::size_t>(cell_of[c]) + 1];
    }
    for (int c = 0; c < ncell; ++c) first[static_cast<std::size_t>(c) + 1] += first[static_cast<std::size_t>(c)];
    std::vector<int> fill(first.begin(), first.end() - 1), ids(centres.size());
    std::vector<Vec3> xs(centres.size());
    for (std::size_t c = 0; c < centres.size(); ++c) {
      const auto slot = static_cast<std::size_t>(fill[static_cast<std::size_t>(cell_of[c])]++);
      ids[slot] = centres[c];
      xs[slot] = wx[c];
    }
#pragma omp parallel
    {
      // Per-thread integer histogram: exact counts, summed once per frame. Slot `bins` collects candidates
      // outside [r_min, r_max] (and an atom with itself), so the loop bins without unpredictable branches.
      std::vector<long long> hist(static_cast<std::size_t>(opt_.bins) + 1, 0);
      const double rmax2 = opt_.r_max * opt_.r_max, rmin = opt_.r_min;
      const int trash = opt_.bins;
      auto bin = [&](double r2) {
        const int k = std::min(static_cast<int>((std::sqrt(r2) - rmin) * inv_dr), last);
        return (r2 <= rmax2 && r2 >= rmin2) ? k : trash;
      };
#pragma omp for schedule(dynamic, 8)
      for (int c = 0; c < ncell; ++c) {
        const int b = first[static_cast<std::size_t>(c)], n = first[static_cast<std::size_t>(c) + 1] - b;
        if (n == 0) continue;
        const Vec3* bx = xs.data() + b;
        const int* bi = ids.data() + b;
        if (same) {
          // A group with itself: each unordered pair once, counted twice; an atom's own images (j == i)
          // are visited for +n and −n already, so once each; the zero-shift self pair not at all.
          cells.visit_cell<true, true>(c, bx, bi, n, [&](int a, int j, double r2, bool zero_shift) {
            const int w = j == bi[a] ? (zero_shift ? 0 : 1) : 2;
            hist[static_cast<std::size_t>(bin(r2))] += w;
          });
        } else {
          cells.visit_cell<false, true>(c, bx, bi, n, [&](int a, int j, double r2, bool zero_shift) {
            hist[static_cast<std::size_t>(bin(r2))] += (j == bi[a] && zero_shift) ? 0 : 1;
          });
        }
      }
#pragma omp critical
      for (std::size_t k = 0; k < out.size(); ++k) out[k] += static_cast<double>(hist[k]);
    }
  }
  volume_sum_ += box.volume();
  ++res_.frames;
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

RdfResult compute_rdf(const TrajectorySource& traj, const RdfOptions& options) {
  const auto frames = options.range.resolve(traj.frames(), traj.path());
  RdfAccumulator acc(options, traj.species(), traj.path());
  Frame f;
  for (std::int64_t i : frames) {
    traj.read(i, f);
    acc.add_frame(f.box, f.positions);
  }
  return acc.result();
}

void write_rdf_csv(const RdfResult& res, const std::string& path, const std::string& command_line) {
  CsvTable t;
  t.comments.push_back(command_line);
  t.comments.push_back("frames=" + std::to_string(res.frames) + " mean_volume_A3=" + csv_number(res.mean_volume));
  t.add_column("r[Angstrom]", res.r);
  for (std::size_t p = 0; p < res.labels.size(); ++p) {
    t.add_column("g_" + res.labels[p] + "[1]", res.g[p]);
    t.add_column("n_" + res.labels[p] + "[1]", res.n[p]);
  }
  t.write(path);
}

}  // namespace e3md::analysis
