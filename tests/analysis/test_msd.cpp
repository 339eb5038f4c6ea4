// MSD and diffusion: FFT against the direct O(T²) sum, random walks with known D (slope 6D, fitted D within
// its block-averaged uncertainty, and that uncertainty calibrated over many seeds), an atom crossing a
// triclinic periodic boundary many times, image vs displacement unwrapping, drift removal, and parity with
// MDAnalysis EinsteinMSD(fft=True) and a float64 numpy direct MSD.
#include <gtest/gtest.h>

#include <Eigen/Geometry>
#include <cmath>

#include "analysis/diffusion.hpp"
#include "analysis/fft.hpp"
#include "analysis/msd.hpp"
#include "support.hpp"

namespace e3md {
namespace {

using analysis::MsdOptions;
using analysis::MsdResult;

TEST(Msd, FftEqualsDirectSumForAnyLength) {
  std::mt19937_64 rng(1);
  std::normal_distribution<double> g(0.0, 1.0);
  for (std::size_t T : {2u, 3u, 5u, 17u, 64u, 100u, 1000u}) {
    std::vector<double> x(T), y(T);
    double cx = 1000.0, cy = -3.0;  // large offsets: the mean subtraction keeps precision
    for (std::size_t k = 0; k < T; ++k) x[k] = (cx += g(rng)), y[k] = (cy += 0.1 * g(rng));
    std::vector<double> mx(T, 0.0), my(T, 0.0);
    analysis::MsdFft fft(T);
    fft.add_pair(x.data(), y.data(), mx.data(), my.data());
    const auto dx = analysis::msd_direct(x), dy = analysis::msd_direct(y);
    double scale_x = 0, scale_y = 0;
    for (std::size_t m = 0; m < T; ++m) scale_x = std::max(scale_x, dx[m]), scale_y = std::max(scale_y, dy[m]);
    for (std::size_t m = 0; m < T; ++m) {
      EXPECT_NEAR(mx[m], dx[m], 1e-10 * scale_x) << "T=" << T << " m=" << m;
      EXPECT_NEAR(my[m], dy[m], 1e-10 * scale_y) << "T=" << T << " m=" << m;
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
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(d.components[static_cast<std::size_t>(c)].D, D, 4.0 * d.components[static_cast<std::size_t>(c)].D_err);
  std::printf("random walk: D = %.4f ± %.4f Å²/ps (true %.2f), window %.2f–%.2f ps\n", tot.D, tot.D_err, D, d.t_begin, d.t_end);
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
      EXPECT_NEAR(m.species[0].msd.normal[k], std::pow(v.dot(nrm) * t, 2), 1e-9 * (1 + v.squaredNorm() * t * t));
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
    EXPECT_NEAR(a.species[0].msd.total[k], b.species[0].msd.total[k], 1e-9 * (1.0 + a.species[0].msd.total[k]));
  }
  MsdOptions img;
  img.unwrap = analysis::Unwrap::Images;
  EXPECT_THROW(analysis::compute_msd(without, img), analysis::AnalysisError);
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
    EXPECT_NEAR(a.species[0].msd.total[k], b.species[0].msd.total[k], 1e-8 * (1.0 + a.species[0].msd.total[k]));
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
