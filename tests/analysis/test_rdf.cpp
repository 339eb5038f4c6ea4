// RDF: exact pair counts against a brute-force image loop (cutoffs beyond the cell), ideal-gas g(r) = 1,
// fcc/bcc shells and coordination numbers (cubic and triclinic primitive cells), partial/total identities,
// bad selections, and parity with MDAnalysis InterRDF and a float64 numpy histogram.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "analysis/csv.hpp"
#include "analysis/rdf.hpp"
#include "io/extxyz.hpp"
#include "support.hpp"

namespace e3md {
namespace {

using analysis::RdfOptions;
using analysis::RdfResult;

std::vector<Vec3> random_positions(const Box& box, int n, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<Vec3> x;
  for (int i = 0; i < n; ++i) x.push_back(box.to_cartesian(Vec3(u(rng), u(rng), u(rng))));
  return x;
}

RdfResult rdf_of(const std::vector<std::string>& species, const std::vector<test::SynthFrame>& frames,
                 const RdfOptions& opt) {
  test::MemorySource src(species, frames);
  return analysis::compute_rdf(src, opt);
}

TEST(Rdf, CountsEqualBruteForceImageLoopBeyondTheCell) {
  // A small triclinic cell and a cutoff of ~2.3 plane spacings: many images of every atom are in range.
  // Fully periodic and as a slab (c not periodic); a group with itself, overlapping groups (an atom is both
  // a centre and a neighbour) and disjoint ones; from r = 0 and from r_min > 0.
  for (const bool slab : {false, true}) {
    std::mt19937_64 rng(3);
    const Box box(test::triclinic_cell(5.013, 6.027, 5.531), {true, true, !slab});
    test::SynthFrame f;
    f.box = box;
    f.x = random_positions(box, 9, rng);
    f.x[3] += box.shift(Vec3i(2, -1, slab ? 0 : 3));  // an atom far outside the cell: must be wrapped
    const std::vector<std::string> species{"Li", "O", "Li", "Li", "O", "Li", "O", "Li", "Li"};
    for (const double r_min : {0.0, 1.5}) {
      RdfOptions opt;
      opt.r_min = r_min;
      opt.r_max = 11.0;
      opt.bins = 55;
      opt.pairs = {{"all", "all"}, {"Li", "Li"}, {"Li", "all"}, {"O", "Li"}};
      const RdfResult r = rdf_of(species, {f}, opt);
      const int K = 5, KC = slab ? 0 : K;
      for (std::size_t p = 0; p < opt.pairs.size(); ++p) {
        auto in = [&](const std::string& sel, int i) {
          return sel == "all" || species[static_cast<std::size_t>(i)] == sel;
        };
        std::vector<double> brute(55, 0.0);
        for (int i = 0; i < 9; ++i)
          for (int j = 0; j < 9; ++j) {
            if (!in(opt.pairs[p].first, i) || !in(opt.pairs[p].second, j)) continue;
            for (int a = -K; a <= K; ++a)
              for (int b = -K; b <= K; ++b)
                for (int c = -KC; c <= KC; ++c) {
                  if (i == j && a == 0 && b == 0 && c == 0) continue;
                  const double d = (f.x[static_cast<std::size_t>(j)] + box.shift(Vec3i(a, b, c)) -
                                    f.x[static_cast<std::size_t>(i)])
                                       .norm();
                  if (d <= opt.r_max && d >= r_min)
                    brute[std::min(static_cast<std::size_t>((d - r_min) * (55 / (11.0 - r_min))),
                                   std::size_t{54})] += 1.0;
                }
          }
        // Atom 3 was moved by a lattice vector, which changes no distance modulo images.
        for (std::size_t k = 0; k < 55; ++k) {
          EXPECT_EQ(r.counts[p][k], brute[k])
              << r.labels[p] << (slab ? " slab" : " bulk") << " r_min " << r_min << " bin " << k;
        }
      }
    }
  }
}

TEST(Rdf, IdealGasIsOneWithinStatisticalErrorEvenPastHalfTheCell) {
  std::mt19937_64 rng(11);
  const Box box(test::triclinic_cell(14.0, 15.0, 16.0), {true, true, true});
  const int N = 400, F = 20;
  std::vector<test::SynthFrame> frames;
  for (int t = 0; t < F; ++t) {
    test::SynthFrame f;
    f.box = box;
    f.x = random_positions(box, N, rng);
    frames.push_back(f);
  }
  RdfOptions opt;
  opt.r_min = 1.0;
  opt.r_max = 1.2 * box.plane_spacing(2);  // past the largest sphere the cell holds
  opt.bins = 40;
  const RdfResult r = rdf_of(std::vector<std::string>(N, "Ar"), frames, opt);
  // Past half the cell every atom also sees its own periodic images, at the lattice-vector lengths:
  // expected counts = F (N(N-1)/V shell + N · #lattice vectors in the bin).
  std::vector<double> lattice(r.r.size(), 0.0);
  for (int a = -4; a <= 4; ++a)
    for (int b = -4; b <= 4; ++b)
      for (int c = -4; c <= 4; ++c) {
        const double len = box.shift(Vec3i(a, b, c)).norm();
        if ((a || b || c) && len >= opt.r_min && len <= opt.r_max) {
          lattice[std::min(static_cast<std::size_t>((len - opt.r_min) / (opt.r_max - opt.r_min) * opt.bins),
                           r.r.size() - 1)] += 1;
        }
      }
  double chi2 = 0.0, spikes = 0.0;
  for (std::size_t k = 0; k < r.r.size(); ++k) {
    const double shell = 4.0 / 3.0 * M_PI * (std::pow(r.edges[k + 1], 3) - std::pow(r.edges[k], 3));
    const double ideal = F * (N * (N - 1.0) / box.volume() * shell);
    const double expected = ideal + F * N * lattice[k];
    // Ordered pairs count every (i, j) twice: variance 2× Poisson.
    const double sigma = std::sqrt(2.0 * expected);
    EXPECT_NEAR(r.counts[0][k], expected, 5.0 * sigma) << "r = " << r.r[k];
    EXPECT_NEAR(r.g[0][k], expected / ideal, 5.0 * sigma / ideal) << "r = " << r.r[k];
    chi2 += std::pow((r.counts[0][k] - expected) / sigma, 2);
    spikes += lattice[k];
  }
  EXPECT_GT(spikes, 0.0);  // the test does reach past the cell
  EXPECT_LT(chi2 / static_cast<double>(r.r.size()), 2.0);
  const double rho = (N - 1.0) / box.volume();
  const double rm = opt.r_max, r0 = opt.r_min;
  EXPECT_NEAR(r.n[0].back(), rho * 4.0 / 3.0 * M_PI * (rm * rm * rm - r0 * r0 * r0) + spikes,
              0.02 * r.n[0].back());
}

struct Shell {
  double r;
  int count;
};

void expect_shells(const Box& box, const std::vector<Vec3>& x, const std::vector<Shell>& shells) {
  test::SynthFrame f;
  f.box = box;
  f.x = x;
  RdfOptions opt;
  opt.bins = static_cast<int>((shells.back().r + 0.3) / 0.01);
  opt.r_max = 0.01 * opt.bins;
  const RdfResult r = rdf_of(std::vector<std::string>(x.size(), "Fe"), {f}, opt);
  int cumulative = 0;
  for (const auto& s : shells) {
    cumulative += s.count;
    const auto k = static_cast<std::size_t>(s.r / 0.01);
    // All neighbours of the shell sit in the bin holding r, and n(r) steps to the cumulative count there.
    EXPECT_NEAR(r.n[0][k + 3], cumulative, 1e-9) << "shell at " << s.r;
    EXPECT_NEAR(r.n[0][k - 3], cumulative - s.count, 1e-9) << "shell at " << s.r;
    EXPECT_GT(r.g[0][k], 10.0);
  }
}

TEST(Rdf, FccAndBccShellsAndCoordinationNumbers) {
  const double a = 4.05;
  std::vector<Vec3> fcc;
  const int n = 4;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j)
      for (int k = 0; k < n; ++k)
        for (const Vec3& b : {Vec3(0, 0, 0), Vec3(0, .5, .5), Vec3(.5, 0, .5), Vec3(.5, .5, 0)})
          fcc.push_back(a * (Vec3(i, j, k) + b) + Vec3(0.013, 0.021, 0.007));
  const std::vector<Shell> fcc_shells{
      {a / std::sqrt(2.0), 12}, {a, 6}, {a * std::sqrt(1.5), 24}, {a * std::sqrt(2.0), 12}};
  expect_shells(Box(Mat3::Identity() * a * n, {true, true, true}), fcc, fcc_shells);

