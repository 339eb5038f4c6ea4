#include "analysis/fft.hpp"

#include <algorithm>
#include <cmath>

#include "analysis/analysis_error.hpp"

namespace e3md::analysis {

std::size_t next_power_of_two(std::size_t n) {
  std::size_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

Fft::Fft(std::size_t n) : n_(n) {
  if (n == 0 || (n & (n - 1)) != 0)
    throw AnalysisError("FFT size " + std::to_string(n) + " is not a power of two");
  bitrev_.resize(n);
  std::size_t bits = 0;
  while ((std::size_t{1} << bits) < n) ++bits;
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t r = 0;
    for (std::size_t b = 0; b < bits; ++b) r |= ((i >> b) & 1u) << (bits - 1 - b);
    bitrev_[i] = r;
  }
  // Stage tables: the stage of butterfly span `half` reads exp(−iπ k/half), k < half, from index half + k,
  // each value computed directly (not by recursion), so the round-off does not grow with the depth.
  twr_.assign(std::max<std::size_t>(n, 2), 0.0);
  twi_.assign(std::max<std::size_t>(n, 2), 0.0);
  for (std::size_t half = 1; half < n; half <<= 1) {
    for (std::size_t k = 0; k < half; ++k) {
      const double ang = -M_PI * static_cast<double>(k) / static_cast<double>(half);
      twr_[half + k] = std::cos(ang);
      twi_[half + k] = std::sin(ang);
    }
  }
}

void Fft::transform(std::complex<double>* a, bool inverse) const {
  if (inverse) {
    run<true>(reinterpret_cast<double*>(a));
    const double inv = 1.0 / static_cast<double>(n_);
    for (std::size_t i = 0; i < n_; ++i) a[i] *= inv;
  } else {
    run<false>(reinterpret_cast<double*>(a));
  }
}

// Iterative radix-2 on interleaved (re, im) doubles: bit-reversal permutation, the first two stages without
// multiplications (twiddles 1 and ∓i), then stages with contiguous twiddle tables.
template <bool Inverse>
void Fft::run(double* a) const {
  const std::size_t n = n_;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t r = bitrev_[i];
    if (i < r) {
      std::swap(a[2 * i], a[2 * r]);
      std::swap(a[2 * i + 1], a[2 * r + 1]);
    }
  }
  if (n >= 2) {
    for (std::size_t i = 0; i < 2 * n; i += 4) {
      const double ur = a[i], ui = a[i + 1], vr = a[i + 2], vi = a[i + 3];
      a[i] = ur + vr, a[i + 1] = ui + vi, a[i + 2] = ur - vr, a[i + 3] = ui - vi;
    }
  }
  if (n >= 4) {
    for (std::size_t s = 0; s < 2 * n; s += 8) {
      double* p = a + s;
      // k = 0: w = 1; k = 1: w = −i (forward) or +i (inverse).
      const double ur = p[0], ui = p[1], vr = p[4], vi = p[5];
      p[0] = ur + vr, p[1] = ui + vi, p[4] = ur - vr, p[5] = ui - vi;
      const double xr = p[2], xi = p[3], br = p[6], bi = p[7];
      const double yr = Inverse ? -bi : bi, yi = Inverse ? br : -br;
      p[2] = xr + yr, p[3] = xi + yi, p[6] = xr - yr, p[7] = xi - yi;
    }
  }
  for (std::size_t half = 4; half < n; half <<= 1) {
    const double* wr = twr_.data() + half;
    const double* wi = twi_.data() + half;
    for (std::size_t s = 0; s < n; s += 2 * half) {
      double* p = a + 2 * s;
      double* q = p + 2 * half;
      for (std::size_t k = 0; k < half; ++k) {
        const double c = wr[k], d = Inverse ? -wi[k] : wi[k];
        const double br = q[2 * k], bi = q[2 * k + 1];
        const double vr = br * c - bi * d, vi = br * d + bi * c;
        const double ur = p[2 * k], ui = p[2 * k + 1];
        p[2 * k] = ur + vr, p[2 * k + 1] = ui + vi;
        q[2 * k] = ur - vr, q[2 * k + 1] = ui - vi;
      }
    }
  }
}

MsdSum::MsdSum(std::size_t T) : T_(T), fft_(next_power_of_two(2 * std::max<std::size_t>(T, 1))) {
  if (T == 0) throw AnalysisError("MSD of an empty series");
  work_.resize(fft_.size());
  for (auto& v : spec_) v.assign(fft_.size() / 2 + 1, 0.0);
  for (auto& v : moment_) v.assign(T, 0.0);
  for (auto& v : pending_) v.resize(T);
  for (auto& v : spectra_) v.resize(fft_.size() / 2 + 1);
}

