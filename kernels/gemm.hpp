// Small row-major matrix products for the batched CPU launchers (radial MLP over a batch of edges,
// equivariant linears over a batch of atoms) and, with one row, for a device thread's vector-matrix product.
#pragma once

#include "kernels/hd.hpp"

namespace e3md::kernels {

// PanelBytes: bytes of a row of W that one register block covers. 64 (one cache line: 4 x 2 AVX2
// accumulators of 16 registers) suits every target; the CPU launchers pass 128 where AVX-512's 32 registers
// hold 4 x 2 full-width accumulators (kernels/cpu_simd.hpp). A template argument rather than a macro inside
// this header, so that every instantiation means the same code in every translation unit.

// TR x TN block of C = A W: the accumulators stay in registers over the whole K loop, each row of W is loaded
// once per TR rows of A and each element of A once per TN columns. The sum over k runs in order.
template <class Real, int TR, int TN>
E3MD_HD_INLINE void gemm_block(int K, int ldw, const Real* A, int lda, const Real* W, Real* C, int ldc) {
  Real acc[TR][TN];
  for (int r = 0; r < TR; ++r)
    for (int n = 0; n < TN; ++n) acc[r][n] = Real(0);
  for (int k = 0; k < K; ++k) {
    const Real* w = W + k * ldw;
    for (int r = 0; r < TR; ++r) {
      const Real a = A[r * lda + k];
      E3MD_SIMD
      for (int n = 0; n < TN; ++n) acc[r][n] += a * w[n];
    }
  }
  for (int r = 0; r < TR; ++r)
    for (int n = 0; n < TN; ++n) C[r * ldc + n] = acc[r][n];
}

// C (rows x N, leading dimension ldc) = A (rows x K, lda) W (K x N, row-major, leading dimension ldw); C
// overwritten. One row is a vector-matrix product (a device thread's edge); many rows make it a small matrix
// product (a CPU thread's batch of edges or atoms), with the same order of summation per element either way.
template <class Real, int PanelBytes = 64>
E3MD_HD void gemm_rows(int rows, int K, int N, const Real* A, int lda, const Real* W, int ldw, Real* C,
                       int ldc) {
  constexpr int TN = PanelBytes / static_cast<int>(sizeof(Real));
  constexpr int TR = 4;
  int n0 = 0;
  for (; n0 + TN <= N; n0 += TN) {  // column panel outside: W's K x TN panel stays in L1 over all rows
    int r0 = 0;
    for (; r0 + TR <= rows; r0 += TR)
      gemm_block<Real, TR, TN>(K, ldw, A + r0 * lda, lda, W + n0, C + r0 * ldc + n0, ldc);
    if (r0 + 2 <= rows) {
      gemm_block<Real, 2, TN>(K, ldw, A + r0 * lda, lda, W + n0, C + r0 * ldc + n0, ldc);
      r0 += 2;
    }
    if (r0 < rows) gemm_block<Real, 1, TN>(K, ldw, A + r0 * lda, lda, W + n0, C + r0 * ldc + n0, ldc);
  }
  if (n0 == N) return;
  for (int r = 0; r < rows; ++r) {  // columns left over: one row at a time, vectorised over the columns
    Real* c = C + r * ldc;
    for (int n = n0; n < N; ++n) c[n] = Real(0);
    for (int k = 0; k < K; ++k) {
      const Real a = A[r * lda + k];
      const Real* w = W + k * ldw;
      E3MD_SIMD
      for (int n = n0; n < N; ++n) c[n] += a * w[n];
    }
  }
}

}  // namespace e3md::kernels
