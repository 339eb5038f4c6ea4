// Serial reader of H5MD trajectories (the layout io/h5md_writer.hpp writes; also plain H5MD 1.1 files with a
// /particles/<group>/position element and a 3×3 or 3-vector box).
//
// Frames are read one at a time (memory: one frame). The number of frames is the writer's frames_written
// counter when present, so a file whose writer died mid-frame reads up to its last complete frame.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engine/box.hpp"
#include "engine/types.hpp"
#include "io/h5md_hdf5.hpp"

namespace e3md {

struct H5mdFrame {
  std::int64_t index = 0;
  std::int64_t step = 0;
  double time = 0.0;  // ps
  Box box;
  std::vector<Vec3> positions;   // Å, by global atom id
  std::vector<Vec3i> images;     // empty when the file has no image element
  std::vector<Vec3> velocities;  // Å/ps; filled only when requested and present
  std::vector<Vec3> forces;      // eV/Å; filled only when requested and present
};

class H5mdReader {
 public:
  explicit H5mdReader(const std::string& path);
  ~H5mdReader();
  H5mdReader(const H5mdReader&) = delete;
  H5mdReader& operator=(const H5mdReader&) = delete;

  const std::string& path() const { return path_; }
  std::int64_t frames() const { return frames_; }
  std::int64_t natoms() const { return natoms_; }
  bool has_images() const { return image_.valid(); }
  bool has_velocities() const { return velocity_.valid(); }
  bool has_forces() const { return force_.valid(); }

  // Species index of each atom and the names the indices refer to (empty names: the file had none,
  // indices are then printed as "type<k>").
  const std::vector<int>& species() const { return species_; }
  const std::vector<std::string>& species_names() const { return species_names_; }
  // Species name of atom i.
  std::string species_name(std::size_t i) const;

  std::vector<std::int64_t> steps() const;
  std::vector<double> times() const;
  // Names of the /observables the file records, and one observable over all frames.
  std::vector<std::string> observable_names() const;
  std::vector<double> observable(const std::string& name) const;

  // Reads frame i (0 <= i < frames()). Reuses the vectors in `out` to avoid reallocation when streaming.
  // With count >= 0 only atoms [first, first + count) are read (per-atom arrays hold those rows).
  void read(std::int64_t i, H5mdFrame& out, bool velocities = false, bool forces = false,
            std::int64_t first = 0, std::int64_t count = -1) const;
  H5mdFrame read(std::int64_t i) const;
  Box read_box(std::int64_t i) const;
  // Boxes of frames first, first + stride, ... (n of them) in one read.
  void read_boxes(std::int64_t first, std::int64_t stride, std::int64_t n, Box* out) const;

  // Where the rows [first, first + count) of frame i of the positions (images = false, float64 × 3) or image
  // counters (images = true, int32 × 3) lie in the file: (byte offset, bytes) pieces in row order, which
  // together hold exactly those rows, little-endian. Empty when they cannot be read that way (compressed or
  // unallocated chunks, another type); then read() is the way. Lets callers read frames with plain pread,
  // several at a time, bypassing HDF5 (which is not thread-safe) for the bulk data.
  std::vector<std::pair<std::int64_t, std::int64_t>> raw_rows(bool images, std::int64_t i, std::int64_t first,
                                                              std::int64_t count) const;

 private:
  // Frame `frame` of a per-frame dataset; of a per-atom one, atoms [first, first + count) (count < 0: all).
  void read_rows(const H5Handle& dset, std::int64_t frame, hid_t memtype, void* buf, std::int64_t first = 0,
                 std::int64_t count = -1) const;
  // A 1-D per-frame dataset (step, time) for all frames in one read.
  void read_series(const H5Handle& dset, hid_t memtype, void* buf) const;

  std::string path_;
  std::int64_t frames_ = 0;
  std::int64_t natoms_ = 0;
  std::vector<int> species_;
  std::vector<std::string> species_names_;
  std::vector<std::string> observable_names_;
  std::array<bool, 3> periodic_{{true, true, true}};
  // How position (0) and image (1) rows are stored, for raw_rows: -1 not raw-readable, else the layout.
  struct RawLayout {
    int kind = -1;            // -1 not raw-readable; 0 contiguous; 1 chunked
    std::int64_t offset = 0;  // contiguous: the data's file offset
    std::int64_t chunk[3] = {0, 0, 0};
  };
  RawLayout raw_[2];
  std::int64_t userblock_ = 0;
  void init_raw_layouts();
  bool edges_are_matrix_ = true;
  H5Handle file_;
  H5Handle step_, time_, position_, image_, velocity_, force_, edges_;
};

}  // namespace e3md
