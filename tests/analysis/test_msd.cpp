// MSD and diffusion: FFT against the direct O(T²) sum, random walks with known D (slope 6D, fitted D within
// its block-averaged uncertainty, and that uncertainty calibrated over many seeds), an atom crossing a
// triclinic periodic boundary many times, image vs displacement unwrapping, drift removal, and parity with
// MDAnalysis EinsteinMSD(fft=True) and a float64 numpy direct MSD.
#include <gtest/gtest.h>

#include <Eigen/Geometry>
#include <algorithm>
#include <cmath>
#include <complex>

#include "analysis/diffusion.hpp"
#include "analysis/fft.hpp"
#include "analysis/msd.hpp"
#include "support.hpp"

namespace e3md {
namespace {

using analysis::MsdOptions;
using analysis::MsdResult;

TEST(Fft, ForwardAndInverseEqualTheDirectTransform) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> g(0.0, 1.0);
  for (std::size_t n : {1u, 2u, 4u, 8u, 16u, 128u, 1024u}) {
    std::vector<std::complex<double>> x(n), y;
    for (auto& v : x) v = {g(rng), g(rng)};
    const analysis::Fft fft(n);
    y = x;
    fft.forward(y.data());
    double err = 0.0, scale = 0.0;
    for (std::size_t k = 0; k < n; ++k) {
      std::complex<double> s = 0.0;
      for (std::size_t t = 0; t < n; ++t)
        s += x[t] * std::polar(1.0, -2.0 * M_PI * static_cast<double>((k * t) % n) / static_cast<double>(n));
      err = std::max(err, std::abs(y[k] - s));
      scale = std::max(scale, std::abs(s));
    }
    EXPECT_LT(err, 1e-13 * scale * std::log2(static_cast<double>(n) + 1.0) + 1e-15) << "n=" << n;
    fft.inverse(y.data());
    for (std::size_t t = 0; t < n; ++t)
      EXPECT_NEAR(std::abs(y[t] - x[t]), 0.0, 1e-13) << "n=" << n << " t=" << t;
  }
  EXPECT_THROW(analysis::Fft(12), analysis::AnalysisError);
}

// The zero-padded transform (scattered into place after the first stage) equals the full one on the padded
// input.
TEST(Fft, PaddedForwardEqualsForwardOfThePaddedInput) {
  std::mt19937_64 rng(11);
  std::normal_distribution<double> g(0.0, 1.0);
  for (std::size_t n : {2u, 4u, 8u, 16u, 64u, 512u, 4096u}) {
    const analysis::Fft fft(n);
    for (std::size_t T : {std::size_t{1}, n / 2 - (n > 2 ? 1 : 0), n / 2}) {
      for (bool with_imag : {true, false}) {
        std::vector<double> xr(T), xi(T), re(n, 0.0), im(n, 0.0), pr(n), pi(n);
        for (std::size_t t = 0; t < T; ++t) {
          xr[t] = g(rng), xi[t] = with_imag ? g(rng) : 0.0;
          re[t] = xr[t], im[t] = xi[t];
        }
        fft.forward(re.data(), im.data());
        fft.forward_padded(xr.data(), with_imag ? xi.data() : nullptr, T, pr.data(), pi.data());
        double err = 0.0, scale = 0.0;
        for (std::size_t k = 0; k < n; ++k) {
          err = std::max(err, std::hypot(pr[k] - re[k], pi[k] - im[k]));
          scale = std::max(scale, std::hypot(re[k], im[k]));
        }
        EXPECT_LE(err, 1e-14 * scale) << "n=" << n << " T=" << T;
      }
    }
    std::vector<double> x(n / 2 + 1, 1.0), out(n);
    EXPECT_THROW(fft.forward_padded(x.data(), nullptr, n / 2 + 1, out.data(), out.data()),
                 analysis::AnalysisError);
  }
}

TEST(Msd, FftEqualsDirectSumForAnyLength) {
  // Sums over 1, 2 and 5 atoms (odd counts leave one atom's FFT unshared), added to one sum or split over two
  // merged ones, projected on a unit vector and in total, against the direct sum of each atom's projection.
  std::mt19937_64 rng(1);
  std::normal_distribution<double> g(0.0, 1.0);
  const Vec3 d = Vec3(0.3, -0.8, 0.5).normalized();
  for (std::size_t T : {2u, 3u, 5u, 17u, 64u, 100u, 1000u}) {
    for (std::size_t atoms : {1u, 2u, 5u}) {
      std::vector<double> u(atoms * T * 3);
      for (std::size_t a = 0; a < atoms; ++a) {
        Vec3 x(1000.0, -3.0,
               50.0 * static_cast<double>(a));  // large offsets: the mean subtraction keeps precision
        for (std::size_t t = 0; t < T; ++t) {
          x += Vec3(g(rng), 0.1 * g(rng), 2.0 * g(rng));
          for (std::size_t k = 0; k < 3; ++k) u[(a * T + t) * 3 + k] = x[static_cast<Eigen::Index>(k)];
        }
      }
      std::vector<double> direct_d(T, 0.0), direct_total(T, 0.0);
      for (std::size_t a = 0; a < atoms; ++a) {
        std::vector<double> p(T), c[3];
        for (auto& v : c) v.resize(T);
        for (std::size_t t = 0; t < T; ++t) {
          const double* x = &u[(a * T + t) * 3];
          p[t] = d[0] * x[0] + d[1] * x[1] + d[2] * x[2];
          for (std::size_t k = 0; k < 3; ++k) c[k][t] = x[k];
        }
        const auto md = analysis::msd_direct(p);
        for (std::size_t m = 0; m < T; ++m) direct_d[m] += md[m];
        for (const auto& ck : c) {
          const auto mk = analysis::msd_direct(ck);
          for (std::size_t m = 0; m < T; ++m) direct_total[m] += mk[m];
        }
      }
      analysis::MsdSum one(T), first(T), second(T);
      for (std::size_t a = 0; a < atoms; ++a) {
        one.add(&u[a * T * 3], 3);
        (a % 2 ? second : first).add(&u[a * T * 3], 3);
      }
      first.merge(second);
      EXPECT_EQ(first.atoms(), atoms);
      const auto got_d = one.msd(d * d.transpose()), got_total = one.msd(Mat3::Identity());
      const auto merged_total = first.msd(Mat3::Identity());
      const double scale_d = *std::max_element(direct_d.begin(), direct_d.end());
      const double scale_total = *std::max_element(direct_total.begin(), direct_total.end());
      for (std::size_t m = 0; m < T; ++m) {
        EXPECT_NEAR(got_d[m], direct_d[m], 1e-10 * scale_d) << "T=" << T << " atoms=" << atoms << " m=" << m;
        EXPECT_NEAR(got_total[m], direct_total[m], 1e-10 * scale_total)
            << "T=" << T << " atoms=" << atoms << " m=" << m;
        EXPECT_NEAR(merged_total[m], direct_total[m], 1e-10 * scale_total) << "T=" << T << " atoms=" << atoms;
      }
    }
  }
}

// Gaussian random walk with diffusion coefficient D (Å²/ps): each step has variance 2 D dt per axis.
// Positions are stored wrapped into a triclinic cell with image counters, as a simulation writes them.
std::vector<test::SynthFrame> random_walk(int atoms, int frames, double D, double dt, std::uint64_t seed,
                                          const Vec3& drift = Vec3::Zero()) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0.0, std::sqrt(2.0 * D * dt));
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const Box box(test::triclinic_cell(15.0, 16.0, 17.0), {true, true, true});
  std::vector<Vec3> x;
  std::vector<Vec3i> img(static_cast<std::size_t>(atoms), Vec3i::Zero());
  for (int i = 0; i < atoms; ++i) x.push_back(box.to_cartesian(Vec3(u(rng), u(rng), u(rng))));
  std::vector<test::SynthFrame> out;
  for (int t = 0; t < frames; ++t) {
    if (t > 0) {
      for (auto& xi : x) xi += Vec3(g(rng), g(rng), g(rng)) + drift;
    }
    test::SynthFrame f;
    f.time = dt * t;
    f.box = box;
    for (std::size_t i = 0; i < x.size(); ++i) {
      Vec3i n = img[i];
      f.x.push_back(box.wrap(x[i], n));
      f.image.push_back(n);
      x[i] = f.x.back();
      img[i] = n;
    }
    out.push_back(f);
  }
  return out;
}

