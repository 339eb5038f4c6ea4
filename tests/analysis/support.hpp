// Shared helpers of the analysis tests: MPI for the parallel H5MD writer, synthetic trajectories written as
// H5MD, running the Python reference scripts.
#pragma once

#include <mpi.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "analysis/trajectory.hpp"
#include "engine/box.hpp"
#include "io/h5md_writer.hpp"

namespace e3md::test {

// MPI is initialised on first use (singleton start, no mpirun needed) and finalised at exit.
inline void ensure_mpi() {
  int init = 0;
  MPI_Initialized(&init);
  if (init) return;
  MPI_Init(nullptr, nullptr);
  std::atexit([] {
    int fin = 0;
    MPI_Finalized(&fin);
    if (!fin) MPI_Finalize();
  });
}

inline std::string tmp_path(const std::string& name) {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir && *dir ? dir : "/tmp") + "/e3md_analysis_" + std::to_string(::getpid()) + "_" + name;
}

struct SynthFrame {
  double time = 0.0;
  Box box;
  std::vector<Vec3> x;
  std::vector<Vec3i> image;  // empty: zeros
};

// Writes frames (one rank, MPI_COMM_SELF) with species names by atom.
inline void write_h5md(const std::string& path, const std::vector<std::string>& species,
                       const std::vector<SynthFrame>& frames, bool images = true, std::int64_t chunk_atoms = 65536) {
  ensure_mpi();
  std::vector<std::string> names;
  std::vector<int> types;
  for (const auto& s : species) {
    std::size_t k = 0;
    while (k < names.size() && names[k] != s) ++k;
    if (k == names.size()) names.push_back(s);
    types.push_back(static_cast<int>(k));
  }
  H5mdWriterOptions opt;
  opt.images = images;
  opt.observables = {};
  opt.chunk_atoms = chunk_atoms;
  auto w = H5mdWriter::create(MPI_COMM_SELF, path, static_cast<std::int64_t>(species.size()), names, opt);
  std::vector<AtomId> ids(species.size());
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<AtomId>(i);
  std::int64_t step = 0;
  for (const auto& f : frames) {
    H5mdLocalFrame lf;
    lf.step = step++;
    lf.time = f.time;
    lf.box = f.box;
    lf.nlocal = static_cast<int>(species.size());
    lf.ids = ids.data();
    lf.types = types.data();
    lf.positions = f.x.data();
    lf.images = f.image.empty() ? nullptr : f.image.data();
    w.write_frame(lf);
  }
  w.close();
}

// Runs `E3MD_PYTHON script args`; returns the exit code and the output in `out`.
inline int run_python(const std::string& script, const std::string& args, std::string& out) {
  const std::string cmd = std::string(E3MD_PYTHON) + " " + E3MD_SOURCE_DIR + "/tests/analysis/" + script + " " + args + " 2>&1";
  out.clear();
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return -1;
  char buf[512];
  while (fgets(buf, sizeof(buf), p)) out += buf;
  const int st = pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

// In-memory trajectory for tests that need no file.
class MemorySource final : public analysis::TrajectorySource {
 public:
  MemorySource(std::vector<std::string> species, std::vector<SynthFrame> frames)
      : species_(std::move(species)), frames_(std::move(frames)) {}
  const std::string& path() const override { return path_; }
  std::int64_t frames() const override { return static_cast<std::int64_t>(frames_.size()); }
  std::int64_t natoms() const override { return static_cast<std::int64_t>(species_.size()); }
  const std::vector<std::string>& species() const override { return species_; }
  double time(std::int64_t i) const override { return frames_.at(static_cast<std::size_t>(i)).time; }
  void read(std::int64_t i, analysis::Frame& out) const override {
    const SynthFrame& f = frames_.at(static_cast<std::size_t>(i));
    out.index = i;
    out.step = i;
    out.time = f.time;
    out.box = f.box;
    out.positions = f.x;
    out.images = f.image;
  }

 private:
  std::string path_ = "<memory>";
  std::vector<std::string> species_;
  std::vector<SynthFrame> frames_;
};

// A triclinic cell (rows a, b, c) used by several tests.
inline Mat3 triclinic_cell(double a, double b, double c) {
  Mat3 h;
  h << a, 0.0, 0.0, 0.31 * b, 0.95 * b, 0.0, 0.2 * c, -0.15 * c, 0.968 * c;
  return h;
}

}  // namespace e3md::test
