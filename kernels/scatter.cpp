#include "kernels/scatter.hpp"

#include <stdexcept>
#include <string>

namespace e3md::kernels {

void EdgeGroups::build(long num_atoms, long num_edges, const int* index) {
  start.assign(static_cast<std::size_t>(num_atoms + 1), 0);
  order.resize(static_cast<std::size_t>(num_edges));
  for (long e = 0; e < num_edges; ++e) {
    const int a = index[e];
    if (a < 0 || a >= num_atoms) {
      throw std::out_of_range("edge " + std::to_string(e) + " refers to atom " + std::to_string(a) +
                              ", outside 0.." + std::to_string(num_atoms - 1) +
                              "; the edge arrays and the atom count disagree");
    }
    ++start[static_cast<std::size_t>(a) + 1];
  }
  for (long a = 0; a < num_atoms; ++a) {
    start[static_cast<std::size_t>(a + 1)] += start[static_cast<std::size_t>(a)];
  }
  // Counting sort, stable in the edge id so that sums come out in the same order on every run.
  cursor.assign(start.begin(), start.end() - 1);
  for (long e = 0; e < num_edges; ++e) {
    order[static_cast<std::size_t>(cursor[static_cast<std::size_t>(index[e])]++)] = e;
  }
}

template <class Real>
void scatter_sum_cpu(long num_atoms, long num_edges, int dim, const int* index, const Real* msg, Real scale,
                     Real* out) {
  EdgeGroups g;
  g.build(num_atoms, num_edges, index);
#pragma omp parallel for schedule(dynamic, 16)
  for (long a = 0; a < num_atoms; ++a) {
    Real* o = out + a * dim;
    for (int q = 0; q < dim; ++q) o[q] = Real(0);
    for (long k = g.start[static_cast<std::size_t>(a)]; k < g.start[static_cast<std::size_t>(a + 1)]; ++k) {
      const Real* m = msg + g.order[static_cast<std::size_t>(k)] * dim;
      for (int q = 0; q < dim; ++q) o[q] += scale * m[q];
    }
  }
}

template void scatter_sum_cpu<double>(long, long, int, const int*, const double*, double, double*);
template void scatter_sum_cpu<float>(long, long, int, const int*, const float*, float, float*);

}  // namespace e3md::kernels
