#include "analysis/trajectory.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "io/extxyz.hpp"
#include "io/h5md_reader.hpp"

namespace e3md::analysis {
namespace {

std::string lower_extension(const std::string& path) {
  const auto dot = path.rfind('.');
  if (dot == std::string::npos) return "";
  std::string e = path.substr(dot + 1);
  std::transform(e.begin(), e.end(), e.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return e;
}

class H5mdSource final : public TrajectorySource {
 public:
  explicit H5mdSource(const std::string& path) : reader_(path) {
    species_.reserve(static_cast<std::size_t>(reader_.natoms()));
    for (std::int64_t i = 0; i < reader_.natoms(); ++i)
      species_.push_back(reader_.species_name(static_cast<std::size_t>(i)));
    times_ = reader_.times();
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);  // for raw row reads; HDF5 keeps its own handle
  }
  ~H5mdSource() override {
    if (fd_ >= 0) ::close(fd_);
  }
  H5mdSource(const H5mdSource&) = delete;
  H5mdSource& operator=(const H5mdSource&) = delete;
  const std::string& path() const override { return reader_.path(); }
  std::int64_t frames() const override { return reader_.frames(); }
  std::int64_t natoms() const override { return reader_.natoms(); }
  const std::vector<std::string>& species() const override { return species_; }
  double time(std::int64_t i) const override { return times_.at(static_cast<std::size_t>(i)); }
  void read(std::int64_t i, Frame& out) const override { read_atoms(i, 0, reader_.natoms(), out); }
  void read_atoms(std::int64_t i, std::int64_t first, std::int64_t count, Frame& out) const override {
    reader_.read(i, buf_, false, false, first, count);
    out.index = i;
    out.step = buf_.step;
    out.time = buf_.time;
    out.box = buf_.box;
    out.positions.swap(buf_.positions);
    out.images.swap(buf_.images);
  }

  bool read_block(const std::int64_t* frames, int n, std::int64_t first, std::int64_t count, Vec3* pos,
                  Vec3i* img, Box* boxes, const std::int64_t* next, int next_n) const override {
    if (n <= 0) return false;
    const bool images = img != nullptr && reader_.has_images();
    if (!cur_.matches(frames, n, first, count, images)) locate(frames, n, first, count, images, cur_);
    if (!cur_.raw) return TrajectorySource::read_block(frames, n, first, count, pos, img, boxes, nullptr, 0);
    std::copy(cur_.boxes.begin(), cur_.boxes.end(), boxes);
    // One thread locates the next block's rows (HDF5, which is not thread-safe, on that thread alone) while
    // the others read this block's rows with pread; it joins the reading when done.
    const long np = static_cast<long>(cur_.pieces.size());
    int failed = 0;
    nxt_.frames.clear();
#pragma omp parallel reduction(| : failed)
    {
#pragma omp single nowait
      {
        if (next && next_n > 0) {
          try {
            locate(next, next_n, first, count, images, nxt_);
          } catch (const std::exception&) {
            nxt_.frames.clear();  // the next call locates again and reports the error
          }
        }
      }
#pragma omp for schedule(dynamic, 1) nowait
      for (long p = 0; p < np; ++p) {
        const Piece& pc = cur_.pieces[static_cast<std::size_t>(p)];
        char* dst = (pc.image ? reinterpret_cast<char*>(img) : reinterpret_cast<char*>(pos)) + pc.dst;
        for (std::int64_t done = 0; done < pc.bytes;) {
          const ssize_t r = ::pread(fd_, dst + done, static_cast<std::size_t>(pc.bytes - done),
                                    static_cast<off_t>(pc.offset + done));
          if (r <= 0) {
            failed = 1;
            break;
          }
          done += r;
        }
      }
    }
    if (failed) {
      throw AnalysisError(path() + ": reading frames " + std::to_string(frames[0]) + " to " +
                          std::to_string(frames[n - 1]) + " failed; the file may be truncated");
    }
    std::swap(cur_, nxt_);
    return images;
  }

 private:
  // Where a block's rows lie in the file (H5mdReader::raw_rows), and its boxes.
  struct Piece {
    std::int64_t offset, bytes, dst;  // dst: byte offset in the caller's position or image array
    bool image;
  };
  struct Located {
    std::vector<std::int64_t> frames;
    std::int64_t first = -1, count = 0;
    bool images = false, raw = false;
    std::vector<Piece> pieces;
    std::vector<Box> boxes;
    bool matches(const std::int64_t* f, int n, std::int64_t fi, std::int64_t c, bool img) const {
      return fi == first && c == count && img == images && frames.size() == static_cast<std::size_t>(n) &&
             std::equal(frames.begin(), frames.end(), f);
    }
  };
  void locate(const std::int64_t* frames, int n, std::int64_t first, std::int64_t count, bool images,
              Located& L) const {
    L.frames.assign(frames, frames + n);
    L.first = first, L.count = count, L.images = images;
    L.pieces.clear();
    L.raw = fd_ >= 0;
    for (int q = 0; q < n && L.raw; ++q) {
      for (int kind = 0; kind < (images ? 2 : 1) && L.raw; ++kind) {
        const auto rows = reader_.raw_rows(kind == 1, frames[q], first, count);
        L.raw = !rows.empty();
        std::int64_t dst = q * count * (kind == 0 ? 24 : 12);
        for (const auto& [off, bytes] : rows) {
          L.pieces.push_back({off, bytes, dst, kind == 1});
          dst += bytes;
        }
      }
    }
    // The boxes in one read when the frames are evenly spaced (a frame range always is).
    L.boxes.resize(static_cast<std::size_t>(n));
    const std::int64_t stride = n > 1 ? frames[1] - frames[0] : 1;
    bool even = stride > 0;
    for (int q = 1; q < n && even; ++q) even = frames[q] - frames[q - 1] == stride;
    if (even) {
      reader_.read_boxes(frames[0], stride, n, L.boxes.data());
    } else {
      for (int q = 0; q < n; ++q) L.boxes[static_cast<std::size_t>(q)] = reader_.read_box(frames[q]);
    }
  }

  mutable Located cur_, nxt_;
  int fd_ = -1;
  H5mdReader reader_;
  std::vector<std::string> species_;
  std::vector<double> times_;
  mutable H5mdFrame buf_;
};

class ExtxyzSource final : public TrajectorySource {
 public:
  ExtxyzSource(const std::string& path, double dt_ps) : path_(path), frames_(read_extxyz(path)) {
    if (frames_.empty()) throw AnalysisError(path + ": no frames in the extended XYZ file");
    species_ = frames_.front().species;
    for (std::size_t f = 0; f < frames_.size(); ++f) {
      if (frames_[f].species != species_) {
        throw AnalysisError(
            path + ": frame " + std::to_string(f) +
            " has different atoms than frame 0; analyses need a fixed atom list in a fixed order");
      }
      auto it = frames_[f].info.find("time");
      times_.push_back(it != frames_[f].info.end() ? std::stod(it->second) : static_cast<double>(f) * dt_ps);
    }
  }
  const std::string& path() const override { return path_; }
  std::int64_t frames() const override { return static_cast<std::int64_t>(frames_.size()); }
  std::int64_t natoms() const override { return static_cast<std::int64_t>(species_.size()); }
  const std::vector<std::string>& species() const override { return species_; }
  double time(std::int64_t i) const override { return times_.at(static_cast<std::size_t>(i)); }
  void read(std::int64_t i, Frame& out) const override {
    const Structure& s = frames_.at(static_cast<std::size_t>(i));
    out.index = i;
    out.step = i;
    auto it = s.info.find("step");
    if (it != s.info.end()) out.step = std::stoll(it->second);
    out.time = times_[static_cast<std::size_t>(i)];
    out.box = s.box;
    out.positions = s.positions;
    out.images = s.images;
  }

