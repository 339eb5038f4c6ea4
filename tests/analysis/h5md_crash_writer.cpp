// Test helper: writes `complete` frames of a small trajectory, optionally stages one more frame without
// committing it, then kills itself with SIGKILL (no close, no MPI_Finalize), as a crashed run would.
// Usage: h5md_crash_writer <path> <complete> <staged: 0|1>
#include <mpi.h>

#include <csignal>
#include <cstdlib>
#include <string>
#include <vector>

#include "io/h5md_writer.hpp"

int main(int argc, char** argv) {
  if (argc != 4) return 2;
  MPI_Init(&argc, &argv);
  const std::string path = argv[1];
  const int complete = std::atoi(argv[2]);
  const bool staged = std::atoi(argv[3]) != 0;
  const int n = 7;
  e3md::H5mdWriterOptions opt;
  opt.observables = {{"temperature", "K"}};
  auto w = e3md::H5mdWriter::create(MPI_COMM_WORLD, path, n, {"Li"}, opt);
  std::vector<e3md::AtomId> ids(n);
  std::vector<int> types(n, 0);
  std::vector<e3md::Vec3> x(n);
  for (int f = 0; f <= complete; ++f) {
    for (int i = 0; i < n; ++i) {
      ids[static_cast<std::size_t>(i)] = i;
      x[static_cast<std::size_t>(i)] = e3md::Vec3(i + 0.5 * f, 0.25 * i, 1.0 * f);
    }
    e3md::H5mdLocalFrame fr;
    fr.step = 100 * f;
    fr.time = 0.1 * f;
    fr.box = e3md::Box(e3md::Mat3::Identity() * 20.0, {true, true, true});
    fr.nlocal = n;
    fr.ids = ids.data();
    fr.types = types.data();
    fr.positions = x.data();
    fr.observables = {300.0 + f};
    if (f < complete) {
      w.write_frame(fr);
    } else if (staged) {
      w.stage_frame(fr);
    }
  }
  std::raise(SIGKILL);
  return 0;
}
