// Radix-2 complex FFT (iterative Cooley–Tukey, twiddles from per-stage tables computed once per size, so
// the round-off does not grow with the recursion depth) and the FFT-based mean-squared displacement of
// 3-D series summed over atoms (Calandrini et al., Collection SFN 12, 201 (2011), the algorithm behind
// MDAnalysis' EinsteinMSD(fft=True) via tidynamics).
#pragma once

#include <mpi.h>

#include <array>
#include <complex>
#include <cstddef>
#include <vector>

#include "engine/types.hpp"

namespace e3md::analysis {

class Fft {
 public:
  // n must be a power of two.
  explicit Fft(std::size_t n);
  std::size_t size() const { return n_; }
  // In place; the inverse includes the 1/n factor. On split real and imaginary arrays (the fast form), or
  // on interleaved complex values (copied to split arrays and back).
  void forward(double* re, double* im) const { transform(re, im, false); }
  void inverse(double* re, double* im) const { transform(re, im, true); }
  void forward(std::complex<double>* a) const { transform(a, false); }
  // Forward transform of x = xr + i·xi (xi may be null: zero) of length T <= size()/2, zero-padded to size(),
  // into re/im (size() each). Cheaper than forward(): no permutation pass and no first stage.
  void forward_padded(const double* xr, const double* xi, std::size_t T, double* re, double* im) const;
  void inverse(std::complex<double>* a) const { transform(a, true); }

 private:
  void transform(std::complex<double>* a, bool inverse) const;
  void transform(double* re, double* im, bool inverse) const;
  template <bool Inverse>
  void run(double* re, double* im) const;
  template <bool Inverse>
  void stages(double* re, double* im, std::size_t from) const;
  std::size_t n_;
  std::vector<std::size_t> bitrev_;
  std::vector<double> twr_, twi_;  // per-stage twiddles, real and imaginary parts
};

std::size_t next_power_of_two(std::size_t n);

// Sum over atoms of the MSD of 3-D series by the FFT algorithm, msd_w(m) = Σ_atoms 1/(T−m) Σ_k
// Δ(k, m)ᵀ W Δ(k, m) with Δ(k, m) = u[k+m] − u[k], m = 0..T−1, for any symmetric weight W given at the end
// (d dᵀ for the projection on a unit vector d, the identity for the total). Everything kept is linear in the
// atoms — the cross spectra Σ Re(U_i U_j*) of the Cartesian components and their second moments
// Σ u_i(t) u_j(t) — so each atom costs 1.5 forward FFTs (two atoms' six real series in three complex ones)
// and the inverse transform runs once per weight, not once per atom. The FFT length is the next power of
// two >= 2T (zero padding makes the correlation acyclic); each series' mean is subtracted first so that large
// absolute coordinates do not cost precision.
class MsdSum {
 public:
  explicit MsdSum(std::size_t T);
  // Adds one atom's series, u[t * stride + k] for t < T and k = 0, 1, 2.
  void add(const double* u, std::size_t stride);
  // Adds everything `other` has accumulated (thread reductions).
  void merge(MsdSum& other);
  // Sums the accumulations of every rank of `comm` into each of them (collective).
  void allreduce(MPI_Comm comm);
  // The sum over atoms so far, for weight W (symmetrised).
  std::vector<double> msd(const Mat3& w);
  std::size_t length() const { return T_; }
  std::size_t atoms() const { return atoms_; }

 private:
  void flush();
  void transform_pending(bool two);
  std::size_t T_, atoms_ = 0;
  Fft fft_;
  std::vector<double> work_re_, work_im_;
  // Cross spectra for k = 0..N/2 and second moments for t < T, in the order xx, yy, zz, xy, xz, yz.
  std::array<std::vector<double>, 6> spec_, moment_;
  std::array<std::vector<double>, 6> pending_;  // centred x, y, z of up to two atoms waiting for a shared FFT
  int npending_ = 0;
  std::array<std::vector<std::array<std::complex<double>, 3>>, 2> spectra_;  // their U_x, U_y, U_z, k <= N/2
};

// Direct O(T²) MSD of one series, for tests and tiny series.
std::vector<double> msd_direct(const std::vector<double>& x);

}  // namespace e3md::analysis