 private:
  std::string path_;
  std::vector<Structure> frames_;
  std::vector<std::string> species_;
  std::vector<double> times_;
};

}  // namespace

void TrajectorySource::read_atoms(std::int64_t i, std::int64_t first, std::int64_t count, Frame& out) const {
  read(i, out);
  if (first < 0 || count < 0 || first + count > natoms()) {
    throw AnalysisError(path() + ": atoms [" + std::to_string(first) + ", " + std::to_string(first + count) +
                        ") out of range [0, " + std::to_string(natoms()) + ")");
  }
  const auto b = static_cast<std::size_t>(first), n = static_cast<std::size_t>(count);
  out.positions.erase(out.positions.begin(), out.positions.begin() + static_cast<long>(b));
  out.positions.resize(n);
  if (!out.images.empty()) {
    out.images.erase(out.images.begin(), out.images.begin() + static_cast<long>(b));
    out.images.resize(n);
  }
}

bool TrajectorySource::read_block(const std::int64_t* frames, int n, std::int64_t first, std::int64_t count,
                                  Vec3* pos, Vec3i* img, Box* boxes, const std::int64_t* /*next*/,
                                  int /*next_n*/) const {
  Frame f;
  bool images = img != nullptr;
  for (int q = 0; q < n; ++q) {
    read_atoms(frames[q], first, count, f);
    boxes[q] = f.box;
    std::copy(f.positions.begin(), f.positions.end(), pos + q * count);
    images = images && f.images.size() == f.positions.size();
    if (images) std::copy(f.images.begin(), f.images.end(), img + q * count);
  }
  return images;
}

std::unique_ptr<TrajectorySource> open_trajectory(const std::string& path, const std::string& format,
                                                  double dt_ps) {
  std::string f = format.empty() ? lower_extension(path) : format;
  if (f == "h5md" || f == "h5") return std::make_unique<H5mdSource>(path);
  if (f == "xyz" || f == "extxyz") return std::make_unique<ExtxyzSource>(path, dt_ps);
  throw AnalysisError(path + ": unknown trajectory format '" + f +
                      "'; use a .h5md or .xyz/.extxyz file, or pass --format h5md|extxyz");
}

std::vector<std::int64_t> FrameRange::resolve(std::int64_t nframes, const std::string& path) const {
  if (stride <= 0)
    throw AnalysisError(path + ": frame stride must be positive (got " + std::to_string(stride) + ")");
  std::int64_t b = start < 0 ? nframes + start : start;
  std::int64_t e = stop < 0 ? nframes : std::min(stop, nframes);
  b = std::max<std::int64_t>(b, 0);
  std::vector<std::int64_t> out;
  for (std::int64_t i = b; i < e; i += stride) out.push_back(i);
  if (out.empty()) {
    throw AnalysisError(path + ": the frame range start=" + std::to_string(start) +
                        " stop=" + std::to_string(stop) + " stride=" + std::to_string(stride) +
                        " selects no frame of " + std::to_string(nframes) +
                        "; choose --start/--stop within [0, " + std::to_string(nframes) + ")");
  }
  return out;
}

std::vector<std::string> distinct_species(const std::vector<std::string>& species) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& s : species) {
    if (seen.insert(s).second) out.push_back(s);
  }
  return out;
}

std::vector<int> select_species(const std::vector<std::string>& species,
                                const std::vector<std::string>& names, const std::string& path) {
  const bool all = names.empty() || std::find(names.begin(), names.end(), "all") != names.end();
  for (const auto& n : names) {
    if (n == "all") continue;
    if (std::find(species.begin(), species.end(), n) == species.end()) {
      std::string present;
      for (const auto& s : distinct_species(species)) present += (present.empty() ? "" : ", ") + s;
      throw AnalysisError(path + ": species '" + n +
                          "' is not in the trajectory (species present: " + present + ")");
    }
  }
  std::vector<int> idx;
  for (std::size_t i = 0; i < species.size(); ++i) {
    if (all || std::find(names.begin(), names.end(), species[i]) != names.end())
      idx.push_back(static_cast<int>(i));
  }
  return idx;
}

}  // namespace e3md::analysis
