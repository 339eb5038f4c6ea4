#include "kernels/radial.hpp"

#include <stdexcept>

namespace e3md::kernels {

template <class Real>
void radial_embedding_cpu(const RadialParams<Real>& P, long num_edges, const Real* r, Real* b, Real* db) {
  if (!(P.r_max > 0) || P.num_basis <= 0 || !P.freq) {
    throw std::invalid_argument("radial embedding: r_max must be > 0 and num_basis > 0 with frequencies set");
  }
  const int nb = P.num_basis;
#pragma omp parallel for schedule(static)
  for (long e = 0; e < num_edges; ++e) radial_embedding(P, r[e], b + e * nb, db ? db + e * nb : nullptr);
}

template void radial_embedding_cpu<double>(const RadialParams<double>&, long, const double*, double*,
                                           double*);
template void radial_embedding_cpu<float>(const RadialParams<float>&, long, const float*, float*, float*);

}  // namespace e3md::kernels
