#include "analysis/fft.hpp"

#include <algorithm>
#include <cmath>

#include "analysis/analysis_error.hpp"
#include "analysis/ranks.hpp"

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
  std::vector<double> re(n_), im(n_);
  for (std::size_t i = 0; i < n_; ++i) re[i] = a[i].real(), im[i] = a[i].imag();
  transform(re.data(), im.data(), inverse);
  for (std::size_t i = 0; i < n_; ++i) a[i] = {re[i], im[i]};
}

void Fft::transform(double* re, double* im, bool inverse) const {
  if (inverse) {
    run<true>(re, im);
    const double inv = 1.0 / static_cast<double>(n_);
    for (std::size_t i = 0; i < n_; ++i) re[i] *= inv, im[i] *= inv;
  } else {
    run<false>(re, im);
  }
}

// Iterative radix-2 on split real and imaginary arrays (so that the butterflies vectorise over k):
// bit-reversal permutation, the first two stages without multiplications (twiddles 1 and ∓i), then stages
// with contiguous twiddle tables.
template <bool Inverse>
void Fft::run(double* re, double* im) const {
  const std::size_t n = n_;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t r = bitrev_[i];
    if (i < r) std::swap(re[i], re[r]), std::swap(im[i], im[r]);
  }
  stages<Inverse>(re, im, 1);
}

void Fft::forward_padded(const double* xr, const double* xi, std::size_t T, double* re, double* im) const {
  const std::size_t n = n_;
  if (n < 2 || 2 * T > n)
    throw AnalysisError("FFT of " + std::to_string(T) + " values needs a size of at least " +
                        std::to_string(2 * T) + ", not " + std::to_string(n));
  // Bit reversal sends t < n/2 to an even place p and t + n/2 (a padding zero) to p + 1, so the first stage's
  // butterfly (a + 0, a − 0) is a copy: the input is scattered straight into its place after that stage.
  std::fill(re, re + n, 0.0);
  std::fill(im, im + n, 0.0);
  for (std::size_t t = 0; t < T; ++t) {
    const std::size_t p = bitrev_[t];
    re[p] = re[p + 1] = xr[t];
    if (xi) im[p] = im[p + 1] = xi[t];
  }
  stages<false>(re, im, 2);
}

// The butterfly stages of span `from` (1 or 2) and up, on data in bit-reversed order.
template <bool Inverse>
void Fft::stages(double* re, double* im, std::size_t from) const {
  const std::size_t n = n_;
  if (n >= 2 && from <= 1) {
    for (std::size_t i = 0; i < n; i += 2) {
      const double ur = re[i], ui = im[i], vr = re[i + 1], vi = im[i + 1];
      re[i] = ur + vr, im[i] = ui + vi, re[i + 1] = ur - vr, im[i + 1] = ui - vi;
    }
  }
  if (n >= 4) {
    for (std::size_t s = 0; s < n; s += 4) {
      double *pr = re + s, *pi = im + s;
      // k = 0: w = 1; k = 1: w = −i (forward) or +i (inverse).
      const double ur = pr[0], ui = pi[0], vr = pr[2], vi = pi[2];
      pr[0] = ur + vr, pi[0] = ui + vi, pr[2] = ur - vr, pi[2] = ui - vi;
      const double xr = pr[1], xi = pi[1], br = pr[3], bi = pi[3];
      const double yr = Inverse ? -bi : bi, yi = Inverse ? br : -br;
      pr[1] = xr + yr, pi[1] = xi + yi, pr[3] = xr - yr, pi[3] = xi - yi;
    }
  }
  for (std::size_t half = 4; half < n; half <<= 1) {
    const double* wr = twr_.data() + half;
    const double* wi = twi_.data() + half;
    for (std::size_t s = 0; s < n; s += 2 * half) {
      double* __restrict pr = re + s;
      double* __restrict pi = im + s;
      double* __restrict qr = pr + half;
      double* __restrict qi = pi + half;
#pragma omp simd
      for (std::size_t k = 0; k < half; ++k) {
        const double c = wr[k], d = Inverse ? -wi[k] : wi[k];
        const double br = qr[k], bi = qi[k];
        const double vr = br * c - bi * d, vi = br * d + bi * c;
        const double ur = pr[k], ui = pi[k];
        pr[k] = ur + vr, pi[k] = ui + vi;
        qr[k] = ur - vr, qi[k] = ui - vi;
      }
    }
  }
}

MsdSum::MsdSum(std::size_t T) : T_(T), fft_(next_power_of_two(2 * std::max<std::size_t>(T, 1))) {
  if (T == 0) throw AnalysisError("MSD of an empty series");
  work_re_.resize(fft_.size());
  work_im_.resize(fft_.size());
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
  double* wr = work_re_.data();
  double* wi = work_im_.data();
  auto load = [&](const std::vector<double>& re, const std::vector<double>* im) {
    fft_.forward_padded(re.data(), im ? im->data() : nullptr, T, wr, wi);
  };
  auto split = [&](std::size_t k, std::complex<double>& p, std::complex<double>& q) {
    const std::size_t m = k == 0 ? 0 : N - k;
    const double zr = wr[k], zi = wi[k], cr = wr[m], ci = -wi[m];
    p = {0.5 * (zr + cr), 0.5 * (zi + ci)};
    q = {0.5 * (zi - ci), -0.5 * (zr - cr)};  // (z − conj z_{N−k}) / 2i
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

void MsdSum::allreduce(MPI_Comm comm) {
  if (comm_size(comm) == 1) return;
  flush();
  std::vector<std::vector<double>*> v;
  for (auto& x : spec_) v.push_back(&x);
  for (auto& x : moment_) v.push_back(&x);
  double atoms = static_cast<double>(atoms_);
  sum_over_ranks(comm, v, {&atoms});
  atoms_ = static_cast<std::size_t>(atoms);
}

std::vector<double> MsdSum::msd(const Mat3& w) {
  flush();
  const std::size_t T = T_, N = fft_.size(), H = N / 2;
  const double c[6] = {w(0, 0), w(1, 1), w(2, 2), w(0, 1) + w(1, 0), w(0, 2) + w(2, 0), w(1, 2) + w(2, 1)};
  // Autocorrelation Σ_k d(k)·W d(k+m) from the inverse of the weighted spectrum (real and even).
  for (std::size_t k = 0; k <= H; ++k) {
    double v = 0.0;
    for (std::size_t e = 0; e < 6; ++e) v += c[e] * spec_[e][k];
    work_re_[k] = v, work_im_[k] = 0.0;
    if (k > 0 && k < H) work_re_[N - k] = v, work_im_[N - k] = 0.0;
  }
  fft_.inverse(work_re_.data(), work_im_.data());
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
    out[m] = (s1 - 2.0 * work_re_[m]) / static_cast<double>(T - m);
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
