#include "engine/decomposition.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace e3md {

std::array<int, 3> choose_grid(const Box& box, int nranks) {
  if (nranks < 1) {
    throw std::runtime_error("choose_grid: number of ranks " + std::to_string(nranks) + " must be positive");
  }
  const double d[3] = {box.plane_spacing(0), box.plane_spacing(1), box.plane_spacing(2)};
  std::array<int, 3> best{{nranks, 1, 1}};
  double best_cost = std::numeric_limits<double>::infinity();
  // Ties go to the grid that splits the earlier axes: swaps run along x, then y, then z, and an unsplit axis
  // copies in memory, so unsplit trailing axes relay the edge and corner ghosts for free (a cube on 2 ranks:
  // 2x1x1 sends half the bytes of 1x1x2).
  for (int px = nranks; px >= 1; --px) {
    if (nranks % px != 0) continue;
    for (int py = nranks / px; py >= 1; --py) {
      if ((nranks / px) % py != 0) continue;
      const int pz = nranks / px / py;
      const double cost = px / d[0] + py / d[1] + pz / d[2];
      if (cost < best_cost * (1.0 - 1e-12)) {
        best_cost = cost;
        best = {{px, py, pz}};
      }
    }
  }
  return best;
}

void validate_grid(const std::array<int, 3>& grid, int nranks) {
  const long long product = static_cast<long long>(grid[0]) * grid[1] * grid[2];
  if (grid[0] < 1 || grid[1] < 1 || grid[2] < 1 || product != nranks) {
    throw std::runtime_error("processor grid " + std::to_string(grid[0]) + "x" + std::to_string(grid[1]) +
                             "x" + std::to_string(grid[2]) + " does not match " + std::to_string(nranks) +
                             " MPI ranks; give positive counts whose product is the rank count, or 0 0 0 to "
                             "choose automatically");
  }
}

int owner_coord(double s, int p) {
  if (!(s > 0.0)) return 0;  // also catches NaN, which callers reject before
  if (s >= 1.0) return p - 1;
  int c = static_cast<int>(std::floor(s * p));
  if (c > p - 1) c = p - 1;
  // floor(s·p) can disagree with the stored face positions c/p by one ulp; the faces are the truth.
  while (c > 0 && s < subdomain_bound(c, p)) --c;
  while (c < p - 1 && s >= subdomain_bound(c + 1, p)) ++c;
  return c;
}

int swaps_needed(double cutfrac, int p, bool periodic) {
  if (!(cutfrac > 0.0)) return 0;
  const double reach = std::ceil(cutfrac * p);
  int need = reach > 1e6 ? 1000000 : static_cast<int>(reach);
  if (!periodic && need > p - 1) need = p - 1;
  return need;
}

void check_nonperiodic_extent(const Box& box, const Vec3& s, AtomId id) {
  for (int k = 0; k < 3; ++k) {
    if (!std::isfinite(s[k])) {
      throw std::runtime_error("atom id " + std::to_string(id) + " has a non-finite position along axis " +
                               std::to_string(k) + "; check the time step and the forces");
    }
    if (box.periodic(k)) continue;
    if (s[k] < -1.0 || s[k] >= 2.0) {
      throw std::runtime_error("atom id " + std::to_string(id) + " is at fractional coordinate " +
                               std::to_string(s[k]) + " along non-periodic axis " + std::to_string(k) +
                               ", more than one cell length outside the cell; enlarge that cell vector "
                               "(more vacuum) or make the axis periodic");
    }
  }
}

}  // namespace e3md
