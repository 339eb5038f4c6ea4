// Basic value types shared by every layer above kernels/.
#pragma once

#include <Eigen/Core>
#include <array>
#include <cstdint>

namespace e3md {

using Vec3 = Eigen::Vector3d;
using Mat3 = Eigen::Matrix3d;
using Vec3i = Eigen::Vector3i;

// Global atom identifier: the 0-based position of the atom in the structure it was read from or built as.
using AtomId = std::int64_t;

}  // namespace e3md