  // The same crystal in its rhombohedral primitive cell (60° angles, triclinic), replicated 5×5×5.
  Mat3 prim;
  prim << 0, .5, .5, .5, 0, .5, .5, .5, 0;
  prim *= a;
  std::vector<Vec3> fccp;
  const int m = 5;
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < m; ++j)
      for (int k = 0; k < m; ++k) fccp.push_back(prim.transpose() * Vec3(i, j, k));
  expect_shells(Box(prim * m, {true, true, true}), fccp, fcc_shells);

  const double ab = 3.3;
  std::vector<Vec3> bcc;
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 5; ++j)
      for (int k = 0; k < 5; ++k)
        for (const Vec3& b : {Vec3(0, 0, 0), Vec3(.5, .5, .5)}) bcc.push_back(ab * (Vec3(i, j, k) + b));
  expect_shells(Box(Mat3::Identity() * ab * 5, {true, true, true}), bcc,
                {{ab * std::sqrt(3.0) / 2, 8},
                 {ab, 6},
                 {ab * std::sqrt(2.0), 12},
                 {ab * std::sqrt(11.0) / 2, 24},
                 {ab * std::sqrt(3.0), 8}});
}

TEST(Rdf, PartialsAreSymmetricAndSumToTheTotal) {
  std::mt19937_64 rng(5);
  const Box box(test::triclinic_cell(12.0, 12.5, 13.0), {true, true, true});
  std::vector<std::string> sp;
  for (int i = 0; i < 150; ++i) sp.push_back(i % 3 == 0 ? "Li" : "O");
  std::vector<test::SynthFrame> frames(3);
  for (auto& f : frames) f.box = box, f.x = random_positions(box, 150, rng);
  RdfOptions opt;
  opt.r_max = 5.5;
  opt.bins = 50;
  opt.pairs = {{"all", "all"}, {"Li", "Li"}, {"Li", "O"}, {"O", "Li"}, {"O", "O"}};
  const RdfResult r = rdf_of(sp, frames, opt);
  const double nli = 50, no = 100, n = 150;
  for (std::size_t k = 0; k < 50; ++k) {
    EXPECT_NEAR(r.g[2][k], r.g[3][k], 1e-12);
    const double sum = nli * (nli - 1) * r.g[1][k] + 2 * nli * no * r.g[2][k] + no * (no - 1) * r.g[4][k];
    EXPECT_NEAR(n * (n - 1) * r.g[0][k], sum, 1e-9 * std::max(1.0, sum));
    EXPECT_EQ(r.counts[0][k], r.counts[1][k] + r.counts[2][k] + r.counts[3][k] + r.counts[4][k]);
  }
}