TEST(Msd, RandomWalkGivesSlopeSixDAndDWithinItsUncertainty) {
  const double D = 0.5, dt = 0.01;
  test::MemorySource src(std::vector<std::string>(200, "Li"), random_walk(200, 2000, D, dt, 42));
  MsdOptions opt;
  const MsdResult m = analysis::compute_msd(src, opt);
  EXPECT_EQ(m.unwrap_used, "images");
  EXPECT_EQ(m.stored_bytes, 200u * 2000u * 3u * sizeof(double));
  const auto d = analysis::fit_diffusion(m, 0);
  EXPECT_TRUE(d.window.from_slope);
  const auto& tot = d.total();
  EXPECT_NEAR(tot.fit.slope, 6.0 * D, 3.0 * 6.0 * tot.D_err);
  EXPECT_NEAR(tot.D, D, 3.0 * tot.D_err);
  EXPECT_LT(tot.D_err, 0.1 * D);
  EXPECT_GT(tot.D_err, 0.0);
  for (int c = 0; c < 3; ++c)
    EXPECT_NEAR(d.components[static_cast<std::size_t>(c)].D, D,
                4.0 * d.components[static_cast<std::size_t>(c)].D_err);
  std::printf("random walk: D = %.4f ± %.4f Å²/ps (true %.2f), window %.2f–%.2f ps\n", tot.D, tot.D_err, D,
              d.t_begin, d.t_end);
}

