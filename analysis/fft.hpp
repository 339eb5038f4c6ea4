// Radix-2 complex FFT (iterative Cooley–Tukey, twiddles from a table computed once per size, so the
// round-off does not grow with the recursion depth) and the FFT-based mean-squared displacement of
// real series (Calandrini et al., Collection SFN 12, 201 (2011), the algorithm behind MDAnalysis'
// EinsteinMSD(fft=True) via tidynamics).
#pragma once

#include <complex>
#include <cstddef>
#include <vector>

namespace e3md::analysis {

class Fft {
 public:
  // n must be a power of two.
  explicit Fft(std::size_t n);
  std::size_t size() const { return n_; }
  // In place; the inverse includes the 1/n factor.
  void forward(std::complex<double>* a) const { transform(a, false); }
  void inverse(std::complex<double>* a) const { transform(a, true); }

 private:
  void transform(std::complex<double>* a, bool inverse) const;
  std::size_t n_;
  std::vector<std::size_t> bitrev_;
  std::vector<std::complex<double>> twiddle_;  // exp(-2πi k/n), k < n/2
};

std::size_t next_power_of_two(std::size_t n);

// MSD of series by the FFT algorithm. Computes, for two real series x and y of length T at once (one
// complex FFT carries both), msd[m] = 1/(T−m) Σ_k (x[k+m] − x[k])², m = 0..T−1, and adds it to
// out_x / out_y. The FFT length is the next power of two >= 2T (zero padding makes the correlation
// acyclic). The mean is subtracted first so that large absolute coordinates do not cost precision.
class MsdFft {
 public:
  explicit MsdFft(std::size_t T);
  void add_pair(const double* x, const double* y, double* out_x, double* out_y);
  std::size_t length() const { return T_; }

 private:
  std::size_t T_;
  Fft fft_;
  std::vector<std::complex<double>> work_, spec_;
  std::vector<double> xs_, ys_;
};

// Direct O(T²) MSD of one series, for tests and tiny series.
std::vector<double> msd_direct(const std::vector<double>& x);

}  // namespace e3md::analysis
