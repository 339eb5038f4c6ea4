// Row moves of per-atom fields (rows of `width` values): gather rows by an index list into a contiguous
// buffer (packing a halo message), add a buffer's rows back into the rows it names (summing ghost
// contributions into owners), and y += x. One E3MD_HD body per element; the CPU launchers here and the
// CUDA launchers (cuda_launchers.cu) call the same bodies.
#pragma once

#include "kernels/hd.hpp"

namespace e3md::kernels {

// Element (q, c) of a gather: dst[q][c] = src[index[q]][c].
template <class Real>
E3MD_HD_INLINE void gather_element(long q, int c, int width, const int* index, const Real* src, Real* dst) {
  dst[q * width + c] = src[static_cast<long>(index[q]) * width + c];
}

// Element (q, c) of an add-back: row q of `in` is added into row index[q], which is an owned row of `data`
// when index[q] < nlocal and row index[q] - nlocal of `ghost` otherwise (the ghost block's separate
// accumulator). Within one call the indices are distinct (an atom is sent once per swap), so elements never
// collide.
template <class Real>
E3MD_HD_INLINE void add_back_element(long q, int c, int width, const int* index, const Real* in, long nlocal,
                                     Real* data, Real* ghost) {
  const long i = index[q];
  Real* dst = i < nlocal ? data + i * width : ghost + (i - nlocal) * width;
  dst[c] += in[q * width + c];
}

template <class Real>
void gather_rows_cpu(long n, int width, const int* index, const Real* src, Real* dst) {
  for (long q = 0; q < n; ++q)
    for (int c = 0; c < width; ++c) gather_element(q, c, width, index, src, dst);
}

template <class Real>
void add_back_rows_cpu(long n, int width, const int* index, const Real* in, long nlocal, Real* data,
                       Real* ghost) {
  for (long q = 0; q < n; ++q)
    for (int c = 0; c < width; ++c) add_back_element(q, c, width, index, in, nlocal, data, ghost);
}

}  // namespace e3md::kernels
