// Parallel H5MD 1.1 trajectory writer (https://www.nongnu.org/h5md/h5md.html).
//
// Layout (every time-dependent element is a group with step, time and value; step and time are hard links
// to /particles/all/position/{step,time}, as H5MD allows for elements sampled together):
//   /h5md                      version = [1, 1]; author/name; creator/{name, version}
//   /particles/all/position    value (frames, N, 3) float64, Å, rows ordered by global atom id
//   /particles/all/image       value (frames, N, 3) int32 image counters (unwrapped = x + n·H)
//   /particles/all/velocity    value (frames, N, 3) float64, Å/ps            (optional)
//   /particles/all/force       value (frames, N, 3) float64, eV/Å            (optional)
//   /particles/all/species     (N,) int32, time-independent, index into the names attribute
//   /particles/all/box         dimension = 3, boundary = ["periodic"|"none"] x3;
//                              edges/value (frames, 3, 3) float64 Å, rows = lattice vectors a, b, c
//   /observables/<name>        value (frames,) float64 with a unit attribute
//   /parameters/e3md           frames_written (int64): the number of complete frames.
//
//   /parameters/e3md           closed_cleanly (int64): 1 once close() has finished, 0 while a writer has it open.
//
// Crash safety: a frame is written (datasets extended, data written, file flushed) before frames_written
// is raised and flushed again; readers trust frames_written, so a writer killed mid-frame leaves a file
// readable up to its last complete frame. HDF5's own metadata is not crash consistent, though: a kill inside
// a flush can leave the superblock's end of allocation behind the objects it allocated, and writing into such a
// file corrupts it. So append mode reopens in place only a file that was closed cleanly; a file whose writer died
// is first rebuilt from its complete frames into a new file that then replaces it (rename), so that the frames
// already written are never at risk. Append mode truncates every dataset back to the frames kept, so a restart
// never duplicates frames.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engine/box.hpp"
#include "engine/types.hpp"
#include "io/h5md_hdf5.hpp"

namespace e3md {

// One scalar observable recorded per frame (e.g. {"temperature", "K"}).
struct H5mdObservable {
  std::string name;
  std::string unit;
};

// The observables the simulation layer records, in LAMMPS metal units.
std::vector<H5mdObservable> standard_observables();

struct H5mdWriterOptions {
  bool velocities = false;
  bool forces = false;
  bool images = true;
  std::vector<H5mdObservable> observables = standard_observables();
  std::string author = "e3md user";
  // Atoms per chunk along the atom axis (one frame per chunk along time).
  std::int64_t chunk_atoms = 65536;
};

// The atoms a rank owns in one frame. Arrays have nlocal entries; optional ones may be null when the
// writer was created without them. ids are global atom ids in [0, N).
struct H5mdLocalFrame {
  std::int64_t step = 0;
  double time = 0.0;  // ps
  Box box;
  int nlocal = 0;
  const AtomId* ids = nullptr;
  const int* types = nullptr;     // species index (written with the first frame only)
  const Vec3* positions = nullptr;
  const Vec3* velocities = nullptr;
  const Vec3* forces = nullptr;
  const Vec3i* images = nullptr;  // null: zeros
  std::vector<double> observables;  // same order as H5mdWriterOptions::observables
};

class H5mdWriter {
 public:
  // Creates (or overwrites) `path`. Collective over comm; natoms and species_names equal on every rank.
  static H5mdWriter create(MPI_Comm comm, const std::string& path, std::int64_t natoms,
                           const std::vector<std::string>& species_names, const H5mdWriterOptions& options);
  // Opens an existing trajectory and keeps only its complete frames with step <= after_step; the next
  // write_frame continues from there. A file not closed cleanly is rebuilt first (see the top). Collective.
  static H5mdWriter append(MPI_Comm comm, const std::string& path, std::int64_t after_step);

  H5mdWriter(H5mdWriter&&) = default;
  H5mdWriter& operator=(H5mdWriter&&) = default;
  ~H5mdWriter();

  // Writes one frame. Collective: every rank passes its owned atoms (possibly none).
  // Equivalent to stage_frame + commit_frame.
  void write_frame(const H5mdLocalFrame& frame);
  // The two halves of write_frame: stage writes and flushes the frame's data; commit raises frames_written
  // and flushes. A process that dies in between leaves the frame invisible to readers. Collective.
  void stage_frame(const H5mdLocalFrame& frame);
  void commit_frame();
  // Flushes and closes the file (also done by the destructor). Collective.
  void close();

  std::int64_t frames_written() const { return frames_; }
  std::int64_t natoms() const { return natoms_; }
  const H5mdWriterOptions& options() const { return options_; }

 private:
  H5mdWriter() = default;
  // Rewrites `path` with its complete frames through a temporary file and a rename (append then cuts them
  // back to the step it was given). Serial: one rank calls it.
  static void rebuild_complete_frames(const std::string& path);
  void mark_open(bool open);
  void open_elements();
  void set_frames(std::int64_t frames);
  void write_per_atom(hid_t dset, hid_t memtype, const void* buf, const std::vector<std::size_t>& order,
                      const std::vector<AtomId>& sorted_ids, std::int64_t frame, int ncols);

  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  std::string path_;
  std::int64_t natoms_ = 0;
  std::int64_t frames_ = 0;
  bool species_written_ = false;
  bool staged_ = false;
  bool flush_each_frame_ = true;  // off only while a rebuild copies frames into a file not yet in place
  bool failed_ = false;           // a write threw: the file is not marked as closed cleanly
  H5mdWriterOptions options_;
  H5Handle file_, dxpl_;
  H5Handle step_, time_, position_, image_, velocity_, force_, edges_, species_, counter_group_;
  std::vector<H5Handle> observables_;
};

}  // namespace e3md
