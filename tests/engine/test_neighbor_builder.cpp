// Neighbor lists on one rank (ghosts from periodic self-swaps) against the serial brute force over all
// periodic images: full and half lists, exact pair sets including lattice translations.
#include <gtest/gtest.h>

#include <random>

#include "engine/halo_exchange.hpp"
#include "engine/neighbor_builder.hpp"
#include "halo_test_support.hpp"

namespace e3md {
namespace {

const auto* const kMpi = ::testing::AddGlobalTestEnvironment(new test::MpiEnvironment);

struct Case {
  Box box;
  std::vector<Vec3> x;
};

// Builds ghosts on one rank and checks full and half lists against the brute force.
void check_lists(const Case& c, double cutoff, double skin) {
  HaloExchange halo(MPI_COMM_SELF, c.box);
  NeighborBuilder builder(cutoff, skin);
  halo.set_ghost_cutoff(builder.ghost_cutoff());
  std::vector<AtomId> ids(c.x.size());
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<AtomId>(i);
  Atoms atoms;
  halo.distribute(ids, std::vector<int>(c.x.size(), 0), c.x, {}, {}, atoms);
  ASSERT_EQ(atoms.nlocal, static_cast<int>(c.x.size()));
  halo.exchange(atoms);
  halo.borders(atoms);
  // Owned positions by id, as wrapped by distribute.
  std::vector<Vec3> xw(c.x.size());
  for (int i = 0; i < atoms.nlocal; ++i)
    xw[static_cast<std::size_t>(atoms.id[static_cast<std::size_t>(i)])] =
        atoms.x[static_cast<std::size_t>(i)];
  // Ghost positions are owner + exact lattice translation.
  for (int g = atoms.nlocal; g < atoms.ntotal(); ++g) {
    const auto ug = static_cast<std::size_t>(g);
    EXPECT_EQ(atoms.x[ug], xw[static_cast<std::size_t>(atoms.id[ug])] + c.box.shift(atoms.ghost_shift[ug]));
  }
  const double rc = cutoff + skin;
  for (NeighborKind kind : {NeighborKind::Full, NeighborKind::Half}) {
    NeighborList list;
    builder.build(c.box, atoms, kind, list);
    const auto got = test::list_pairs(atoms, list);
    const auto want = test::brute_pairs(c.box, xw, rc, kind == NeighborKind::Half);
    EXPECT_EQ(got.size(), want.size()) << (kind == NeighborKind::Half ? "half" : "full");
    EXPECT_TRUE(got == want) << "pair sets differ (" << (kind == NeighborKind::Half ? "half" : "full") << ")";
    EXPECT_GT(want.size(), 0u);
  }
}

TEST(NeighborBuilder, RandomTriclinic) {
  std::mt19937_64 rng(21);
  Case c;
  c.box = test::random_triclinic(rng, Vec3(14.0, 12.5, 13.0), 0.4, {true, true, true});
  c.x = test::random_positions(rng, c.box, 300, Vec3::Zero(), Vec3::Ones());
  check_lists(c, 4.0, 0.5);
}

TEST(NeighborBuilder, AtomsOutsideTheCellAreWrapped) {
  std::mt19937_64 rng(22);
  Case c;
  c.box = test::random_triclinic(rng, Vec3(11.0, 12.0, 10.0), 0.3, {true, true, true});
  c.x = test::random_positions(rng, c.box, 200, Vec3::Constant(-2.0), Vec3::Constant(3.0));
  check_lists(c, 3.5, 0.3);
}

TEST(NeighborBuilder, CellNarrowerThanTwiceTheCutoff) {
  std::mt19937_64 rng(23);
  Case c;
  c.box = test::random_triclinic(rng, Vec3(13.0, 12.0, 6.0), 0.35, {true, true, true});
  c.x = test::random_positions(rng, c.box, 200, Vec3::Zero(), Vec3::Ones());
  ASSERT_LT(c.box.plane_spacing(2), 2.0 * 4.0);
  check_lists(c, 4.0, 0.5);
}

TEST(NeighborBuilder, CutoffLargerThanTheWholeCell) {
  std::mt19937_64 rng(24);
  Case c;
  c.box = test::random_triclinic(rng, Vec3(3.1, 3.4, 2.9), 0.3, {true, true, true});
  c.x = test::random_positions(rng, c.box, 5, Vec3::Zero(), Vec3::Ones());
  // Several images of every atom, including of itself, are neighbours.
  check_lists(c, 7.0, 0.4);
}

TEST(NeighborBuilder, SlabNonPeriodicAlongC) {
  std::mt19937_64 rng(25);
  Case c;
  c.box = test::random_triclinic(rng, Vec3(12.0, 13.0, 40.0), 0.3, {true, true, false});
  c.x = test::random_positions(rng, c.box, 250, Vec3(0.0, 0.0, 0.3), Vec3(1.0, 1.0, 0.7));
  check_lists(c, 4.0, 0.5);
}

TEST(NeighborBuilder, SlabAtomsSlightlyOutsideNonPeriodicExtent) {
  std::mt19937_64 rng(26);
  Case c;
  c.box = test::random_triclinic(rng, Vec3(10.0, 10.0, 12.0), 0.2, {true, true, false});
  c.x = test::random_positions(rng, c.box, 150, Vec3(0.0, 0.0, -0.2), Vec3(1.0, 1.0, 1.2));
  check_lists(c, 3.0, 0.3);
}

TEST(NeighborBuilder, NoAllocationWhenSizesDoNotGrow) {
  std::mt19937_64 rng(27);
  const Box box = test::random_triclinic(rng, Vec3(12.0, 12.0, 12.0), 0.3, {true, true, true});
  const auto x = test::random_positions(rng, box, 200, Vec3::Zero(), Vec3::Ones());
  HaloExchange halo(MPI_COMM_SELF, box);
  NeighborBuilder builder(3.5, 0.5);
  halo.set_ghost_cutoff(builder.ghost_cutoff());
  std::vector<AtomId> ids(x.size());
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<AtomId>(i);
  Atoms atoms;
  halo.distribute(ids, std::vector<int>(x.size(), 0), x, {}, {}, atoms);
  halo.borders(atoms);
  NeighborList list;
  builder.build(box, atoms, NeighborKind::Full, list);
  const int* neighbors = list.neighbors.data();
  const int* offsets = list.offsets.data();
  const std::size_t count = list.neighbors.size();
  // Same atoms, same cutoff: the rebuild must reuse every buffer.
  builder.build(box, atoms, NeighborKind::Full, list);
  EXPECT_EQ(list.neighbors.size(), count);
  EXPECT_EQ(list.neighbors.data(), neighbors);
  EXPECT_EQ(list.offsets.data(), offsets);
  builder.build(box, atoms, NeighborKind::Half, list);
  EXPECT_EQ(list.neighbors.data(), neighbors) << "half list is smaller and must reuse the buffer";
  EXPECT_EQ(builder.builds(), 3);
}

TEST(NeighborBuilder, NeedsRebuildAfterHalfSkin) {
  std::mt19937_64 rng(28);
  const Box box = test::random_triclinic(rng, Vec3(10.0, 10.0, 10.0), 0.2, {true, true, true});
  const auto x = test::random_positions(rng, box, 50, Vec3::Zero(), Vec3::Ones());
  HaloExchange halo(MPI_COMM_SELF, box);
  NeighborBuilder builder(3.0, 0.6);
  halo.set_ghost_cutoff(builder.ghost_cutoff());
  std::vector<AtomId> ids(x.size());
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<AtomId>(i);
  Atoms atoms;
  halo.distribute(ids, std::vector<int>(x.size(), 0), x, {}, {}, atoms);
  halo.borders(atoms);
  EXPECT_TRUE(builder.needs_rebuild(atoms, MPI_COMM_SELF)) << "never built";
  NeighborList list;
  builder.build(box, atoms, NeighborKind::Half, list);
  EXPECT_FALSE(builder.needs_rebuild(atoms, MPI_COMM_SELF));
  atoms.x[7] += Vec3(0.29, 0.0, 0.0);
  EXPECT_FALSE(builder.needs_rebuild(atoms, MPI_COMM_SELF));
  atoms.x[7] += Vec3(0.0, 0.0, 0.1);  // |d| = 0.3066 > skin/2
  EXPECT_TRUE(builder.needs_rebuild(atoms, MPI_COMM_SELF));
}

}  // namespace
}  // namespace e3md