TEST(Rdf, ExtendedXyzAndH5mdInputsGiveTheSameResult) {
  std::mt19937_64 rng(8);
  const Box box(test::triclinic_cell(11.0, 12.0, 13.0), {true, true, true});
  std::vector<std::string> sp;
  for (int i = 0; i < 60; ++i) sp.push_back(i % 4 ? "O" : "Li");
  std::vector<test::SynthFrame> frames(3);
  std::vector<Structure> xyz;
  for (std::size_t t = 0; t < frames.size(); ++t) {
    frames[t].box = box;
    frames[t].time = 0.5 * static_cast<double>(t);
    frames[t].x = random_positions(box, 60, rng);
    Structure s;
    s.box = box;
    s.species = sp;
    s.positions = frames[t].x;
    s.info["time"] = std::to_string(frames[t].time);
    xyz.push_back(s);
  }
  const std::string h5 = test::tmp_path("same.h5md"), ex = test::tmp_path("same.extxyz");
  test::write_h5md(h5, sp, frames);
  write_extxyz(ex, xyz);
  RdfOptions opt;
  opt.r_max = 5.0;
  opt.bins = 25;
  opt.pairs = {{"Li", "O"}};
  const RdfResult a = analysis::compute_rdf(*analysis::open_trajectory(h5), opt);
  const RdfResult b = analysis::compute_rdf(*analysis::open_trajectory(ex), opt);
  EXPECT_EQ(a.counts, b.counts);
  EXPECT_EQ(a.g, b.g);
  EXPECT_EQ(analysis::open_trajectory(ex)->time(2), 1.0);
  EXPECT_THROW(analysis::open_trajectory(ex, "pdb"), analysis::AnalysisError);
  std::remove(h5.c_str());
  std::remove(ex.c_str());
}

