// Frame sources for the analyses: H5MD trajectories (streamed, one frame in memory) and extended XYZ
// (read whole by io/extxyz, so its memory is the whole file). Frame selection by [start, stop) with stride.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "analysis/analysis_error.hpp"
#include "engine/box.hpp"
#include "engine/types.hpp"

namespace e3md::analysis {

// One frame as the analyses see it.
struct Frame {
  std::int64_t index = 0;
  std::int64_t step = 0;
  double time = 0.0;  // ps
  Box box;
  std::vector<Vec3> positions;  // Å
  std::vector<Vec3i> images;    // image counters; empty when the source has none
};

class TrajectorySource {
 public:
  virtual ~TrajectorySource() = default;
  virtual const std::string& path() const = 0;
  virtual std::int64_t frames() const = 0;
  virtual std::int64_t natoms() const = 0;
  // Species name of every atom, by atom index (constant over the trajectory).
  virtual const std::vector<std::string>& species() const = 0;
  virtual void read(std::int64_t i, Frame& out) const = 0;
  // Frame i with only atoms [first, first + count) in the per-atom arrays. The default reads the whole
  // frame and keeps those rows; H5MD reads only them.
  virtual void read_atoms(std::int64_t i, std::int64_t first, std::int64_t count, Frame& out) const;
  // Frames frames[0..n) with only atoms [first, first + count): positions into pos[q * count + a], boxes into
  // boxes[q], and image counters into img (same layout) when img is non-null and the source has them; returns
  // whether it filled img. `next` (next_n frames, same rows) says what the following call will ask for, so
  // that a source can prepare it meanwhile. H5MD reads the rows with pread on all threads where the file's
  // layout allows (H5mdReader::raw_rows) while one thread locates the next block; the default reads frame by
  // frame.
  virtual bool read_block(const std::int64_t* frames, int n, std::int64_t first, std::int64_t count,
                          Vec3* pos, Vec3i* img, Box* boxes, const std::int64_t* next = nullptr,
                          int next_n = 0) const;
  // Time of frame i (ps) without reading its coordinates.
  virtual double time(std::int64_t i) const = 0;
};

// Opens by extension (.h5md/.h5 → H5MD, .xyz/.extxyz → extended XYZ) unless format is "h5md" or "extxyz".
// Extended XYZ frames take their time from the info key `time` (ps) when present, else index × dt_ps.
std::unique_ptr<TrajectorySource> open_trajectory(const std::string& path, const std::string& format = "",
                                                  double dt_ps = 1.0);

// Frames start, start+stride, ... below stop. stop < 0 means the end. Python-like negative start counts
// from the end.
struct FrameRange {
  std::int64_t start = 0;
  std::int64_t stop = -1;
  std::int64_t stride = 1;
  // The selected frame indices; throws when the selection is empty or the stride is not positive.
  std::vector<std::int64_t> resolve(std::int64_t nframes, const std::string& path) const;
};

// Atom indices whose species is in `names` ("all" or an empty list selects every atom). Throws, listing the
// species present, when a name matches no atom.
std::vector<int> select_species(const std::vector<std::string>& species,
                                const std::vector<std::string>& names, const std::string& path);
// The distinct species in order of first appearance.
std::vector<std::string> distinct_species(const std::vector<std::string>& species);

}  // namespace e3md::analysis
