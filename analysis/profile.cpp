#include "analysis/profile.hpp"

#include <cmath>
#include <limits>

#include "analysis/cell_list.hpp"
#include "analysis/csv.hpp"

namespace e3md::analysis {

ProfileResult compute_profile(const TrajectorySource& traj, const ProfileOptions& opt) {
  const std::string& path = traj.path();
  if (opt.axis < 0 || opt.axis > 2) throw AnalysisError(path + ": profile axis must be a, b or c");
  if (opt.bins < 1) throw AnalysisError(path + ": profile needs at least one bin (--bins)");
  if (!(opt.neighbour_cutoff > 0.0) || !(opt.nn_search > 0.0)) {
    throw AnalysisError(path + ": profile cutoffs must be positive (--cutoff, --nn-search)");
  }
  const auto frames = opt.range.resolve(traj.frames(), path);
  const auto& species = traj.species();
  ProfileResult res;
  res.species = opt.species.empty() ? distinct_species(species) : opt.species;
  std::vector<std::vector<int>> sel;
  for (const auto& s : res.species) sel.push_back(select_species(species, {s}, path));
  const std::vector<int> nsel = select_species(species, {opt.neighbour_species}, path);

  const auto nb = static_cast<std::size_t>(opt.bins);
  res.density.assign(res.species.size(), std::vector<double>(nb, 0.0));
  std::vector<double> nn_sum(nb, 0.0), coord_sum(nb, 0.0);
  res.samples.assign(nb, 0.0);
  const double search = std::max(opt.nn_search, opt.neighbour_cutoff);
  const double cut2 = opt.neighbour_cutoff * opt.neighbour_cutoff;
  double spacing_sum = 0.0;
  auto bin_of = [&](const Box& box, const Vec3& x) {
    double s = box.to_fractional(x)[opt.axis];
    if (box.periodic(opt.axis)) s -= std::floor(s);
    if (s < 0.0 || s >= 1.0) return -1;
    return std::min(static_cast<int>(s * opt.bins), opt.bins - 1);
  };
  Frame f;
  for (std::int64_t i : frames) {
    traj.read(i, f);
    spacing_sum += f.box.plane_spacing(opt.axis);
    const double bin_volume = f.box.volume() / opt.bins;
    for (std::size_t s = 0; s < sel.size(); ++s) {
      for (int a : sel[s]) {
        const int b = bin_of(f.box, f.positions[static_cast<std::size_t>(a)]);
        if (b >= 0) res.density[s][static_cast<std::size_t>(b)] += 1.0 / bin_volume;
      }
    }
    const CellList cells(f.box, f.positions, nsel, search);
    for (int a : nsel) {
      const int b = bin_of(f.box, f.positions[static_cast<std::size_t>(a)]);
      if (b < 0) continue;
      double best = std::numeric_limits<double>::infinity();
      int count = 0;
      cells.visit(cells.wrapped(f.positions[static_cast<std::size_t>(a)]), a, [&](int, const Vec3&, double r2) {
        best = std::min(best, r2);
        if (r2 <= cut2) ++count;
      });
      if (!std::isfinite(best)) {
        ++res.nn_not_found;
        continue;
      }
      nn_sum[static_cast<std::size_t>(b)] += std::sqrt(best);
      coord_sum[static_cast<std::size_t>(b)] += count;
      res.samples[static_cast<std::size_t>(b)] += 1.0;
    }
    ++res.frames;
  }
  res.mean_spacing = spacing_sum / static_cast<double>(res.frames);
  res.z.resize(nb);
  res.nn_distance.resize(nb);
  res.coordination.resize(nb);
  for (std::size_t b = 0; b < nb; ++b) {
    res.z[b] = (static_cast<double>(b) + 0.5) / opt.bins * res.mean_spacing;
    for (auto& d : res.density) d[b] /= static_cast<double>(res.frames);
    const double n = res.samples[b];
    res.nn_distance[b] = n > 0 ? nn_sum[b] / n : std::numeric_limits<double>::quiet_NaN();
    res.coordination[b] = n > 0 ? coord_sum[b] / n : std::numeric_limits<double>::quiet_NaN();
  }
  return res;
}

void write_profile_csv(const ProfileResult& res, const ProfileOptions& opt, const std::string& path,
                       const std::string& command_line) {
  CsvTable t;
  t.comments.push_back(command_line);
  const char* axes = "abc";
  t.comments.push_back(std::string("axis=") + axes[opt.axis] + " frames=" + std::to_string(res.frames) +
                       " spacing_A=" + csv_number(res.mean_spacing) + " nn_not_found=" +
                       std::to_string(res.nn_not_found));
  t.add_column("z[Angstrom]", res.z);
  for (std::size_t s = 0; s < res.species.size(); ++s) t.add_column("rho_" + res.species[s] + "[Angstrom^-3]", res.density[s]);
  const std::string& ns = opt.neighbour_species;
  t.add_column("nn_" + ns + "-" + ns + "[Angstrom]", res.nn_distance);
  t.add_column("cn_" + ns + "-" + ns + "_" + csv_number(opt.neighbour_cutoff) + "A[1]", res.coordination);
  t.add_column("samples_" + ns + "[1]", res.samples);
  t.write(path);
}

}  // namespace e3md::analysis
