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
    const long nc = static_cast<long>(centres.size());
#pragma omp parallel
    {
      // Per-thread integer histogram: exact counts, summed once per frame.
      std::vector<long long> hist(static_cast<std::size_t>(opt_.bins), 0);
#pragma omp for schedule(dynamic, 64)
      for (long c = 0; c < nc; ++c) {
        const int i = centres[static_cast<std::size_t>(c)];
        const Vec3 x = cells.wrapped(positions[static_cast<std::size_t>(i)]);
        cells.visit(x, i, [&](int, const Vec3&, double r2) {
          if (r2 < rmin2) return;
          const int k = std::min(static_cast<int>((std::sqrt(r2) - opt_.r_min) * inv_dr), last);
          ++hist[static_cast<std::size_t>(k)];
        });
      }
#pragma omp critical
      for (std::size_t k = 0; k < hist.size(); ++k) out[k] += static_cast<double>(hist[k]);
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