TEST(Msd, BlockUncertaintyIsCalibratedOverSeeds) {
  // Over 20 independent walks the true D lies within 2σ in most runs (t-distribution with 4 degrees of
  // freedom: 88 %) and never beyond 5σ.
  const double D = 0.2, dt = 0.02;
  int within2 = 0;
  for (std::uint64_t seed = 100; seed < 120; ++seed) {
    test::MemorySource src(std::vector<std::string>(40, "Na"), random_walk(40, 400, D, dt, seed));
    const auto d = analysis::fit_diffusion(analysis::compute_msd(src, {}), 0).total();
    const double z = std::abs(d.D - D) / d.D_err;
    EXPECT_LT(z, 5.0) << "seed " << seed;
    std::printf("seed %d: D = %.4f ± %.4f, z = %.2f\n", static_cast<int>(seed), d.D, d.D_err, z);
    within2 += z < 2.0;
  }
  EXPECT_GE(within2, 14);
}

TEST(Msd, AtomCrossingATriclinicBoundaryManyTimes) {
  // One fast atom moving in a straight line through a skewed cell, stored wrapped; it crosses the
  // periodic faces dozens of times. Its MSD is exactly |v t|², and |v·â t|² along a.
  const Box box(test::triclinic_cell(6.0, 7.0, 8.0), {true, true, true});
  const Vec3 v(2.3, -1.7, 3.1);  // Å/ps
  const double dt = 0.5;
  std::vector<test::SynthFrame> frames;
  Vec3i n = Vec3i::Zero();
  for (int t = 0; t < 120; ++t) {
    test::SynthFrame f;
    f.time = dt * t;
    f.box = box;
    Vec3i img = Vec3i::Zero();
    f.x.push_back(box.wrap(Vec3(0.3, 0.2, 0.1) + v * f.time, img));
    f.image.push_back(img);
    n = img;
    frames.push_back(f);
  }
  EXPECT_GT(n.cwiseAbs().sum(), 40);  // many crossings
  for (auto mode : {analysis::Unwrap::Images, analysis::Unwrap::Displacement}) {
    test::MemorySource src({"Li"}, frames);
    MsdOptions opt;
    opt.unwrap = mode;
    opt.blocks = 0;
    const MsdResult m = analysis::compute_msd(src, opt);
    const Vec3 a = box.vector(0).normalized();
    const Vec3 nrm = box.vector(0).cross(box.vector(1)).normalized();
    for (std::size_t k = 0; k < m.lag_time.size(); ++k) {
      const double t = m.lag_time[k];
      EXPECT_NEAR(m.species[0].msd.total[k], v.squaredNorm() * t * t, 1e-9 * (1 + v.squaredNorm() * t * t));
      EXPECT_NEAR(m.species[0].msd.a[k], std::pow(v.dot(a) * t, 2), 1e-9 * (1 + v.squaredNorm() * t * t));
      EXPECT_NEAR(m.species[0].msd.normal[k], std::pow(v.dot(nrm) * t, 2),
                  1e-9 * (1 + v.squaredNorm() * t * t));
    }
  }
}

TEST(Msd, ImageAndDisplacementUnwrappingAgree) {
  auto frames = random_walk(30, 300, 0.3, 0.01, 9);
  test::MemorySource with_images(std::vector<std::string>(30, "Li"), frames);
  for (auto& f : frames) f.image.clear();
  test::MemorySource without(std::vector<std::string>(30, "Li"), frames);
  const MsdResult a = analysis::compute_msd(with_images, {});
  const MsdResult b = analysis::compute_msd(without, {});
  EXPECT_EQ(a.unwrap_used, "images");
  EXPECT_EQ(b.unwrap_used, "displacement");
  for (std::size_t k = 0; k < a.lag_time.size(); ++k) {
    EXPECT_NEAR(a.species[0].msd.total[k], b.species[0].msd.total[k],
                1e-9 * (1.0 + a.species[0].msd.total[k]));
  }
  MsdOptions img;
  img.unwrap = analysis::Unwrap::Images;
  EXPECT_THROW(analysis::compute_msd(without, img), analysis::AnalysisError);
}

