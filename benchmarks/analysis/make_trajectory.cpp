// Benchmark input: an H5MD trajectory of N atoms (20 % Li, 80 % O) at liquid density (0.08 Å⁻³) in a cubic
// cell. O atoms vibrate around a jittered lattice, Li atoms random-walk; positions are stored unwrapped
// (MDAnalysis' EinsteinMSD needs unwrapped coordinates), time step 0.1 ps.
// Usage: bench_make_trajectory <out.h5md> <atoms> <frames>
#include <mpi.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "io/h5md_writer.hpp"

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s out.h5md atoms frames\n", argv[0]);
    MPI_Finalize();
    return 2;
  }
  const std::string path = argv[1];
  const int n = std::atoi(argv[2]), frames = std::atoi(argv[3]);
  const double L = std::cbrt(n / 0.08);
  const int m = static_cast<int>(std::ceil(std::cbrt(static_cast<double>(n))));
  std::mt19937_64 rng(2024);
  std::normal_distribution<double> g(0.0, 1.0);
  std::vector<e3md::Vec3> site(static_cast<std::size_t>(n)), x(static_cast<std::size_t>(n));
  std::vector<int> types(static_cast<std::size_t>(n));
  std::vector<e3md::AtomId> ids(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const auto u = static_cast<std::size_t>(i);
    site[u] = e3md::Vec3(i % m + 0.5, (i / m) % m + 0.5, i / (m * m) + 0.5) * (L / m);
    x[u] = site[u];
    types[u] = i % 5 == 0 ? 0 : 1;
    ids[u] = i;
  }
  e3md::H5mdWriterOptions opt;
  opt.images = false;
  opt.observables = {{"temperature", "K"}};
  auto w = e3md::H5mdWriter::create(MPI_COMM_WORLD, path, n, {"Li", "O"}, opt);
  const e3md::Box box(e3md::Mat3::Identity() * L, {true, true, true});
  for (int t = 0; t < frames; ++t) {
    for (int i = 0; i < n; ++i) {
      const auto u = static_cast<std::size_t>(i);
      if (types[u] == 0) {
        x[u] += 0.2 * e3md::Vec3(g(rng), g(rng), g(rng));  // σ² = 0.04 Å² per 0.1 ps: D = 0.2 Å²/ps
      } else {
        x[u] = site[u] + 0.3 * e3md::Vec3(g(rng), g(rng), g(rng));
      }
    }
    e3md::H5mdLocalFrame f;
    f.step = 100 * t;
    f.time = 0.1 * t;
    f.box = box;
    f.nlocal = n;
    f.ids = ids.data();
    f.types = types.data();
    f.positions = x.data();
    f.observables = {800.0};
    w.write_frame(f);
  }
  w.close();
  MPI_Finalize();
  return 0;
}
