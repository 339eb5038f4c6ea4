// Host-and-device marker for per-element bodies. Every per-edge / per-atom computation is written once as an
// E3MD_HD function; the CPU launchers (OpenMP) and the CUDA launchers call the same code, so the CPU tests
// exercise the exact arithmetic the GPU build runs.
#pragma once

#include <cmath>

#if defined(__CUDACC__)
#define E3MD_HD __host__ __device__
#define E3MD_HD_INLINE __host__ __device__ __forceinline__
#else
#define E3MD_HD
#define E3MD_HD_INLINE inline
#endif

// Marks a short inner loop over contiguous data for SIMD on the host. Without it GCC's superword
// vectoriser spreads register-blocked loops (gemm_block) across the wrong dimension and spills to the stack.
// E3MD_SIMD_SUM(v) does the same for a loop that sums into the scalar v.
#define E3MD_PRAGMA(x) _Pragma(#x)
#if defined(_OPENMP) && !defined(__CUDA_ARCH__)
#define E3MD_SIMD _Pragma("omp simd")
#define E3MD_SIMD_SUM(v) E3MD_PRAGMA(omp simd reduction(+ : v))
#else
#define E3MD_SIMD
#define E3MD_SIMD_SUM(v)
#endif

namespace e3md::kernels {

// Overloads that pick the precision of the argument on host and device alike (std:: is not device code).
E3MD_HD_INLINE double hd_sqrt(double x) { return sqrt(x); }
E3MD_HD_INLINE float hd_sqrt(float x) { return sqrtf(x); }
E3MD_HD_INLINE double hd_sin(double x) { return sin(x); }
E3MD_HD_INLINE float hd_sin(float x) { return sinf(x); }
E3MD_HD_INLINE double hd_cos(double x) { return cos(x); }
E3MD_HD_INLINE float hd_cos(float x) { return cosf(x); }
E3MD_HD_INLINE double hd_exp(double x) { return exp(x); }
E3MD_HD_INLINE float hd_exp(float x) { return expf(x); }
E3MD_HD_INLINE double hd_tanh(double x) { return tanh(x); }
E3MD_HD_INLINE float hd_tanh(float x) { return tanhf(x); }
E3MD_HD_INLINE double hd_pow(double x, double y) { return pow(x, y); }
E3MD_HD_INLINE float hd_pow(float x, float y) { return powf(x, y); }

}  // namespace e3md::kernels
