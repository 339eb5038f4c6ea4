#include "analysis/fft.hpp"

#include <cmath>

#include "analysis/analysis_error.hpp"

namespace e3md::analysis {

std::size_t next_power_of_two(std::size_t n) {
  std::size_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

Fft::Fft(std::size_t n) : n_(n) {
  if (n == 0 || (n & (n - 1)) != 0) throw AnalysisError("FFT size " + std::to_string(n) + " is not a power of two");
  bitrev_.resize(n);
  std::size_t bits = 0;
  while ((std::size_t{1} << bits) < n) ++bits;
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t r = 0;
    for (std::size_t b = 0; b < bits; ++b) r |= ((i >> b) & 1u) << (bits - 1 - b);
    bitrev_[i] = r;
  }
  twiddle_.resize(std::max<std::size_t>(n / 2, 1));
  for (std::size_t k = 0; k < twiddle_.size(); ++k) {
    const double ang = -2.0 * M_PI * static_cast<double>(k) / static_cast<double>(n);
    twiddle_[k] = {std::cos(ang), std::sin(ang)};
  }
}

void Fft::transform(std::complex<double>* a, bool inverse) const {
  for (std::size_t i = 0; i < n_; ++i) {
    if (i < bitrev_[i]) std::swap(a[i], a[bitrev_[i]]);
  }
  for (std::size_t len = 2; len <= n_; len <<= 1) {
    const std::size_t half = len / 2, step = n_ / len;
    for (std::size_t s = 0; s < n_; s += len) {
      for (std::size_t k = 0; k < half; ++k) {
        const std::complex<double> w = twiddle_[k * step];
        const double wr = w.real(), wi = inverse ? -w.imag() : w.imag();
        const std::complex<double> b = a[s + k + half];
        // Written out: std::complex's operator* handles inf/NaN (a library call without -ffast-math).
        const std::complex<double> u = a[s + k], v(b.real() * wr - b.imag() * wi, b.real() * wi + b.imag() * wr);
        a[s + k] = u + v;
        a[s + k + half] = u - v;
      }
    }
  }
  if (inverse) {
    const double inv = 1.0 / static_cast<double>(n_);
    for (std::size_t i = 0; i < n_; ++i) a[i] *= inv;
  }
}

MsdFft::MsdFft(std::size_t T) : T_(T), fft_(next_power_of_two(2 * std::max<std::size_t>(T, 1))) {
  work_.resize(fft_.size());
  spec_.resize(fft_.size());
  xs_.resize(T);
  ys_.resize(T);
}

void MsdFft::add_pair(const double* x, const double* y, double* out_x, double* out_y) {
  const std::size_t T = T_, N = fft_.size();
  double mx = 0.0, my = 0.0;
  for (std::size_t k = 0; k < T; ++k) mx += x[k], my += y[k];
  mx /= static_cast<double>(T);
  my /= static_cast<double>(T);
  for (std::size_t k = 0; k < T; ++k) {
    xs_[k] = x[k] - mx;
    ys_[k] = y[k] - my;
    work_[k] = {xs_[k], ys_[k]};
  }
  for (std::size_t k = T; k < N; ++k) work_[k] = 0.0;
  fft_.forward(work_.data());
  // Z = X + iY with X, Y the transforms of the real series: X_k = (Z_k + Z*_{N−k})/2, Y_k = (Z_k − Z*_{N−k})/2i.
  // |X_k|² and |Y_k|² are real and even, so one inverse of |X|² + i|Y|² gives both autocorrelations.
  std::vector<std::complex<double>>& spec = spec_;
  for (std::size_t k = 0; k < N; ++k) {
    const std::complex<double> z = work_[k], zc = std::conj(work_[(N - k) % N]);
    const double px = std::norm(0.5 * (z + zc));
    const double py = std::norm(0.5 * (z - zc));
    spec[k] = {px, py};
  }
  fft_.inverse(spec.data());
  // S1(m) = 1/(T−m) Σ_{k=0}^{T−1−m} (x[k]² + x[k+m]²), built by the recursion of Calandrini et al.
  double qx = 0.0, qy = 0.0;
  for (std::size_t k = 0; k < T; ++k) qx += 2.0 * xs_[k] * xs_[k], qy += 2.0 * ys_[k] * ys_[k];
  for (std::size_t m = 0; m < T; ++m) {
    if (m > 0) {
      qx -= xs_[m - 1] * xs_[m - 1] + xs_[T - m] * xs_[T - m];
      qy -= ys_[m - 1] * ys_[m - 1] + ys_[T - m] * ys_[T - m];
    }
    const double inv = 1.0 / static_cast<double>(T - m);
    out_x[m] += (qx - 2.0 * spec[m].real()) * inv;
    out_y[m] += (qy - 2.0 * spec[m].imag()) * inv;
  }
}

std::vector<double> msd_direct(const std::vector<double>& x) {
  const std::size_t T = x.size();
  std::vector<double> out(T, 0.0);
  for (std::size_t m = 0; m < T; ++m) {
    double s = 0.0;
    for (std::size_t k = 0; k + m < T; ++k) s += (x[k + m] - x[k]) * (x[k + m] - x[k]);
    out[m] = s / static_cast<double>(T - m);
  }
  return out;
}

}  // namespace e3md::analysis