// One frame per chunk, chunks of a few atoms (each rank's row range then crosses chunks) and a source in
// memory: every unwrapping mode, drift removal, several reading passes, a frame stride and the blocks give
// the same numbers.
TEST(Msd, ChunkedLayoutsAndMemoryGiveTheSameResults) {
  auto frames = random_walk(40, 150, 0.4, 0.01, 5, Vec3(0.002, -0.001, 0.0));
  std::vector<std::string> species;
  for (int i = 0; i < 40; ++i) species.push_back(i % 3 == 0 ? "O" : "Li");
  const std::string one_piece = test::tmp_path("msd_frames.h5md"), pieces = test::tmp_path("msd_pieces.h5md");
  test::write_h5md(one_piece, species, frames);
  test::write_h5md(pieces, species, frames, true, 7);
  const auto whole = analysis::open_trajectory(one_piece);
  const auto split = analysis::open_trajectory(pieces);
  const test::MemorySource memory(species, frames);
  for (auto mode : {analysis::Unwrap::Auto, analysis::Unwrap::Displacement, analysis::Unwrap::None}) {
    for (int variant = 0; variant < 3; ++variant) {
      MsdOptions opt;
      opt.unwrap = mode;
      opt.remove_drift = variant >= 1;
      if (variant == 2) {
        opt.memory_limit = 10 * 74 * 3 * sizeof(double);  // 10 atoms per pass of the 74 frames
        opt.range.start = 3;
        opt.range.stride = 2;
      }
      const MsdResult a = analysis::compute_msd(*whole, opt);
      const MsdResult b = analysis::compute_msd(*split, opt);
      const MsdResult c = analysis::compute_msd(memory, opt);
      ASSERT_EQ(a.species.size(), 2u);
      EXPECT_EQ(a.unwrap_used, b.unwrap_used);
      EXPECT_EQ(a.unwrap_used, c.unwrap_used);
      if (variant == 2) {
        EXPECT_GT(a.passes, 1);
      }
      // Equal up to the order in which the threads' partial spectra are summed.
      auto same = [](const std::vector<double>& x, const std::vector<double>& y) {
        if (x.size() != y.size()) return false;
        double top = 0.0, diff = 0.0;
        for (std::size_t k = 0; k < x.size(); ++k)
          top = std::max(top, std::abs(x[k])), diff = std::max(diff, std::abs(x[k] - y[k]));
        return diff <= 1e-12 * top;
      };
      for (std::size_t s = 0; s < 2; ++s) {
        EXPECT_TRUE(same(a.species[s].msd.total, b.species[s].msd.total)) << s;
        EXPECT_TRUE(same(a.species[s].msd.total, c.species[s].msd.total)) << s;
        EXPECT_TRUE(same(a.species[s].msd.normal, c.species[s].msd.normal)) << s;
        ASSERT_EQ(a.species[s].blocks.size(), c.species[s].blocks.size());
        for (std::size_t b2 = 0; b2 < a.species[s].blocks.size(); ++b2)
          EXPECT_TRUE(same(a.species[s].blocks[b2].a, c.species[s].blocks[b2].a));
      }
      EXPECT_DOUBLE_EQ(a.mean_volume, c.mean_volume);
    }
  }
  std::remove(one_piece.c_str());
  std::remove(pieces.c_str());
}

TEST(Msd, UnwrapNoneTakesStoredPositionsAsContinuous) {
  // Positions written unwrapped (no image counters): none and displacement agree with the image result;
  // on wrapped positions none does not unwrap, so the jumps across the faces inflate its MSD.
  auto wrapped = random_walk(20, 250, 0.5, 0.01, 21);
  auto unwrapped = wrapped;
  for (auto& f : unwrapped) {
    for (std::size_t i = 0; i < f.x.size(); ++i) f.x[i] = f.box.unwrap(f.x[i], f.image[i]);
    f.image.clear();
  }
  test::MemorySource ref(std::vector<std::string>(20, "Li"), wrapped);
  test::MemorySource cont(std::vector<std::string>(20, "Li"), unwrapped);
  MsdOptions none;
  none.unwrap = analysis::Unwrap::None;
  const MsdResult a = analysis::compute_msd(ref, {});
  const MsdResult b = analysis::compute_msd(cont, none);
  EXPECT_EQ(b.unwrap_used, "none");
  for (std::size_t k = 0; k < a.lag_time.size(); ++k) {
    EXPECT_NEAR(a.species[0].msd.total[k], b.species[0].msd.total[k],
                1e-9 * (1.0 + a.species[0].msd.total[k]));
  }
  const MsdResult w = analysis::compute_msd(ref, none);
  EXPECT_GT(w.species[0].msd.total[125], 2.0 * a.species[0].msd.total[125]);
}

