// Checkpoints: written collectively by any number of ranks, read back bit for bit, atomically replaced,
// and damaged files rejected with a clear message.
#include <gtest/gtest.h>
#include <mpi.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "tests/support/mpi_world.hpp"
#include "io/checkpoint.hpp"

namespace fs = std::filesystem;
using namespace e3md;

namespace {

// A shared folder name for all ranks.
std::string shared_dir() {
  char buf[256] = {0};
  if (test::world_rank() == 0) {
    const auto d = fs::temp_directory_path() / ("e3md_ckpt_" + std::to_string(::getpid()));
    fs::create_directories(d);
    std::snprintf(buf, sizeof(buf), "%s", d.c_str());
  }
  MPI_Bcast(buf, sizeof(buf), MPI_CHAR, 0, MPI_COMM_WORLD);
  return buf;
}

// The full reference state (every rank makes the same one).
Checkpoint reference(long natoms) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> u(-3.0, 3.0);
  Checkpoint c;
  c.step = 123456;
  c.time = 123.456;
  c.stage = 2;
  c.stage_step = 789;
  c.seed = 99;
  Mat3 h;
  h << 10.1, 0, 0, 1.3, 9.7, 0, -0.7, 0.4, 11.9;
  c.box = Box(h, {true, true, false});
  c.species = {"Li", "P", "O", "N"};
  c.masses = {6.94, 30.973762, 15.999, 14.007};
  c.integrator = "nose-hoover-chain";
  c.integrator_state = {0.1, -0.2, 1e-300, 3.14159};
  c.extra["msd_origin"] = {1.0, 2.0};
  c.extra["empty"] = {};
  c.trajectory_frames = 17;
  c.deck = "stages: [{type: nve, steps: 10}]\n";
  for (long i = 0; i < natoms; ++i) {
    c.id.push_back(i);
    c.type.push_back(static_cast<int>(i % 4));
    c.x.emplace_back(u(rng), u(rng), u(rng));
    c.v.emplace_back(u(rng), u(rng), u(rng));
    c.image.emplace_back(static_cast<int>(i % 3) - 1, 7, -100000);
  }
  return c;
}

// This rank's share, in a scrambled order (ranks hold atoms in any order).
Checkpoint share(const Checkpoint& all) {
  Checkpoint c = all;
  c.id.clear();
  c.type.clear();
  c.x.clear();
  c.v.clear();
  c.image.clear();
  for (std::size_t i = all.id.size(); i-- > 0;) {
    if (static_cast<int>(i % static_cast<std::size_t>(test::world_size())) != test::world_rank()) continue;
    c.id.push_back(all.id[i]);
    c.type.push_back(all.type[i]);
    c.x.push_back(all.x[i]);
    c.v.push_back(all.v[i]);
    c.image.push_back(all.image[i]);
  }
  return c;
}

TEST(Checkpoint, RoundTripIsExactOnAnyRankCount) {
  const std::string dir = shared_dir();
  const std::string path = dir + "/ckpt.h5";
  const long natoms = 1001;
  const Checkpoint all = reference(natoms);
  write_checkpoint(MPI_COMM_WORLD, path, share(all), natoms);
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  const Checkpoint r = read_checkpoint(path);
  EXPECT_EQ(r.step, all.step);
  EXPECT_EQ(r.time, all.time);
  EXPECT_EQ(r.stage, all.stage);
  EXPECT_EQ(r.stage_step, all.stage_step);
  EXPECT_EQ(r.seed, all.seed);
  EXPECT_EQ(r.trajectory_frames, all.trajectory_frames);
  EXPECT_EQ(r.deck, all.deck);
  EXPECT_EQ(r.species, all.species);
  EXPECT_EQ(r.masses, all.masses);
  EXPECT_EQ(r.integrator, all.integrator);
  EXPECT_EQ(r.integrator_state, all.integrator_state);
  EXPECT_EQ(r.extra, all.extra);
  EXPECT_TRUE(r.box.cell() == all.box.cell());
  EXPECT_EQ(r.box.periodic(), all.box.periodic());
  ASSERT_EQ(r.id.size(), static_cast<std::size_t>(natoms));
  for (long i = 0; i < natoms; ++i) {
    const auto k = static_cast<std::size_t>(i);
    ASSERT_EQ(r.id[k], i);
    ASSERT_EQ(r.type[k], all.type[k]);
    ASSERT_TRUE(r.x[k] == all.x[k]) << "atom " << i;
    ASSERT_TRUE(r.v[k] == all.v[k]) << "atom " << i;
    ASSERT_TRUE(r.image[k] == all.image[k]) << "atom " << i;
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (test::world_rank() == 0) fs::remove_all(dir);
}

TEST(Checkpoint, RewritingReplacesTheOldFileWhole) {
  const std::string dir = shared_dir();
  const std::string path = dir + "/ckpt.h5";
  Checkpoint all = reference(50);
  write_checkpoint(MPI_COMM_WORLD, path, share(all), 50);
  all.step = 2;
  all.x[3].x() = 42.0;
  write_checkpoint(MPI_COMM_WORLD, path, share(all), 50);
  const Checkpoint r = read_checkpoint(path);
  EXPECT_EQ(r.step, 2);
  EXPECT_EQ(r.x[3].x(), 42.0);
  MPI_Barrier(MPI_COMM_WORLD);
  if (test::world_rank() == 0) fs::remove_all(dir);
}

TEST(Checkpoint, DamagedOrForeignFilesAreRejected) {
  const std::string dir = shared_dir();
  MPI_Barrier(MPI_COMM_WORLD);
  if (test::world_rank() == 0) {
    const std::string path = dir + "/ckpt.h5";
    const Checkpoint all = reference(20);
    // Only rank 0 writes here: a one-rank communicator.
    write_checkpoint(MPI_COMM_SELF, path, all, 20);
    const auto size = fs::file_size(path);
    fs::copy_file(path, dir + "/cut.h5");
    fs::resize_file(dir + "/cut.h5", size / 2);
    try {
      read_checkpoint(dir + "/cut.h5");
      ADD_FAILURE() << "truncated checkpoint accepted";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("cut.h5"), std::string::npos) << e.what();
    }
    std::ofstream(dir + "/text.h5") << "not hdf5\n";
    EXPECT_THROW(read_checkpoint(dir + "/text.h5"), std::runtime_error);
    EXPECT_THROW(read_checkpoint(dir + "/missing.h5"), std::runtime_error);
    fs::remove_all(dir);
  }
  MPI_Barrier(MPI_COMM_WORLD);
}

}  // namespace
