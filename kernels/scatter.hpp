// Scatter-sum of per-edge rows onto atoms, and the compressed (CSR) grouping of edges by atom that the
// CPU launchers use to write each atom's row from one thread (deterministic, no atomics).
#pragma once

#include <vector>

namespace e3md::kernels {

// Edges grouped by an index array: edges of atom a are order[start[a] .. start[a+1]), in increasing edge id.
struct EdgeGroups {
  std::vector<long> start;
  std::vector<long> order;
  std::vector<long> cursor;  // scratch of build()
  // Rebuilds in place (no allocation once the capacity suffices). Throws std::out_of_range naming the edge
  // when an index is outside 0..num_atoms-1.
  void build(long num_atoms, long num_edges, const int* index);
};

// out[a] = scale * sum_{e: index[e] = a} msg[e], rows of `dim`; out is overwritten (num_atoms x dim).
template <class Real>
void scatter_sum_cpu(long num_atoms, long num_edges, int dim, const int* index, const Real* msg, Real scale,
                     Real* out);

}  // namespace e3md::kernels