TEST(Msd, DriftRemovalCancelsAUniformFlow) {
  const Vec3 drift(0.01, -0.02, 0.015);  // Å per frame, every atom
  test::MemorySource plain(std::vector<std::string>(50, "O"), random_walk(50, 300, 0.1, 0.01, 77));
  test::MemorySource drifting(std::vector<std::string>(50, "O"), random_walk(50, 300, 0.1, 0.01, 77, drift));
  MsdOptions opt;
  opt.remove_drift = true;
  const MsdResult a = analysis::compute_msd(plain, opt);
  const MsdResult b = analysis::compute_msd(drifting, opt);
  const MsdResult raw = analysis::compute_msd(drifting, {});
  for (std::size_t k = 0; k < a.lag_time.size(); ++k) {
    EXPECT_NEAR(a.species[0].msd.total[k], b.species[0].msd.total[k],
                1e-8 * (1.0 + a.species[0].msd.total[k]));
  }
  // Without removal the drift adds |drift|² k² at lag k.
  const std::size_t k = 200;
  EXPECT_GT(raw.species[0].msd.total[k], a.species[0].msd.total[k] + 0.5 * drift.squaredNorm() * k * k);
  MsdOptions bad = opt;
  test::MemorySource xx(std::vector<std::string>(50, "Xx"), random_walk(50, 20, 0.1, 0.01, 1));
  EXPECT_THROW(analysis::compute_msd(xx, bad), analysis::AnalysisError);
  bad.drift_equal_weights = true;
  EXPECT_NO_THROW(analysis::compute_msd(xx, bad));
}

TEST(Msd, UnevenTimesAndTooShortRangesAreErrors) {
  auto frames = random_walk(5, 20, 0.1, 0.01, 3);
  frames[10].time += 0.003;
  test::MemorySource src(std::vector<std::string>(5, "Li"), frames);
  EXPECT_THROW(analysis::compute_msd(src, {}), analysis::AnalysisError);
  MsdOptions opt;
  opt.range.start = 19;
  EXPECT_THROW(analysis::compute_msd(src, opt), analysis::AnalysisError);
  opt.range = {};
  opt.species = {"K"};
  EXPECT_THROW(analysis::compute_msd(src, opt), analysis::AnalysisError);
}

// Parity: an H5MD trajectory of unwrapped coordinates (MDAnalysis' EinsteinMSD needs them) in an
// orthorhombic box, so that the a, b, normal projections are x, y, z.
TEST(MsdParity, MDAnalysisEinsteinMsdFftAndFloat64Numpy) {
  auto frames = random_walk(60, 400, 0.4, 0.02, 5);
  std::vector<std::string> sp;
  for (int i = 0; i < 60; ++i) sp.push_back(i % 2 ? "Li" : "O");
  const Box ortho(Vec3(15.0, 16.0, 17.0).asDiagonal(), {true, true, true});
  for (auto& f : frames) {
    for (std::size_t i = 0; i < f.x.size(); ++i) f.x[i] = f.box.unwrap(f.x[i], f.image[i]);
    f.image.clear();
    f.box = ortho;
  }
  const std::string traj = test::tmp_path("msd_parity.h5md"), csv = test::tmp_path("msd_parity.csv");
  test::write_h5md(traj, sp, frames, false);
  auto src = analysis::open_trajectory(traj);
  MsdOptions opt;
  opt.species = {"Li", "O"};
  const MsdResult m = analysis::compute_msd(*src, opt);
  EXPECT_EQ(m.unwrap_used, "displacement");
  analysis::write_msd_csv(m, csv, "parity");
  std::string out;
  const int rc = test::run_python("parity_msd.py", traj + " " + csv, out);
  std::printf("%s", out.c_str());
  EXPECT_EQ(rc, 0) << out;
  std::remove(traj.c_str());
  std::remove(csv.c_str());
}

}  // namespace
}  // namespace e3md
