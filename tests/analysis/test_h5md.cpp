// H5MD: crash safety (a writer killed with SIGKILL), append after a crash, bad files, and MDAnalysis reading
// what e3md wrote.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iterator>

#include "io/h5md_reader.hpp"
#include "support.hpp"

namespace e3md {
namespace {

void run_crash_writer(const std::string& path, int complete, bool staged) {
  const std::string cmd = std::string(E3MD_CRASH_WRITER) + " " + path + " " + std::to_string(complete) + " " +
                          (staged ? "1" : "0") + " > /dev/null 2>&1";
  const int st = std::system(cmd.c_str());
  // The helper ends by SIGKILL: the shell reports 128 + 9.
  ASSERT_TRUE(WIFEXITED(st)) << cmd;
  ASSERT_EQ(WEXITSTATUS(st), 128 + SIGKILL) << cmd;
}

void expect_crash_frames(const std::string& path, int complete) {
  H5mdReader r(path);
  ASSERT_EQ(r.frames(), complete);
  for (int f = 0; f < complete; ++f) {
    const H5mdFrame fr = r.read(f);
    EXPECT_EQ(fr.step, 100 * f);
    for (int i = 0; i < 7; ++i) {
      EXPECT_EQ(fr.positions[static_cast<std::size_t>(i)], Vec3(i + 0.5 * f, 0.25 * i, 1.0 * f));
    }
  }
  EXPECT_EQ(r.observable("temperature").size(), static_cast<std::size_t>(complete));
}

class H5mdCrash : public ::testing::TestWithParam<bool> {};

TEST_P(H5mdCrash, KilledWriterLeavesCompleteFramesAndAppendContinues) {
  const std::string path = test::tmp_path(GetParam() ? "crash_staged.h5md" : "crash_between.h5md");
  run_crash_writer(path, 4, GetParam());
  expect_crash_frames(path, 4);
  // Restart after the last complete frame: the staged (invisible) frame is discarded, no duplicates.
  test::ensure_mpi();
  {
    auto w = H5mdWriter::append(MPI_COMM_SELF, path, 1000000);
    EXPECT_EQ(w.frames_written(), 4);
    std::vector<AtomId> ids{0, 1, 2, 3, 4, 5, 6};
    std::vector<Vec3> x(7, Vec3(1, 2, 3));
    H5mdLocalFrame fr;
    fr.step = 400;
    fr.time = 0.4;
    fr.box = Box(Mat3::Identity() * 20.0, {true, true, true});
    fr.nlocal = 7;
    fr.ids = ids.data();
    fr.positions = x.data();
    fr.observables = {310.0};
    w.write_frame(fr);
  }
  H5mdReader r(path);
  ASSERT_EQ(r.frames(), 5);
  EXPECT_EQ(r.steps(), (std::vector<std::int64_t>{0, 100, 200, 300, 400}));
  EXPECT_EQ(r.read(4).positions[6], Vec3(1, 2, 3));
  EXPECT_EQ(r.observable("temperature")[4], 310.0);
  std::remove(path.c_str());
}

INSTANTIATE_TEST_SUITE_P(Modes, H5mdCrash, ::testing::Values(false, true), [](const auto& p) {
  return p.param ? std::string("mid_frame") : std::string("between_frames");
});

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The failure a kill inside HDF5's flush can leave: the objects of a new frame are on disk but the superblock
// still holds the end of allocation from before that frame. Writing into such a file in place would allocate
// over those objects; append must recover the complete frames into a new file instead, and keep the damaged
// file untouched if it cannot.
TEST(H5mdCrash, FlushTornBetweenSuperblockAndObjectsIsRecoveredByRebuilding) {
  test::ensure_mpi();
  const std::string path = test::tmp_path("torn.h5md");
  // Enough atoms that a frame's chunks do not fit in the space HDF5's allocators already hold.
  const int n = 300, complete = 3;
  std::vector<AtomId> ids(n);
  std::vector<int> types(n);
  for (int i = 0; i < n; ++i)
    ids[static_cast<std::size_t>(i)] = i, types[static_cast<std::size_t>(i)] = i % 2;
  std::vector<Vec3> x(n), v(n);
  auto frame = [&](int f) {
    for (int i = 0; i < n; ++i) {
      x[static_cast<std::size_t>(i)] = Vec3(i + 0.5 * f, 0.25 * i, 1.0 * f);
      v[static_cast<std::size_t>(i)] = Vec3(-1.0 * i, 0.1 * f, 2.0);
    }
    H5mdLocalFrame fr;
    fr.step = 100 * f;
    fr.time = 0.1 * f;
    fr.box = Box(Mat3::Identity() * (20.0 + f), {true, true, false});
    fr.nlocal = n;
    fr.ids = ids.data();
    fr.types = types.data();
    fr.positions = x.data();
    fr.velocities = v.data();
    fr.observables = {300.0 + f};
    return fr;
  };
  std::string before, after;
  {
    H5mdWriterOptions opt;
    opt.velocities = true;
    opt.observables = {{"temperature", "K"}};
    opt.author = "torn test";
    auto w = H5mdWriter::create(MPI_COMM_SELF, path, n, {"Li", "O"}, opt);
    for (int f = 0; f < complete; ++f) w.write_frame(frame(f));
    before = file_bytes(path);
    w.stage_frame(frame(complete));  // allocates the next frame's chunks beyond the old end of allocation
    after = file_bytes(path);
    // The writer is abandoned here as a killed process would abandon it: its handles close without close().
  }
  // Superblock version 0: the end-of-allocation address is bytes 40-47.
  ASSERT_EQ(after[8], '\0') << "expected superblock version 0";
  ASSERT_GT(after.size(), before.size());
  ASSERT_NE(after.substr(40, 8), before.substr(40, 8))
      << "the staged frame did not move the end of allocation";
  std::string torn = after;
  torn.replace(40, 8, before.substr(40, 8));
  { std::ofstream(path, std::ios::binary | std::ios::trunc) << torn; }
  {
    H5mdReader r(path);
    ASSERT_EQ(r.frames(), complete);
  }

  // A copy cut short (the frames cannot be read) is refused with a clear error and left byte for byte as it
  // was.
  const std::string cut = test::tmp_path("torn_cut.h5md");
  std::ofstream(cut, std::ios::binary | std::ios::trunc) << torn.substr(0, 2048);
  std::string err;
  try {
    H5mdWriter::append(MPI_COMM_SELF, cut, 1000000);
  } catch (const H5mdError& e) {
    err = e.what();
  }
  EXPECT_NE(err.find("did not close it"), std::string::npos) << err;
  EXPECT_EQ(file_bytes(cut), torn.substr(0, 2048));
  EXPECT_FALSE(std::ifstream(cut + ".rebuild.tmp").good());

  {
    auto w = H5mdWriter::append(MPI_COMM_SELF, path, 150);  // keeps steps 0 and 100
    EXPECT_EQ(w.frames_written(), 2);
    for (int f = 2; f < 6; ++f) w.write_frame(frame(f));
  }
  EXPECT_FALSE(std::ifstream(path + ".rebuild.tmp").good());
  H5mdReader r(path);
  ASSERT_EQ(r.frames(), 6);
  EXPECT_EQ(r.steps(), (std::vector<std::int64_t>{0, 100, 200, 300, 400, 500}));
  EXPECT_EQ(r.species_names(), (std::vector<std::string>{"Li", "O"}));
  EXPECT_EQ(r.species(), types);
  for (int f = 0; f < 6; ++f) {
    H5mdFrame fr;
    r.read(f, fr, /*velocities=*/true);
    frame(f);
    EXPECT_EQ(fr.positions, x) << f;
    EXPECT_EQ(fr.velocities, v) << f;
    EXPECT_DOUBLE_EQ(fr.box.cell()(0, 0), 20.0 + f);
    EXPECT_FALSE(fr.box.periodic(2));
    EXPECT_EQ(r.observable("temperature")[static_cast<std::size_t>(f)], 300.0 + f);
  }
  H5Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  H5Handle cg = h5::open_group(file.get(), "/parameters/e3md", path);
  EXPECT_EQ(h5::read_int_attr(cg.get(), "closed_cleanly", path), 1);
  H5Handle author = h5::open_group(file.get(), "/h5md/author", path);
  EXPECT_EQ(h5::read_string_attr(author.get(), "name", path), "torn test");
  for (const auto& p : {path, cut}) std::remove(p.c_str());
}

// H5mdWriterOptions::chunk_atoms bounds the chunks of the per-atom datasets along the atom axis; a reader
// gets the same rows whichever chunking the file has, also ranges of rows that cross chunks, and raw_rows
// names the file bytes that hold exactly those rows.
TEST(H5mdLayout, ChunkAtomsSetsTheChunksAndRowRangesReadTheSame) {
  const int n = 23;
  std::vector<test::SynthFrame> frames(4);
  std::vector<std::string> species(n, "Li");
  for (int f = 0; f < 4; ++f) {
    frames[static_cast<std::size_t>(f)].box = Box(Mat3::Identity() * (10.0 + f), {true, true, true});
    for (int i = 0; i < n; ++i) {
      frames[static_cast<std::size_t>(f)].x.push_back(Vec3(0.1 * i + f, -0.5 * i, 1e-3 * i * f));
      frames[static_cast<std::size_t>(f)].image.push_back(Vec3i(i, -f, i * f - 7));
    }
  }
  for (std::int64_t chunk : {std::int64_t{65536}, std::int64_t{5}}) {
    const std::string path = test::tmp_path("chunks.h5md");
    test::write_h5md(path, species, frames, true, chunk);
    {
      H5Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
      for (const char* name : {"/particles/all/position/value", "/particles/all/image/value"}) {
        H5Handle d = h5::open_dataset(file.get(), name, path);
        H5Handle dcpl(H5Dget_create_plist(d.get()));
        hsize_t c[3] = {0, 0, 0};
        ASSERT_EQ(H5Pget_chunk(dcpl.get(), 3, c), 3);
        EXPECT_EQ(c[0], 1u);
        EXPECT_EQ(c[1], static_cast<hsize_t>(std::min<std::int64_t>(n, chunk))) << name;
        EXPECT_EQ(c[2], 3u);
      }
    }
    H5mdReader r(path);
    const std::string bytes = file_bytes(path);
    for (std::int64_t f = 0; f < 4; ++f) {
      const auto& want = frames[static_cast<std::size_t>(f)];
      H5mdFrame part;
      r.read(f, part, false, false, 3, 17);  // rows 3-19 cross four chunks of 5
      for (std::size_t i = 0; i < 17; ++i) {
        EXPECT_EQ(part.positions[i], want.x[i + 3]);
        EXPECT_EQ(part.images[i], want.image[i + 3]);
      }
      // raw_rows: the file bytes of exactly those rows, one piece per chunk crossed.
      for (bool img : {false, true}) {
        const auto pieces = r.raw_rows(img, f, 3, 17);
        EXPECT_EQ(pieces.size(), chunk > n ? 1u : 4u);
        std::string got, expect;
        for (const auto& [off, len] : pieces)
          got += bytes.substr(static_cast<std::size_t>(off), static_cast<std::size_t>(len));
        for (std::size_t i = 3; i < 20; ++i) {
          if (img) {
            const std::int32_t v[3] = {want.image[i][0], want.image[i][1], want.image[i][2]};
            expect.append(reinterpret_cast<const char*>(v), sizeof(v));
          } else {
            expect.append(reinterpret_cast<const char*>(want.x[i].data()), 3 * sizeof(double));
          }
        }
        EXPECT_EQ(got, expect) << "chunk " << chunk << " frame " << f << (img ? " images" : " positions");
      }
    }
    EXPECT_TRUE(r.raw_rows(false, 4, 0, 1).empty());  // no such frame
    std::vector<Box> boxes(2);
    r.read_boxes(1, 2, 2, boxes.data());  // frames 1 and 3
    EXPECT_EQ(boxes[0].cell()(0, 0), 11.0);
    EXPECT_EQ(boxes[1].cell()(2, 2), 13.0);
    std::remove(path.c_str());
  }
}

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const H5mdError& e) {
    return e.what();
  }
  return "";
}