TEST(Rdf, BadSelectionsAndRangesAreErrors) {
  test::SynthFrame f;
  f.box = Box(Mat3::Identity() * 10.0, {true, true, true});
  f.x = {Vec3(1, 1, 1), Vec3(2, 2, 2)};
  test::MemorySource src({"Li", "O"}, {f});
  RdfOptions opt;
  opt.pairs = {{"Li", "Na"}};
  try {
    analysis::compute_rdf(src, opt);
    FAIL() << "no error for a missing species";
  } catch (const analysis::AnalysisError& e) {
    EXPECT_NE(std::string(e.what()).find("species 'Na' is not in the trajectory (species present: Li, O)"),
              std::string::npos)
        << e.what();
  }
  opt.pairs = {{"Li", "O"}};
  opt.range.start = 5;
  try {
    analysis::compute_rdf(src, opt);
    FAIL() << "no error for an empty frame range";
  } catch (const analysis::AnalysisError& e) {
    EXPECT_NE(std::string(e.what()).find("selects no frame"), std::string::npos) << e.what();
  }
  opt.range = {};
  opt.r_max = -1.0;
  EXPECT_THROW(analysis::compute_rdf(src, opt), analysis::AnalysisError);
}

// Parity: e3md writes an H5MD trajectory, computes g(r) and n(r); MDAnalysis InterRDF (float32) and a float64
// numpy histogram compute the same from the file.
TEST(RdfParity, MDAnalysisInterRdfAndFloat64Numpy) {
  std::mt19937_64 rng(21);
  std::normal_distribution<double> jitter(0.0, 0.35);
  std::vector<std::string> sp;
  std::vector<test::SynthFrame> frames;
  // A jittered rocksalt-like crystal in a triclinic cell: structured g(r) with peaks and wells.
  const int n = 5;
  const double a = 4.2;
  for (int t = 0; t < 6; ++t) {
    test::SynthFrame f;
    Mat3 h = test::triclinic_cell(a * n, a * n, a * n);
    f.box = Box(h * (1.0 + 0.002 * t), {true, true, true});
    sp.clear();
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j)
        for (int k = 0; k < n; ++k)
          for (int s = 0; s < 2; ++s) {
            const Vec3 frac = (Vec3(i, j, k) + (s ? Vec3(.5, .5, .5) : Vec3(0, 0, 0))) / n;
            f.x.push_back(f.box.to_cartesian(frac) + Vec3(jitter(rng), jitter(rng), jitter(rng)));
            sp.push_back(s ? "O" : "Li");
          }
    frames.push_back(f);
  }
  const std::string traj = test::tmp_path("rdf_parity.h5md"), csv = test::tmp_path("rdf_parity.csv");
  test::write_h5md(traj, sp, frames);
  auto src = analysis::open_trajectory(traj);
  RdfOptions opt;
  opt.r_max = 0.49 * frames[0].box.plane_spacing(0);
  for (int k = 1; k < 3; ++k) opt.r_max = std::min(opt.r_max, 0.49 * frames[0].box.plane_spacing(k));
  opt.bins = 80;
  opt.pairs = {{"all", "all"}, {"Li", "O"}, {"Li", "Li"}};
  const RdfResult r = analysis::compute_rdf(*src, opt);
  analysis::write_rdf_csv(r, csv, "parity");
  std::string out;
  const int rc = test::run_python(
      "parity_rdf.py",
      traj + " " + csv + " " + analysis::csv_number(opt.r_max) + " " + std::to_string(opt.bins), out);
  std::printf("%s", out.c_str());
  EXPECT_EQ(rc, 0) << out;
  std::remove(traj.c_str());
  std::remove(csv.c_str());
}

}  // namespace
}  // namespace e3md
