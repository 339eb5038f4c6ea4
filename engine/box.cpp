#include "engine/box.hpp"

#include <Eigen/Geometry>  // cross()
#include <Eigen/LU>
#include <cmath>
#include <stdexcept>
#include <string>

namespace e3md {

Box::Box() : cell_(Mat3::Identity()), inverse_(Mat3::Identity()) {}

Box::Box(const Mat3& cell_rows, const std::array<bool, 3>& periodic) : periodic_(periodic) {
  set_cell(cell_rows);
}

void Box::set_cell(const Mat3& cell_rows) {
  const double det = cell_rows.determinant();
  if (!(det > 1e-12)) {
    throw std::invalid_argument("cell vectors are singular or left-handed (det = " + std::to_string(det) +
                                " Å³); give a, b, c as a right-handed set");
  }
  cell_ = cell_rows;
  inverse_ = cell_rows.inverse();
}

double Box::volume() const { return cell_.determinant(); }

double Box::plane_spacing(int k) const {
  const Vec3 a = vector((k + 1) % 3);
  const Vec3 b = vector((k + 2) % 3);
  return volume() / a.cross(b).norm();
}

Vec3 Box::wrap(const Vec3& x, Vec3i& image) const {
  // Only atoms that actually cross a face are moved, by a whole lattice vector, so that positions inside
  // the cell are never touched by the fractional round trip.
  Vec3 out = x;
  for (int pass = 0; pass < 2; ++pass) {  // a second pass catches round-off landing exactly on s = 1
    const Vec3 s = to_fractional(out);
    Vec3i n = Vec3i::Zero();
    for (int k = 0; k < 3; ++k) {
      if (periodic_[static_cast<std::size_t>(k)]) n[k] = static_cast<int>(std::floor(s[k]));
    }
    if (n.isZero()) break;
    out -= shift(n);
    image += n;
  }
  return out;
}

Vec3 Box::minimum_image(const Vec3& dx) const {
  Vec3 s = to_fractional(dx);
  for (int k = 0; k < 3; ++k) {
    if (periodic_[static_cast<std::size_t>(k)]) s[k] -= std::round(s[k]);
  }
  return to_cartesian(s);
}

}  // namespace e3md
