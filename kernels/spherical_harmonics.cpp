#include "kernels/spherical_harmonics.hpp"

#include <stdexcept>
#include <string>

namespace e3md::kernels {

template <class Real>
void spherical_harmonics_cpu(int lmax, long num_edges, const Real* r, Real* Y, Real* dY) {
  if (lmax < 0 || lmax > kShLmaxMax) {
    throw std::invalid_argument("spherical harmonics: lmax = " + std::to_string(lmax) + " is outside 0.." +
                                std::to_string(kShLmaxMax) +
                                "; raise kShLmaxMax in kernels/spherical_harmonics.hpp");
  }
  const int dim = sh_dim(lmax);
#pragma omp parallel for schedule(static)
  for (long e = 0; e < num_edges; ++e) {
    spherical_harmonics<Real>(lmax, r + 3 * e, Y + e * dim, dY ? dY + e * 3 * dim : nullptr);
  }
}

template void spherical_harmonics_cpu<double>(int, long, const double*, double*, double*);
template void spherical_harmonics_cpu<float>(int, long, const float*, float*, float*);

}  // namespace e3md::kernels