void MsdSum::add(const double* u, std::size_t stride) {
  const std::size_t T = T_;
  double* c[3] = {pending_[static_cast<std::size_t>(3 * npending_)].data(),
                  pending_[static_cast<std::size_t>(3 * npending_ + 1)].data(),
                  pending_[static_cast<std::size_t>(3 * npending_ + 2)].data()};
  for (std::size_t k = 0; k < 3; ++k) {
    double mean = 0.0;
    for (std::size_t t = 0; t < T; ++t) mean += u[t * stride + k];
    mean /= static_cast<double>(T);
    for (std::size_t t = 0; t < T; ++t) c[k][t] = u[t * stride + k] - mean;
  }
  for (std::size_t t = 0; t < T; ++t) {
    const double x = c[0][t], y = c[1][t], z = c[2][t];
    moment_[0][t] += x * x, moment_[1][t] += y * y, moment_[2][t] += z * z;
    moment_[3][t] += x * y, moment_[4][t] += x * z, moment_[5][t] += y * z;
  }
  ++atoms_;
  if (++npending_ == 2) flush();
}

void MsdSum::flush() {
  if (npending_ == 0) return;
  transform_pending(npending_ == 2);
  npending_ = 0;
}

// One complex FFT carries two real series p + iq: P_k = (Z_k + Z*_{N−k})/2, Q_k = (Z_k − Z*_{N−k})/2i. The
// atoms' spectra are Hermitian, so k = 0..N/2 is all there is.
void MsdSum::transform_pending(bool two) {
  const std::size_t T = T_, N = fft_.size(), H = N / 2;
  auto load = [&](const std::vector<double>& re, const std::vector<double>* im) {
    for (std::size_t t = 0; t < T; ++t) work_[t] = {re[t], im ? (*im)[t] : 0.0};
    for (std::size_t t = T; t < N; ++t) work_[t] = 0.0;
    fft_.forward(work_.data());
  };
  auto split = [&](std::size_t k, std::complex<double>& p, std::complex<double>& q) {
    const std::complex<double> z = work_[k], zc = std::conj(work_[(N - k) % N]);
    p = 0.5 * (z + zc);
    const std::complex<double> d = 0.5 * (z - zc);
    q = {d.imag(), -d.real()};  // d / i
  };
  auto& u0 = spectra_[0];
  auto& u1 = spectra_[1];
  load(pending_[0], &pending_[1]);  // x0 + i y0
  for (std::size_t k = 0; k <= H; ++k) split(k, u0[k][0], u0[k][1]);
  load(pending_[2], two ? &pending_[5] : nullptr);  // z0 + i z1
  for (std::size_t k = 0; k <= H; ++k) {
    std::complex<double> q;
    split(k, u0[k][2], q);
    if (two) u1[k][2] = q;
  }
  if (two) {
    load(pending_[3], &pending_[4]);  // x1 + i y1
    for (std::size_t k = 0; k <= H; ++k) split(k, u1[k][0], u1[k][1]);
  }
  auto accumulate = [&](const std::vector<std::array<std::complex<double>, 3>>& u) {
    for (std::size_t k = 0; k <= H; ++k) {
      const auto& a = u[k];
      auto re = [](std::complex<double> x, std::complex<double> y) {
        return x.real() * y.real() + x.imag() * y.imag();
      };
      spec_[0][k] += re(a[0], a[0]), spec_[1][k] += re(a[1], a[1]), spec_[2][k] += re(a[2], a[2]);
      spec_[3][k] += re(a[0], a[1]), spec_[4][k] += re(a[0], a[2]), spec_[5][k] += re(a[1], a[2]);
    }
  };
  accumulate(u0);
  if (two) accumulate(u1);
}

void MsdSum::merge(MsdSum& other) {
  flush();
  other.flush();
  for (std::size_t c = 0; c < 6; ++c) {
    for (std::size_t k = 0; k < spec_[c].size(); ++k) spec_[c][k] += other.spec_[c][k];
    for (std::size_t t = 0; t < T_; ++t) moment_[c][t] += other.moment_[c][t];
  }
  atoms_ += other.atoms_;
}

std::vector<double> MsdSum::msd(const Mat3& w) {
  flush();
  const std::size_t T = T_, N = fft_.size(), H = N / 2;
  const double c[6] = {w(0, 0), w(1, 1), w(2, 2), w(0, 1) + w(1, 0), w(0, 2) + w(2, 0), w(1, 2) + w(2, 1)};
  // Autocorrelation Σ_k d(k)·W d(k+m) from the inverse of the weighted spectrum (real and even).
  for (std::size_t k = 0; k <= H; ++k) {
    double v = 0.0;
    for (std::size_t e = 0; e < 6; ++e) v += c[e] * spec_[e][k];
    work_[k] = v;
    if (k > 0 && k < H) work_[N - k] = v;
  }
  fft_.inverse(work_.data());
  // S1(m) = 1/(T−m) Σ_{k=0}^{T−1−m} (q[k] + q[k+m]), q = the weighted second moment, by the recursion of
  // Calandrini et al.
  std::vector<double> q(T), out(T);
  for (std::size_t t = 0; t < T; ++t) {
    double v = 0.0;
    for (std::size_t e = 0; e < 6; ++e) v += c[e] * moment_[e][t];
    q[t] = v;
  }
  double s1 = 0.0;
  for (std::size_t t = 0; t < T; ++t) s1 += 2.0 * q[t];
  for (std::size_t m = 0; m < T; ++m) {
    if (m > 0) s1 -= q[m - 1] + q[T - m];
    out[m] = (s1 - 2.0 * work_[m].real()) / static_cast<double>(T - m);
  }
  return out;
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
