#include "analysis/cell_list.hpp"

#include <algorithm>
#include <limits>

#include "analysis/analysis_error.hpp"

namespace e3md::analysis {

CellList::CellList(const Box& box, const std::vector<Vec3>& positions, const std::vector<int>& members,
                   double cutoff)
    : box_(box), cutoff_(cutoff), cutoff2_(cutoff * cutoff) {
  if (!(cutoff > 0.0))
    throw AnalysisError("pair search cutoff must be positive (got " + std::to_string(cutoff) + " Å)");
  // Fractional extent per direction: [0, 1) when periodic, the atoms' span when not.
  std::array<double, 3> hi{{1, 1, 1}};
  for (int k = 0; k < 3; ++k) {
    if (box.periodic(k)) continue;
    double mn = std::numeric_limits<double>::infinity(), mx = -mn;
    for (int i : members) {
      const double sk = box.to_fractional(positions[static_cast<std::size_t>(i)])[k];
      mn = std::min(mn, sk);
      mx = std::max(mx, sk);
    }
    if (members.empty()) mn = 0.0, mx = 1.0;
    lo_[static_cast<std::size_t>(k)] = mn;
    hi[static_cast<std::size_t>(k)] = mx + 1e-9;
  }
  // Cells per direction: about two per cutoff, capped so that tiny cutoffs do not make huge grids.
  const double n = static_cast<double>(std::max<std::size_t>(members.size(), 1));
  const double cap = std::max(1.0, std::cbrt(4.0 * n)) + 1.0;
  for (int k = 0; k < 3; ++k) {
    const auto uk = static_cast<std::size_t>(k);
    const double thickness = (hi[uk] - lo_[uk]) * box.plane_spacing(k);  // Å perpendicular to the planes
    int m = static_cast<int>(std::floor(2.0 * thickness / cutoff));
    m = std::max(1, std::min(m, static_cast<int>(cap)));
    m_[uk] = m;
    width_[uk] = (hi[uk] - lo_[uk]) / m;
    reach_[uk] = static_cast<int>(std::ceil(cutoff / (thickness / m) - 1e-12));
    if (!box.periodic(k)) reach_[uk] = std::min(reach_[uk], m);
    for (int v = -reach_[uk]; v < m + reach_[uk]; ++v) {
      const int n_img = static_cast<int>(std::floor(static_cast<double>(v) / m));
      if (box.periodic(k)) {
        wrap_[uk].push_back({v - n_img * m, n_img});
      } else {
        wrap_[uk].push_back({(v < 0 || v >= m) ? -1 : v, 0});
      }
    }
  }
  const std::size_t ncell =
      static_cast<std::size_t>(m_[0]) * static_cast<std::size_t>(m_[1]) * static_cast<std::size_t>(m_[2]);
  std::vector<int> cell_of_member(members.size());
  std::vector<Vec3> wx(members.size());
  start_.assign(ncell + 1, 0);
  for (std::size_t e = 0; e < members.size(); ++e) {
    wx[e] = wrapped(positions[static_cast<std::size_t>(members[e])]);
    const auto c = cell_of(box.to_fractional(wx[e]));
    cell_of_member[e] = (c[2] * m_[1] + c[1]) * m_[0] + c[0];
    ++start_[static_cast<std::size_t>(cell_of_member[e]) + 1];
  }
  for (std::size_t c = 0; c < ncell; ++c) start_[c + 1] += start_[c];
  std::vector<int> fill(start_.begin(), start_.end() - 1);
  sx_.resize(members.size());
  sidx_.resize(members.size());
  for (auto& v : sxs_) v.resize(members.size());
  for (std::size_t e = 0; e < members.size(); ++e) {
    const auto slot = static_cast<std::size_t>(fill[static_cast<std::size_t>(cell_of_member[e])]++);
    sx_[slot] = wx[e];
    sidx_[slot] = members[e];
    for (std::size_t k = 0; k < 3; ++k) sxs_[k][slot] = wx[e][static_cast<Eigen::Index>(k)];
  }
}

Vec3 CellList::wrapped(const Vec3& x) const {
  Vec3 s = box_.to_fractional(x);
  Vec3 shift = Vec3::Zero();
  for (int k = 0; k < 3; ++k) {
    if (box_.periodic(k)) shift[k] = std::floor(s[k]);
  }
  return x - box_.to_cartesian(shift);
}

std::array<int, 3> CellList::cell_of(const Vec3& s) const {
  std::array<int, 3> c{};
  for (int k = 0; k < 3; ++k) {
    const auto uk = static_cast<std::size_t>(k);
    int v = static_cast<int>(std::floor((s[k] - lo_[uk]) / width_[uk]));
    c[uk] = std::min(std::max(v, 0), m_[uk] - 1);  // round-off at the faces only
  }
  return c;
}

}  // namespace e3md::analysis
