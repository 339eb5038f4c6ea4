// RDF and MSD shared among the ranks of MPI_COMM_WORLD give what one rank computes alone (MPI_COMM_SELF):
// the RDF's frames shared round-robin; the MSD's atoms shared in ranges of rows (each rank reading only
// those), drift removal from the centre of mass summed over ranks, and the reduction of the spectra. Run
// under 1, 2, 3 and 4 ranks, including more ranks than atoms of a species or than atoms at all.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cmath>
#include <cstdio>
#include <random>

#include "analysis/msd.hpp"
#include "analysis/rdf.hpp"
#include "support.hpp"

namespace e3md {
namespace {

using analysis::MsdComponents;
using analysis::MsdOptions;
using analysis::MsdResult;
using analysis::Unwrap;

// Atoms random-walking with a drift through a triclinic cell, stored wrapped with image counters.
std::vector<test::SynthFrame> walk(int atoms, int frames, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0.0, 0.25);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const Box box(test::triclinic_cell(9.0, 10.0, 11.0), {true, true, true});
  std::vector<Vec3> x;
  for (int i = 0; i < atoms; ++i) x.push_back(box.to_cartesian(Vec3(u(rng), u(rng), u(rng))));
  std::vector<test::SynthFrame> out;
  for (int t = 0; t < frames; ++t) {
    test::SynthFrame f;
    f.time = 0.05 * t;
    f.box = box;
    for (auto& xi : x) {
      if (t > 0) xi += Vec3(g(rng) + 0.03, g(rng), g(rng) - 0.02);
      Vec3i n = Vec3i::Zero();
      f.x.push_back(box.wrap(xi, n));
      f.image.push_back(n);
    }
    out.push_back(f);
  }
  return out;
}

std::vector<std::string> species(int atoms) {
  std::vector<std::string> s;
  for (int i = 0; i < atoms; ++i) s.push_back(i % 7 == 3 ? "Na" : i % 2 ? "Li" : "O");
  return s;
}

void expect_close(const std::vector<double>& a, const std::vector<double>& b, const char* what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  double scale = 0.0;
  for (double v : a) scale = std::max(scale, std::abs(v));
  for (std::size_t k = 0; k < a.size(); ++k) EXPECT_NEAR(a[k], b[k], 1e-10 * scale) << what << " lag " << k;
}

void expect_same(const MsdComponents& a, const MsdComponents& b) {
  expect_close(a.a, b.a, "a");
  expect_close(a.b, b.b, "b");
  expect_close(a.normal, b.normal, "normal");
  expect_close(a.total, b.total, "total");
}

void expect_same(const MsdResult& a, const MsdResult& b, bool same_mode = true) {
  if (same_mode) {
    EXPECT_EQ(a.unwrap_used, b.unwrap_used);
  }
  EXPECT_EQ(a.frames, b.frames);
  EXPECT_NEAR(a.mean_volume, b.mean_volume, 1e-12 * a.mean_volume);
  ASSERT_EQ(a.species.size(), b.species.size());
  for (std::size_t s = 0; s < a.species.size(); ++s) {
    EXPECT_EQ(a.species[s].atoms, b.species[s].atoms);
    expect_same(a.species[s].msd, b.species[s].msd);
    ASSERT_EQ(a.species[s].blocks.size(), b.species[s].blocks.size());
    for (std::size_t k = 0; k < a.species[s].blocks.size(); ++k)
      expect_same(a.species[s].blocks[k], b.species[s].blocks[k]);
  }
}

int world_size() {
  int n = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &n);
  return n;
}

TEST(AnalysisRanks, MsdMatchesOneRankForEveryUnwrapping) {
  const auto frames = walk(40, 97, 5);
  auto no_images = frames;
  for (auto& f : no_images) f.image.clear();
  auto continuous = frames;
  for (auto& f : continuous) {
    for (std::size_t i = 0; i < f.x.size(); ++i) f.x[i] = f.box.unwrap(f.x[i], f.image[i]);
    f.image.clear();
  }
  const test::MemorySource with_images(species(40), frames), wrapped(species(40), no_images),
      unwrapped(species(40), continuous);
  struct Case {
    const test::MemorySource* src;
    Unwrap mode;
    bool drift;
  };
  for (const Case& c : {Case{&wrapped, Unwrap::Displacement, false},
                        Case{&wrapped, Unwrap::Displacement, true}, Case{&with_images, Unwrap::Images, false},
                        Case{&with_images, Unwrap::Images, true}, Case{&unwrapped, Unwrap::None, true}}) {
    MsdOptions opt;
    opt.unwrap = c.mode;
    opt.remove_drift = c.drift;
    opt.blocks = 4;
    SCOPED_TRACE(std::string("unwrap ") + std::to_string(static_cast<int>(c.mode)) + " drift " +
                 std::to_string(c.drift) + " on " + std::to_string(world_size()) + " ranks");
    const MsdResult one = analysis::compute_msd(*c.src, opt, MPI_COMM_SELF);
    const MsdResult all = analysis::compute_msd(*c.src, opt, MPI_COMM_WORLD);
    expect_same(one, all);
  }
  // All three unwrappings agree with each other (the walk moves far less than half a cell per frame).
  MsdOptions d;
  d.unwrap = Unwrap::Displacement;
  MsdOptions n;
  n.unwrap = Unwrap::None;
  const MsdResult img = analysis::compute_msd(with_images, {}, MPI_COMM_WORLD);
  expect_same(img, analysis::compute_msd(wrapped, d, MPI_COMM_WORLD), false);
  expect_same(img, analysis::compute_msd(unwrapped, n, MPI_COMM_WORLD), false);
}

