// Diffusion fits, fit-window choice, Arrhenius fits with error propagation, Nernst–Einstein conductivity,
// and the profile along an axis (densities, nearest-neighbour distance and coordination on a known slab).
#include <gtest/gtest.h>

#include <cmath>

#include "analysis/diffusion.hpp"
#include "analysis/profile.hpp"
#include "engine/units.hpp"
#include "support.hpp"

namespace e3md {
namespace {

using namespace analysis;

TEST(Diffusion, LineFitIsExactOnALineAndErrorsFollowTheResiduals) {
  std::vector<double> x, y;
  for (int i = 0; i < 10; ++i) x.push_back(0.5 * i), y.push_back(3.0 * 0.5 * i - 2.0);
  const LinearFit f = fit_line(x, y, 0, 10);
  EXPECT_NEAR(f.slope, 3.0, 1e-13);
  EXPECT_NEAR(f.intercept, -2.0, 1e-13);
  EXPECT_NEAR(f.slope_err, 0.0, 1e-12);
  // Alternating residuals ±e: σ² = n e²/(n-2), slope error √(σ²/Sxx).
  const double e = 0.1;
  for (int i = 0; i < 10; ++i) y[static_cast<std::size_t>(i)] += (i % 2 ? e : -e);
  const LinearFit g = fit_line(x, y, 0, 10);
  double sxx = 0, xm = 2.25;
  for (double v : x) sxx += (v - xm) * (v - xm);
  double rss = 0;
  for (int i = 0; i < 10; ++i) rss += std::pow(y[static_cast<std::size_t>(i)] - (g.slope * x[static_cast<std::size_t>(i)] + g.intercept), 2);
  EXPECT_NEAR(g.slope_err, std::sqrt(rss / 8.0 / sxx), 1e-12);
  EXPECT_THROW(fit_line(x, y, 3, 4), AnalysisError);
}

TEST(Diffusion, WindowSkipsTheBallisticStart) {
  // MSD = v² t² up to t_c, then continuous and linear: the window must start at or after t_c.
  const double tc = 0.2, v2 = 30.0;
  std::vector<double> t, msd;
  for (int m = 0; m < 1000; ++m) {
    const double tt = 0.01 * m;
    t.push_back(tt);
    msd.push_back(tt < tc ? v2 * tt * tt : v2 * tc * tc + 2.0 * v2 * tc * (tt - tc) * 0.5);
  }
  const FitWindow w = choose_fit_window(t, msd);
  EXPECT_TRUE(w.from_slope);
  // The log-log slope between t and 1.5 t is within 0.15 of 1 from just below t_c on; the ballistic
  // part left in the window must not bias the slope by more than 2 %.
  EXPECT_GE(t[w.begin], 0.9 * tc);
  EXPECT_LE(w.end, 501u);
  EXPECT_NEAR(fit_line(t, msd, w.begin, w.end).slope, v2 * tc, 0.02 * v2 * tc);
  // A pure power law t^1.6 (superdiffusive) has no diffusive run: the 10 %–50 % fallback is used.
  for (std::size_t m = 0; m < t.size(); ++m) msd[m] = std::pow(t[m], 1.6);
  const FitWindow f = choose_fit_window(t, msd);
  EXPECT_FALSE(f.from_slope);
  EXPECT_EQ(f.begin, 100u);
  EXPECT_THROW(window_from_times(t, 5.0, 5.005), AnalysisError);
}

TEST(Diffusion, ArrheniusRecoversEaAndPropagatesErrors) {
  const double Ea = 0.35, D0 = 2e-3;
  std::vector<ArrheniusPoint> pts;
  for (double T : {600.0, 800.0, 1000.0, 1200.0}) pts.push_back({T, D0 * std::exp(-Ea / (units::boltz * T)), 0.0});
  const ArrheniusResult a = fit_arrhenius(pts);
  EXPECT_NEAR(a.Ea, Ea, 1e-12);
  EXPECT_NEAR(a.D0, D0, 1e-12 * D0);
  EXPECT_NEAR(a.D300, D0 * std::exp(-Ea / (units::boltz * 300.0)), 1e-9 * a.D300);
  EXPECT_FALSE(a.weighted);
  // Two points with relative errors s1, s2: Ea error = √(s1² + s2²) / |x1 − x2|, x = 1/(k_B T).
  const double s1 = 0.05, s2 = 0.08;
  std::vector<ArrheniusPoint> two{{700.0, 1e-5, s1 * 1e-5}, {1000.0, 4e-5, s2 * 4e-5}};
  const ArrheniusResult b = fit_arrhenius(two);
  const double x1 = 1.0 / (units::boltz * 700.0), x2 = 1.0 / (units::boltz * 1000.0);
  EXPECT_TRUE(b.weighted);
  EXPECT_NEAR(b.Ea, std::log(4.0) / (x1 - x2), 1e-12);
  EXPECT_NEAR(b.Ea_err, std::sqrt(s1 * s1 + s2 * s2) / (x1 - x2), 1e-12);
  // Extrapolation to 300 K: ln D(300) = w1 ln D1 + w2 ln D2 with w = the Lagrange weights of x300.
  const double x3 = 1.0 / (units::boltz * 300.0);
  const double w1 = (x3 - x2) / (x1 - x2), w2 = (x1 - x3) / (x1 - x2);
  EXPECT_NEAR(b.D300_err / b.D300, std::sqrt(w1 * w1 * s1 * s1 + w2 * w2 * s2 * s2), 1e-9);
  EXPECT_THROW(fit_arrhenius({{700.0, 1e-5, 0.0}}), AnalysisError);
  EXPECT_THROW(fit_arrhenius({{700.0, 1e-5, 0.0}, {800.0, -1.0, 0.0}}), AnalysisError);
}

TEST(Diffusion, NernstEinsteinInSiemensPerCm) {
  // σ = n e² D / (k_B T) in SI with CODATA constants; e3md uses LAMMPS' k_B (relative difference 1.1e-6).
  const double n = 0.02, D = 0.1, T = 300.0;  // Å⁻³, Å²/ps (= 1e-5 cm²/s), K
  const double e = 1.602176634e-19, kB = 1.380649e-23;
  const double sigma_si = (n * 1e30) * e * e * (D * 1e-8) / (kB * T);  // S/m
  EXPECT_NEAR(nernst_einstein_S_per_cm(D, n, 1.0, T), sigma_si / 100.0, 1e-5 * sigma_si / 100.0);
  EXPECT_NEAR(nernst_einstein_S_per_cm(D, n, 2.0, T), 4.0 * sigma_si / 100.0, 4e-5 * sigma_si / 100.0);
}

TEST(Profile, SlabDensitiesNearestNeighboursAndCoordination) {
  // Li on a simple-cubic lattice (3 Å) filling the lower half of the cell along c; O everywhere on a
  // shifted lattice. Li–Li nearest neighbours are 3 Å everywhere; within 3.5 Å interior Li have 6 Li
  // neighbours, the two surface layers 5.
  const double s = 3.0;
  const int nx = 4, nz = 12;  // cell 12 × 12 × 36 Å
  std::vector<std::string> sp;
  test::SynthFrame f;
  f.box = Box(Vec3(s * nx, s * nx, s * nz).asDiagonal(), {true, true, true});
  for (int i = 0; i < nx; ++i)
    for (int j = 0; j < nx; ++j)
      for (int k = 0; k < nz; ++k) {
        if (k < nz / 2) f.x.push_back(Vec3(i, j, k + 0.25) * s), sp.push_back("Li");
        f.x.push_back(Vec3(i + 0.5, j + 0.5, k + 0.75) * s), sp.push_back("O");
      }
  test::MemorySource src(sp, {f, f});
  ProfileOptions opt;
  opt.bins = nz;  // one lattice layer per bin
  const ProfileResult p = compute_profile(src, opt);
  ASSERT_EQ(p.species, (std::vector<std::string>{"Li", "O"}));
  EXPECT_NEAR(p.mean_spacing, 36.0, 1e-12);
  const double layer = nx * nx / (s * s * nx * nx * s);  // atoms per Å³ in a 3 Å layer
  for (int b = 0; b < nz; ++b) {
    const auto ub = static_cast<std::size_t>(b);
    EXPECT_NEAR(p.z[ub], (b + 0.5) * s, 1e-12);
    EXPECT_NEAR(p.density[1][ub], layer, 1e-12);
    if (b < nz / 2) {
      EXPECT_NEAR(p.density[0][ub], layer, 1e-12);
      EXPECT_NEAR(p.nn_distance[ub], 3.0, 1e-12);
      EXPECT_NEAR(p.coordination[ub], (b == 0 || b == nz / 2 - 1) ? 5.0 : 6.0, 1e-12);
      EXPECT_EQ(p.samples[ub], 2.0 * nx * nx);
    } else {
      EXPECT_EQ(p.density[0][ub], 0.0);
      EXPECT_TRUE(std::isnan(p.nn_distance[ub]));
    }
  }
  opt.neighbour_species = "Na";
  EXPECT_THROW(compute_profile(src, opt), AnalysisError);
}

}  // namespace
}  // namespace e3md