TEST(H5mdBadInput, MissingTextTruncatedAndNonH5mdFilesGiveClearErrors) {
  EXPECT_NE(error_of([] { H5mdReader r("/nonexistent/x.h5md"); }).find("cannot open"), std::string::npos);

  const std::string text = test::tmp_path("text.h5md");
  std::ofstream(text) << "this is not HDF5\n";
  EXPECT_NE(error_of([&] { H5mdReader r(text); }).find("not an HDF5 file"), std::string::npos);

  // A valid trajectory cut in half: the HDF5 superblock survives but the data do not.
  const std::string good = test::tmp_path("good.h5md");
  test::SynthFrame f;
  f.box = Box(Mat3::Identity() * 10.0, {true, true, true});
  f.x.assign(50, Vec3(1, 2, 3));
  test::write_h5md(good, std::vector<std::string>(50, "Li"), {f, f, f});
  std::ifstream in(good, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string cut = test::tmp_path("cut.h5md");
  std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() / 3);
  const std::string cut_error = error_of([&] {
    H5mdReader r(cut);
    for (std::int64_t i = 0; i < r.frames(); ++i) r.read(i);
  });
  EXPECT_FALSE(cut_error.empty());
  EXPECT_NE(cut_error.find(cut), std::string::npos) << cut_error;

  const std::string plain = test::tmp_path("plain.h5");
  H5Handle file(H5Fcreate(plain.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
  file.reset();
  EXPECT_NE(error_of([&] { H5mdReader r(plain); }).find("not an H5MD trajectory"), std::string::npos);

  H5mdReader r(good);
  EXPECT_NE(error_of([&] { r.read(3); }).find("out of range"), std::string::npos);
  EXPECT_NE(error_of([&] { r.observable("pressure"); }).find("no observable"), std::string::npos);
  for (const auto& p : {text, good, cut, plain}) std::remove(p.c_str());
}

// MDAnalysis (float32 coordinates) must read positions, triclinic box and time that e3md wrote.
TEST(H5mdParity, MDAnalysisReadsWhatE3mdWrote) {
  const std::string path = test::tmp_path("mda.h5md");
  const std::string expect = test::tmp_path("mda_expected.txt");
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<test::SynthFrame> frames;
  std::ofstream ex(expect);
  ex.precision(17);
  const int n = 40;
  for (int f = 0; f < 5; ++f) {
    test::SynthFrame fr;
    fr.time = 0.25 * f;
    fr.box = Box(test::triclinic_cell(12.0 + 0.1 * f, 13.0, 14.0), {true, true, true});
    ex << fr.time;
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c) ex << ' ' << fr.box.cell()(r, c);
    for (int i = 0; i < n; ++i) {
      fr.x.push_back(fr.box.to_cartesian(Vec3(u(rng), u(rng), u(rng))));
      ex << ' ' << fr.x.back()[0] << ' ' << fr.x.back()[1] << ' ' << fr.x.back()[2];
    }
    ex << '\n';
    frames.push_back(fr);
  }
  ex.close();
  test::write_h5md(path, std::vector<std::string>(n, "O"), frames);
  std::string out;
  const int rc = test::run_python("check_h5md_mdanalysis.py", path + " " + expect, out);
  EXPECT_EQ(rc, 0) << out;
  std::printf("%s", out.c_str());
  std::remove(path.c_str());
  std::remove(expect.c_str());
}

}  // namespace
}  // namespace e3md