TEST(AnalysisRanks, MsdWithMoreRanksThanFramesOrAtoms) {
  // Three frames, three atoms, one of them Na: on four ranks one rank has no atom and most hold no Na.
  std::vector<test::SynthFrame> frames = walk(3, 3, 11);
  for (auto& f : frames) f.image.clear();
  std::vector<std::string> sp(3, "Li");
  sp[1] = "Na";
  const test::MemorySource src(sp, frames);
  MsdOptions opt;
  opt.blocks = 0;
  opt.remove_drift = true;
  expect_same(analysis::compute_msd(src, opt, MPI_COMM_SELF),
              analysis::compute_msd(src, opt, MPI_COMM_WORLD));
}

TEST(AnalysisRanks, MsdOfAnH5mdFileReadByRowRanges) {
  // The H5MD source reads only each rank's rows; the result is that of the whole frames held in memory.
  const auto frames = walk(30, 40, 17);
  const auto sp = species(30);
  const int rank = [] {
    int r = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &r);
    return r;
  }();
  const std::string path = test::tmp_path("ranks_rank" + std::to_string(rank) + ".h5md");
  test::write_h5md(path, sp, frames);
  const auto file = analysis::open_trajectory(path);
  const test::MemorySource memory(sp, frames);
  for (bool drift : {false, true}) {
    MsdOptions opt;
    opt.remove_drift = drift;
    opt.species = {"Na", "Li"};
    expect_same(analysis::compute_msd(memory, opt, MPI_COMM_SELF),
                analysis::compute_msd(*file, opt, MPI_COMM_WORLD));
  }
  std::remove(path.c_str());
}

TEST(AnalysisRanks, MsdInSeveralPassesUnderAMemoryLimit) {
  // A limit of three atoms' series: several passes over chunks of rows (plus one for the centre of mass
  // with drift removal) give the single-pass result, from memory and from an H5MD file.
  const auto frames = walk(25, 60, 23);
  auto wrapped = frames;
  for (auto& f : wrapped) f.image.clear();
  const auto sp = species(25);
  const test::MemorySource images(sp, frames), displacement(sp, wrapped);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  const std::string path = test::tmp_path("passes_rank" + std::to_string(rank) + ".h5md");
  test::write_h5md(path, sp, frames);
  const auto file = analysis::open_trajectory(path);
  const std::vector<const analysis::TrajectorySource*> sources{&images, &displacement, file.get()};
  for (const analysis::TrajectorySource* src : sources) {
    for (bool drift : {false, true}) {
      MsdOptions opt;
      opt.remove_drift = drift;
      opt.blocks = 3;
      const MsdResult one = analysis::compute_msd(*src, opt, MPI_COMM_SELF);
      opt.memory_limit = 3 * 60 * 3 * sizeof(double);
      const MsdResult chunked = analysis::compute_msd(*src, opt, MPI_COMM_WORLD);
      EXPECT_EQ(one.passes, 1);
      EXPECT_GT(chunked.passes, drift ? 2 : 1);
      expect_same(one, chunked);
    }
  }
  std::remove(path.c_str());
}

TEST(AnalysisRanks, RdfMatchesOneRank) {
  const auto frames = walk(60, 13, 3);
  const test::MemorySource src(species(60), frames);
  analysis::RdfOptions opt;
  opt.r_max = 7.0;
  opt.bins = 70;
  opt.pairs = {{"all", "all"}, {"Li", "O"}, {"Na", "Na"}};
  const auto one = analysis::compute_rdf(src, opt, MPI_COMM_SELF);
  const auto all = analysis::compute_rdf(src, opt, MPI_COMM_WORLD);
  EXPECT_EQ(one.frames, all.frames);
  ASSERT_EQ(one.counts.size(), all.counts.size());
  for (std::size_t p = 0; p < one.counts.size(); ++p) {
    EXPECT_EQ(one.counts[p], all.counts[p]) << one.labels[p];  // whole numbers: exact
    expect_close(one.g[p], all.g[p], "g");
    expect_close(one.n[p], all.n[p], "n");
  }
}

}  // namespace
}  // namespace e3md
