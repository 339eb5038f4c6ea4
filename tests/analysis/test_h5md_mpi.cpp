// Parallel H5MD writing under mpirun with 1, 2 and 3 ranks: every rank count must produce the same file
// contents, bit for bit, as read back by the serial reader. Atoms are spread round-robin (scattered rows,
// element selections) and in blocks (contiguous rows, hyperslabs), in shuffled order within each rank.
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "tests/support/mpi_world.hpp"
#include "io/h5md_reader.hpp"
#include "io/h5md_writer.hpp"

namespace e3md {
namespace {

constexpr std::int64_t kAtoms = 23;

// Deterministic reference data, a function of (frame, atom) only.
Vec3 ref_x(std::int64_t f, std::int64_t i) {
  return Vec3(std::sin(0.1 * i + f), 1.0 + 0.01 * i * f, std::cos(0.3 * i) * 2.0 + 0.5 * f);
}
Vec3 ref_v(std::int64_t f, std::int64_t i) { return Vec3(0.5 * i, -0.25 * f, 1e-3 * i * f); }
Vec3 ref_f(std::int64_t f, std::int64_t i) { return Vec3(1.0 / (i + 1.0), f * 0.125, -3.0); }
Vec3i ref_img(std::int64_t f, std::int64_t i) { return Vec3i(static_cast<int>(i % 3) - 1, static_cast<int>(f), -static_cast<int>(i)); }
int ref_type(std::int64_t i) { return static_cast<int>(i % 3); }
Box ref_box(std::int64_t f) {
  Mat3 h;
  h << 10.0 + 0.1 * f, 0, 0, 1.5, 9.0, 0, -0.7, 0.4, 11.0 - 0.05 * f;
  return Box(h, {true, true, f % 2 == 0});
}

std::string shared_path(const std::string& name) {
  return std::string("/tmp/e3md_h5md_mpi_") + std::to_string(test::world_size()) + "_" + name;
}

std::vector<std::int64_t> my_ids(bool blocks) {
  std::vector<std::int64_t> ids;
  const int r = test::world_rank(), n = test::world_size();
  for (std::int64_t i = 0; i < kAtoms; ++i) {
    const int owner = blocks ? static_cast<int>(i * n / kAtoms) : static_cast<int>(i % n);
    if (owner == r) ids.push_back(i);
  }
  std::reverse(ids.begin(), ids.end());  // the writer must sort
  return ids;
}

void write_frames(H5mdWriter& w, std::int64_t first, std::int64_t count, bool blocks, std::int64_t step0) {
  const auto ids = my_ids(blocks);
  std::vector<AtomId> id(ids.begin(), ids.end());
  for (std::int64_t f = first; f < first + count; ++f) {
    std::vector<Vec3> x, v, fo;
    std::vector<Vec3i> img;
    std::vector<int> types;
    for (auto i : ids) {
      x.push_back(ref_x(f, i));
      v.push_back(ref_v(f, i));
      fo.push_back(ref_f(f, i));
      img.push_back(ref_img(f, i));
      types.push_back(ref_type(i));
    }
    H5mdLocalFrame fr;
    fr.step = step0 + 10 * (f - first);
    fr.time = 0.002 * static_cast<double>(fr.step);
    fr.box = ref_box(f);
    fr.nlocal = static_cast<int>(ids.size());
    fr.ids = id.data();
    fr.types = types.data();
    fr.positions = x.data();
    fr.velocities = v.data();
    fr.forces = fo.data();
    fr.images = img.data();
    fr.observables = {300.0 + f, -5.0 * f, 1.0, 2.0, 3.0, fr.box.volume()};
    w.write_frame(fr);
  }
}

H5mdWriterOptions options() {
  H5mdWriterOptions o;
  o.velocities = true;
  o.forces = true;
  return o;
}

// Frame `f` of the file must equal reference frame `ref`.
void expect_frame(const H5mdReader& r, std::int64_t f, std::int64_t ref, std::int64_t step) {
  const H5mdFrame fr = r.read(f);
  EXPECT_EQ(fr.step, step);
  EXPECT_EQ(fr.time, 0.002 * static_cast<double>(step));
  EXPECT_EQ(fr.box.cell(), ref_box(ref).cell());
  for (std::int64_t i = 0; i < kAtoms; ++i) {
    const auto a = static_cast<std::size_t>(i);
    ASSERT_EQ(fr.positions[a], ref_x(ref, i)) << "frame " << f << " atom " << i;
    ASSERT_EQ(fr.velocities[a], ref_v(ref, i));
    ASSERT_EQ(fr.forces[a], ref_f(ref, i));
    ASSERT_EQ(fr.images[a], ref_img(ref, i));
    ASSERT_EQ(r.species()[a], ref_type(i));
  }
  EXPECT_EQ(r.observable("temperature")[static_cast<std::size_t>(f)], 300.0 + ref);
}

class H5mdParallel : public ::testing::TestWithParam<bool> {};

TEST_P(H5mdParallel, EveryRankCountWritesTheSameFile) {
  const bool blocks = GetParam();
  const std::string path = shared_path(blocks ? "blocks.h5md" : "scattered.h5md");
  {
    auto w = H5mdWriter::create(MPI_COMM_WORLD, path, kAtoms, {"Li", "P", "O"}, options());
    write_frames(w, 0, 4, blocks, 0);
    w.close();
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (test::world_rank() == 0) {
    H5mdReader r(path);
    ASSERT_EQ(r.frames(), 4);
    ASSERT_EQ(r.natoms(), kAtoms);
    EXPECT_EQ(r.species_names(), (std::vector<std::string>{"Li", "P", "O"}));
    for (std::int64_t f = 0; f < 4; ++f) expect_frame(r, f, f, 10 * f);
    // The boundary follows the first frame: c periodic in frame 0.
    EXPECT_TRUE(r.read_box(1).periodic(2));
    std::remove(path.c_str());
  }
  MPI_Barrier(MPI_COMM_WORLD);
}

TEST_P(H5mdParallel, AppendAfterStepDropsLaterFramesWithoutDuplicates) {
  const bool blocks = GetParam();
  const std::string path = shared_path(blocks ? "append_b.h5md" : "append_s.h5md");
  {
    auto w = H5mdWriter::create(MPI_COMM_WORLD, path, kAtoms, {"Li", "P", "O"}, options());
    write_frames(w, 0, 6, blocks, 0);  // steps 0..50
  }
  MPI_Barrier(MPI_COMM_WORLD);
  {
    // Restart from the checkpoint at step 20: frames at 30, 40, 50 are dropped and rewritten (new data).
    auto w = H5mdWriter::append(MPI_COMM_WORLD, path, 20);
    EXPECT_EQ(w.frames_written(), 3);
    write_frames(w, 100, 2, blocks, 30);
    w.close();
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (test::world_rank() == 0) {
    H5mdReader r(path);
    ASSERT_EQ(r.frames(), 5);
    EXPECT_EQ(r.steps(), (std::vector<std::int64_t>{0, 10, 20, 30, 40}));
    for (std::int64_t f = 0; f < 3; ++f) expect_frame(r, f, f, 10 * f);
    expect_frame(r, 3, 100, 30);
    expect_frame(r, 4, 101, 40);
    std::remove(path.c_str());
  }
  MPI_Barrier(MPI_COMM_WORLD);
}

TEST(H5mdParallelErrors, MissingAtomsAreRejectedOnEveryRank) {
  const std::string path = shared_path("missing.h5md");
  auto w = H5mdWriter::create(MPI_COMM_WORLD, path, kAtoms + 1, {"Li", "P", "O"}, options());
  EXPECT_THROW(write_frames(w, 0, 1, false, 0), H5mdError);
  w.close();
  MPI_Barrier(MPI_COMM_WORLD);
  if (test::world_rank() == 0) std::remove(path.c_str());
}

INSTANTIATE_TEST_SUITE_P(Layouts, H5mdParallel, ::testing::Values(false, true),
                         [](const auto& p) { return p.param ? std::string("blocks") : std::string("scattered"); });

}  // namespace
}  // namespace e3md

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  // Only rank 0 prints; every rank runs every test (the writer is collective).
  if (e3md::test::world_rank() != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  int failed = RUN_ALL_TESTS();
  int any = 0;
  MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  return any;
}
