// `e3md analyze ...` end to end: every subcommand on an H5MD trajectory written by e3md, CSV headers with
// units, --plot producing PNG and SVG, and one-line errors for bad species and empty frame ranges.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "analysis/csv.hpp"
#include "support.hpp"

namespace e3md {
namespace {

namespace fs = std::filesystem;

// Li random walk (D per axis) among fixed O atoms, with a temperature observable.
void write_run(const std::string& path, double D, double temperature) {
  test::ensure_mpi();
  std::mt19937_64 rng(17);
  std::normal_distribution<double> g(0.0, std::sqrt(2.0 * D * 0.05));
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const Box box(test::triclinic_cell(12.0, 12.0, 24.0), {true, true, true});
  const int n = 96;
  std::vector<int> types;
  std::vector<Vec3> x;
  std::vector<Vec3i> img(n, Vec3i::Zero());
  std::vector<AtomId> ids;
  for (int i = 0; i < n; ++i) {
    types.push_back(i < 32 ? 0 : 1);
    // Li only in the lower half along c at the start: the profile has an interface.
    x.push_back(box.to_cartesian(Vec3(u(rng), u(rng), i < 32 ? 0.5 * u(rng) : u(rng))));
    ids.push_back(i);
  }
  H5mdWriterOptions opt;
  opt.observables = {{"temperature", "K"}};
  auto w = H5mdWriter::create(MPI_COMM_SELF, path, n, {"Li", "O"}, opt);
  for (int t = 0; t < 200; ++t) {
    if (t > 0) {
      for (int i = 0; i < 32; ++i) {
        x[static_cast<std::size_t>(i)] += Vec3(g(rng), g(rng), g(rng));
        x[static_cast<std::size_t>(i)] =
            box.wrap(x[static_cast<std::size_t>(i)], img[static_cast<std::size_t>(i)]);
      }
    }
    H5mdLocalFrame f;
    f.step = 50 * t;
    f.time = 0.05 * t;
    f.box = box;
    f.nlocal = n;
    f.ids = ids.data();
    f.types = types.data();
    f.positions = x.data();
    f.images = img.data();
    f.observables = {temperature};
    w.write_frame(f);
  }
}

// `e3md analyze <args>`, directly (one process without MPI_Init) or under `mpirun -np ranks`.
int run_e3md(const std::string& args, std::string& out, int ranks = 0) {
  setenv("E3MD_PYTHON", E3MD_PYTHON, 1);
  // This test process is an MPI singleton (it writes the trajectory): its OpenMPI/PMIx variables would make
  // a nested mpirun refuse to start, so the child shell drops them first.
  const std::string unset =
      "for v in $(env | grep -o '^[A-Z]*MPI[A-Z]*_[A-Za-z0-9_]*\\|^PMIX[A-Za-z0-9_]*'); do unset $v; done; ";
  const std::string launcher =
      ranks > 0 ? unset + "OMP_NUM_THREADS=1 mpirun --allow-run-as-root --oversubscribe -np " +
                      std::to_string(ranks) + " "
                : "";
  const std::string cmd = launcher + std::string(E3MD_BINARY) + " analyze " + args + " 2>&1";
  out.clear();
  FILE* p = popen(cmd.c_str(), "r");
  char buf[512];
  while (fgets(buf, sizeof(buf), p)) out += buf;
  const int st = pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void expect_plot(const std::string& stem) {
  for (const char* ext : {".png", ".svg"}) {
    EXPECT_TRUE(fs::exists(stem + ext)) << stem + ext;
    if (fs::exists(stem + ext)) {
      EXPECT_GT(fs::file_size(stem + ext), 1000u);
    }
  }
}

TEST(AnalyzeCli, EverySubcommandWritesCsvAndPlots) {
  const std::string dir = test::tmp_path("cli");
  fs::create_directories(dir);
  const std::string hot = dir + "/hot.h5md", cold = dir + "/cold.h5md";
  write_run(hot, 0.4, 900.0);
  write_run(cold, 0.1, 600.0);
  std::string out;

  ASSERT_EQ(
      run_e3md("rdf " + hot + " --pairs Li-O,O-O --rmax 5.5 --bins 55 -o " + dir + "/rdf.csv --plot", out), 0)
      << out;
  auto rdf = analysis::read_csv(dir + "/rdf.csv");
  EXPECT_EQ(rdf.names,
            (std::vector<std::string>{"r[Angstrom]", "g_Li-O[1]", "n_Li-O[1]", "g_O-O[1]", "n_O-O[1]"}));
  EXPECT_EQ(rdf.columns[0].size(), 55u);
  expect_plot(dir + "/rdf");

  ASSERT_EQ(run_e3md("msd " + hot + " --species Li -o " + dir + "/msd.csv --plot", out), 0) << out;
  auto msd = analysis::read_csv(dir + "/msd.csv");
  EXPECT_EQ(msd.names[0], "t[ps]");
  EXPECT_EQ(msd.names[4], "msd_Li_total[Angstrom^2]");
  expect_plot(dir + "/msd");

  for (const auto& [name, path] : {std::pair<std::string, std::string>{"hot", hot}, {"cold", cold}}) {
    ASSERT_EQ(
        run_e3md("diffusion " + path + " --species Li -o " + dir + "/" + name + "_diff.csv --plot", out), 0)
        << out;
    EXPECT_NE(out.find("Nernst"), std::string::npos) << out;  // temperature read from the H5MD observable
    expect_plot(dir + "/" + name + "_diff_msd");
  }
  auto diff = analysis::read_csv(dir + "/hot_diff.csv");
  const auto& D = analysis::csv_column(diff, "D[Angstrom^2/ps]", "hot_diff.csv");
  const auto& T = analysis::csv_column(diff, "temperature[K]", "hot_diff.csv");
  EXPECT_NEAR(D[3], 0.4, 0.1);
  EXPECT_EQ(T[3], 900.0);
  EXPECT_GT(analysis::csv_column(diff, "sigma_NE[S/cm]", "hot_diff.csv")[3], 0.0);

  ASSERT_EQ(run_e3md("arrhenius --diffusion 900=" + dir + "/hot_diff.csv --diffusion 600=" + dir +
                         "/cold_diff.csv -o " + dir + "/arr.csv --plot",
                     out),
            0)
      << out;
  EXPECT_NE(out.find("Ea = "), std::string::npos) << out;
  EXPECT_NE(out.find("sigma(300 K)"), std::string::npos) << out;
  expect_plot(dir + "/arr");

  ASSERT_EQ(run_e3md("profile " + hot + " --bins 24 --stop 1 -o " + dir + "/prof.csv --plot", out), 0) << out;
  auto prof = analysis::read_csv(dir + "/prof.csv");
  EXPECT_EQ(prof.names[0], "z[Angstrom]");
  EXPECT_EQ(prof.names[1], "rho_Li[Angstrom^-3]");
  // Frame 0 has Li only in the lower half.
  const auto& li = prof.columns[1];
  for (std::size_t b = 13; b < 24; ++b) EXPECT_EQ(li[b], 0.0) << b;
  expect_plot(dir + "/prof");
  fs::remove_all(dir);
}

TEST(AnalyzeCli, RanksWriteWhatOneProcessWrites) {
  // Direct start (no MPI) against mpirun with 1, 2 and 3 ranks: the same CSV numbers, written once.
  const std::string dir = test::tmp_path("cli_ranks");
  fs::create_directories(dir);
  const std::string traj = dir + "/t.h5md";
  write_run(traj, 0.3, 700.0);
  std::string out;
  ASSERT_EQ(run_e3md("msd " + traj + " --remove-drift -o " + dir + "/msd.csv", out), 0) << out;
  ASSERT_EQ(run_e3md("rdf " + traj + " --pairs Li-O,all-all --rmax 5 --bins 50 -o " + dir + "/rdf.csv", out),
            0)
      << out;
  const auto msd = analysis::read_csv(dir + "/msd.csv");
  const auto rdf = analysis::read_csv(dir + "/rdf.csv");
  for (int ranks : {1, 2, 3}) {
    const std::string tag = std::to_string(ranks);
    ASSERT_EQ(run_e3md("msd " + traj + " --remove-drift -o " + dir + "/msd" + tag + ".csv", out, ranks), 0)
        << out;
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;  // one line, from rank 0
    ASSERT_EQ(
        run_e3md("rdf " + traj + " --pairs Li-O,all-all --rmax 5 --bins 50 -o " + dir + "/rdf" + tag + ".csv",
                 out, ranks),
        0)
        << out;
    for (const auto& [ref, path] :
         {std::pair<const analysis::CsvTable*, std::string>{&msd, dir + "/msd" + tag + ".csv"},
          {&rdf, dir + "/rdf" + tag + ".csv"}}) {
      const auto got = analysis::read_csv(path);
      ASSERT_EQ(got.names, ref->names) << path;
      for (std::size_t c = 0; c < got.columns.size(); ++c) {
        for (std::size_t k = 0; k < got.columns[c].size(); ++k) {
          EXPECT_NEAR(got.columns[c][k], ref->columns[c][k], 1e-12 * (1.0 + std::abs(ref->columns[c][k])))
              << path << " " << got.names[c] << " row " << k;
        }
      }
    }
  }
  fs::remove_all(dir);
}

TEST(AnalyzeCli, BadInputGivesOneLineErrors) {
  const std::string dir = test::tmp_path("cli_bad");
  fs::create_directories(dir);
  const std::string traj = dir + "/t.h5md";
  write_run(traj, 0.1, 300.0);
  std::string out;
  EXPECT_EQ(run_e3md("rdf " + traj + " --pairs Li-Na -o " + dir + "/x.csv", out), 1);
  EXPECT_NE(
      out.find("e3md: error: " + traj + ": species 'Na' is not in the trajectory (species present: Li, O)"),
      std::string::npos)
      << out;
  EXPECT_EQ(run_e3md("msd " + traj + " --start 500 -o " + dir + "/x.csv", out), 1);
  EXPECT_NE(out.find("selects no frame of 200"), std::string::npos) << out;
  EXPECT_EQ(run_e3md("rdf " + dir + "/missing.h5md", out), 1);
  EXPECT_NE(out.find("cannot open the trajectory"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(dir + "/x.csv"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace e3md
