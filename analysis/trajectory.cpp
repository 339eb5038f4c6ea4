#include "analysis/trajectory.hpp"

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
  }
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

 private:
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
