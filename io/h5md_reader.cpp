#include "io/h5md_reader.hpp"

#include <algorithm>
#include <array>
#include <fstream>

namespace e3md {
namespace {

bool first_particle_group(hid_t file, std::string& name) {
  hid_t g = H5Gopen2(file, "/particles", H5P_DEFAULT);
  if (g < 0) return false;
  H5Handle hg(g);
  hsize_t n = 0;
  H5Gget_num_objs(g, &n);
  if (n == 0) return false;
  // Prefer "all" (what e3md writes); otherwise the first group, as MDAnalysis does.
  if (H5Lexists(g, "all", H5P_DEFAULT) > 0) {
    name = "/particles/all";
    return true;
  }
  char buf[256] = {0};
  H5Gget_objname_by_idx(g, 0, buf, sizeof(buf) - 1);
  name = std::string("/particles/") + buf;
  return true;
}

}  // namespace

H5mdReader::H5mdReader(const std::string& path) : path_(path) {
  h5::silence_errors();
  {
    std::ifstream probe(path, std::ios::binary);
    if (!probe) throw H5mdError(path + ": cannot open the trajectory; check the path");
  }
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    h5::last_error();
    throw H5mdError(path +
                    ": not an HDF5 file (truncated or another format); H5MD trajectories are written by "
                    "`e3md run` with an h5md output");
  }
  file_ =
      H5Handle(h5::check(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), path, "opening the trajectory",
                         "the file may be truncated or still open for writing without flushes"));
  const hid_t f = file_.get();
  if (!h5::exists(f, "/h5md")) {
    throw H5mdError(path + ": HDF5 file without the /h5md group: not an H5MD trajectory");
  }
  std::string part;
  if (!first_particle_group(f, part))
    throw H5mdError(path + ": H5MD file without /particles/<group>: no atoms");
  position_ = h5::open_dataset(f, part + "/position/value", path);
  step_ = h5::open_dataset(f, part + "/position/step", path);
  if (h5::exists(f, part + "/position/time")) time_ = h5::open_dataset(f, part + "/position/time", path);
  if (h5::exists(f, part + "/image/value")) image_ = h5::open_dataset(f, part + "/image/value", path);
  if (h5::exists(f, part + "/velocity/value"))
    velocity_ = h5::open_dataset(f, part + "/velocity/value", path);
  if (h5::exists(f, part + "/force/value")) force_ = h5::open_dataset(f, part + "/force/value", path);
  edges_ = h5::open_dataset(f, part + "/box/edges/value", path);

  const auto pd = h5::dims(position_.get(), path, "position/value");
  if (pd.size() != 3 || pd[2] != 3) {
    throw H5mdError(path + ": " + part + "/position/value must have shape (frames, atoms, 3)");
  }
  natoms_ = static_cast<std::int64_t>(pd[1]);
  std::int64_t n = static_cast<std::int64_t>(pd[0]);
  // Every element must hold the frame; the writer's counter marks the last complete one.
  n = std::min<std::int64_t>(n, static_cast<std::int64_t>(h5::dims(step_.get(), path, "position/step")[0]));
  n = std::min<std::int64_t>(n, static_cast<std::int64_t>(h5::dims(edges_.get(), path, "box/edges")[0]));
  if (h5::exists(f, "/parameters/e3md")) {
    H5Handle cg = h5::open_group(f, "/parameters/e3md", path);
    if (h5::has_attr(cg.get(), "frames_written")) {
      n = std::min(n, h5::read_int_attr(cg.get(), "frames_written", path));
    }
    if (h5::has_attr(cg.get(), "observables"))
      observable_names_ = h5::read_string_array_attr(cg.get(), "observables", path);
  }
  frames_ = n;
  const auto ed = h5::dims(edges_.get(), path, "box/edges/value");
  edges_are_matrix_ = ed.size() == 3;
  if (!(ed.size() == 3 && ed[1] == 3 && ed[2] == 3) && !(ed.size() == 2 && ed[1] == 3)) {
    throw H5mdError(path + ": box/edges/value must be (frames, 3, 3) or (frames, 3)");
  }
  {
    H5Handle box = h5::open_group(f, part + "/box", path);
    if (h5::has_attr(box.get(), "boundary")) {
      const auto b = h5::read_string_array_attr(box.get(), "boundary", path);
      for (std::size_t k = 0; k < 3 && k < b.size(); ++k) periodic_[k] = b[k] == "periodic";
    }
  }
  species_.assign(static_cast<std::size_t>(natoms_), 0);
  if (h5::exists(f, part + "/species")) {
    H5Handle sp = h5::open_dataset(f, part + "/species", path);
    const auto sd = h5::dims(sp.get(), path, "species");
    if (sd.size() != 1 || static_cast<std::int64_t>(sd[0]) != natoms_) {
      throw H5mdError(path + ": " + part + "/species must be time-independent with one entry per atom");
    }
    h5::check(H5Dread(sp.get(), H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, species_.data()), path,
              "reading species");
    if (h5::has_attr(sp.get(), "names")) species_names_ = h5::read_string_array_attr(sp.get(), "names", path);
  }
  for (int s : species_) {
    if (s < 0 || (!species_names_.empty() && s >= static_cast<int>(species_names_.size()))) {
      throw H5mdError(path + ": species index " + std::to_string(s) + " has no entry in species/names");
    }
  }
  init_raw_layouts();
}

void H5mdReader::init_raw_layouts() {
  {
    H5Handle fcpl(H5Fget_create_plist(file_.get()));
    hsize_t ub = 0;
    if (fcpl.valid() && H5Pget_userblock(fcpl.get(), &ub) >= 0) userblock_ = static_cast<std::int64_t>(ub);
  }
  const H5Handle* dsets[2] = {&position_, &image_};
  const hid_t want[2] = {H5T_IEEE_F64LE, H5T_STD_I32LE};
  const hid_t native[2] = {H5T_NATIVE_DOUBLE, H5T_NATIVE_INT};
  for (int w = 0; w < 2; ++w) {
    RawLayout& L = raw_[w];
    const H5Handle& d = *dsets[w];
    if (!d.valid()) continue;
    H5Handle type(H5Dget_type(d.get()));
    // The file's type must be the one the caller's memory uses, byte for byte.
    if (H5Tequal(type.get(), want[w]) <= 0 || H5Tequal(want[w], native[w]) <= 0) continue;
    const auto dims = h5::dims(d.get(), path_, "raw layout");
    if (dims.size() != 3 || dims[2] != 3) continue;
    H5Handle dcpl(H5Dget_create_plist(d.get()));
    if (H5Pget_nfilters(dcpl.get()) != 0) continue;
    const H5D_layout_t layout = H5Pget_layout(dcpl.get());
    if (layout == H5D_CONTIGUOUS) {
      const haddr_t off = H5Dget_offset(d.get());
      if (off == HADDR_UNDEF) continue;
      L.offset = static_cast<std::int64_t>(off);
      L.kind = 0;
    } else if (layout == H5D_CHUNKED) {
      hsize_t c[3] = {0, 0, 0};
      if (H5Pget_chunk(dcpl.get(), 3, c) != 3 || c[2] != 3) continue;
      for (int k = 0; k < 3; ++k) L.chunk[k] = static_cast<std::int64_t>(c[k]);
      L.kind = 1;
    }
  }
  h5::last_error();
}

std::vector<std::pair<std::int64_t, std::int64_t>> H5mdReader::raw_rows(bool images, std::int64_t i,
                                                                        std::int64_t first,
                                                                        std::int64_t count) const {
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  const RawLayout& L = raw_[images ? 1 : 0];
  if (L.kind < 0 || i < 0 || i >= frames_ || first < 0 || count <= 0 || first + count > natoms_) return out;
  const std::int64_t row = 3 * (images ? 4 : 8);  // bytes per atom
  if (L.kind == 0) {
    out.emplace_back(userblock_ + L.offset + (i * natoms_ + first) * row, count * row);
    return out;
  }
  const H5Handle& d = images ? image_ : position_;
  const std::int64_t ct = L.chunk[0], ca = L.chunk[1];
  for (std::int64_t r = first; r < first + count;) {
    const std::int64_t c0 = r - r % ca;
    const std::int64_t end = std::min(first + count, c0 + ca);
    const hsize_t coord[3] = {static_cast<hsize_t>(i - i % ct), static_cast<hsize_t>(c0), 0};
    unsigned mask = 0;
    haddr_t addr = HADDR_UNDEF;
    hsize_t size = 0;
    if (H5Dget_chunk_info_by_coord(d.get(), coord, &mask, &addr, &size) < 0 || addr == HADDR_UNDEF ||
        mask != 0) {
      h5::last_error();
      out.clear();
      return out;
    }
    const std::int64_t in_chunk = ((i % ct) * ca + (r - c0)) * row;
    out.emplace_back(userblock_ + static_cast<std::int64_t>(addr) + in_chunk, (end - r) * row);
    r = end;
  }
  return out;
}

void H5mdReader::read_boxes(std::int64_t first, std::int64_t stride, std::int64_t n, Box* out) const {
  if (n <= 0) return;
  if (first < 0 || stride <= 0 || first + (n - 1) * stride >= frames_) {
    throw H5mdError(path_ + ": frame " + std::to_string(first) +
                    (n > 1 ? " to " + std::to_string(first + (n - 1) * stride) : std::string()) +
                    " out of range [0, " + std::to_string(frames_) + ")");
  }
  const int w = edges_are_matrix_ ? 9 : 3;
  std::vector<double> e(static_cast<std::size_t>(n * w));
  H5Handle fs(H5Dget_space(edges_.get()));
  const hsize_t start[3] = {static_cast<hsize_t>(first), 0, 0},
                step[3] = {static_cast<hsize_t>(stride), 1, 1};
  const hsize_t cnt[3] = {static_cast<hsize_t>(n), 3, 3};
  H5Sselect_hyperslab(fs.get(), H5S_SELECT_SET, start, step, cnt, nullptr);  // rank 2 uses the first two
  const hsize_t m = e.size();
  H5Handle ms(H5Screate_simple(1, &m, nullptr));
  h5::check(H5Dread(edges_.get(), H5T_NATIVE_DOUBLE, ms.get(), fs.get(), H5P_DEFAULT, e.data()), path_,
            "reading the boxes", "the file may be truncated");
  for (std::int64_t q = 0; q < n; ++q) {
    const double* b = e.data() + q * w;
    Mat3 cell = Mat3::Zero();
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c) cell(r, c) = edges_are_matrix_ ? b[3 * r + c] : (r == c ? b[r] : 0.0);
    out[q] = Box(cell, periodic_);
  }
}

H5mdReader::~H5mdReader() {
  for (H5Handle* h : {&step_, &time_, &position_, &image_, &velocity_, &force_, &edges_}) h->reset();
  file_.reset();
}

std::string H5mdReader::species_name(std::size_t i) const {
  const int s = species_.at(i);
  if (species_names_.empty()) return "type" + std::to_string(s);
  return species_names_[static_cast<std::size_t>(s)];
}

void H5mdReader::read_rows(const H5Handle& dset, std::int64_t frame, hid_t memtype, void* buf,
                           std::int64_t first, std::int64_t count) const {
  if (frame < 0 || frame >= frames_) {
    throw H5mdError(path_ + ": frame " + std::to_string(frame) + " out of range [0, " +
                    std::to_string(frames_) + ")");
  }
  H5Handle fs(H5Dget_space(dset.get()));
  const int nd = H5Sget_simple_extent_ndims(fs.get());
  std::vector<hsize_t> d(static_cast<std::size_t>(nd));
  H5Sget_simple_extent_dims(fs.get(), d.data(), nullptr);
  std::vector<hsize_t> start(d.size(), 0), cnt = d;
  start[0] = static_cast<hsize_t>(frame);
  cnt[0] = 1;
  if (count >= 0 && d.size() > 1) {  // a range of atoms
    start[1] = static_cast<hsize_t>(first);
    cnt[1] = static_cast<hsize_t>(count);
  }
  H5Sselect_hyperslab(fs.get(), H5S_SELECT_SET, start.data(), nullptr, cnt.data(), nullptr);
  // A memory space of the selection's own shape lets HDF5 copy the frame as one block instead of
  // iterating element by element.
  H5Handle ms(H5Screate_simple(static_cast<int>(cnt.size()), cnt.data(), nullptr));
  h5::check(H5Dread(dset.get(), memtype, ms.get(), fs.get(), H5P_DEFAULT, buf), path_,
            "reading frame " + std::to_string(frame), "the file may be truncated");
}

void H5mdReader::read_series(const H5Handle& dset, hid_t memtype, void* buf) const {
  if (frames_ == 0) return;
  H5Handle fs(H5Dget_space(dset.get()));
  const hsize_t start = 0, cnt = static_cast<hsize_t>(frames_);
  H5Sselect_hyperslab(fs.get(), H5S_SELECT_SET, &start, nullptr, &cnt, nullptr);
  H5Handle ms(H5Screate_simple(1, &cnt, nullptr));
  h5::check(H5Dread(dset.get(), memtype, ms.get(), fs.get(), H5P_DEFAULT, buf), path_,
            "reading the frame times", "the file may be truncated");
}

Box H5mdReader::read_box(std::int64_t i) const {
  Box b;
  read_boxes(i, 1, 1, &b);
  return b;
}

void H5mdReader::read(std::int64_t i, H5mdFrame& out, bool velocities, bool forces, std::int64_t first,
                      std::int64_t count) const {
  if (count < 0) first = 0, count = natoms_;
  if (first < 0 || first + count > natoms_) {
    throw H5mdError(path_ + ": atoms [" + std::to_string(first) + ", " + std::to_string(first + count) +
                    ") out of range [0, " + std::to_string(natoms_) + ")");
  }
  const auto n = static_cast<std::size_t>(count);
  out.index = i;
  out.box = read_box(i);
  std::int64_t step = 0;
  read_rows(step_, i, H5T_NATIVE_INT64, &step);
  out.step = step;
  out.time = 0.0;
  if (time_.valid()) read_rows(time_, i, H5T_NATIVE_DOUBLE, &out.time);
  out.positions.resize(n);
  read_rows(position_, i, H5T_NATIVE_DOUBLE, out.positions.data(), first, count);
  if (image_.valid()) {
    std::vector<int> img(3 * n);
    read_rows(image_, i, H5T_NATIVE_INT, img.data(), first, count);
    out.images.resize(n);
    for (std::size_t a = 0; a < n; ++a) out.images[a] = Vec3i(img[3 * a], img[3 * a + 1], img[3 * a + 2]);
  } else {
    out.images.clear();
  }
  out.velocities.clear();
  out.forces.clear();
  if (velocities && velocity_.valid()) {
    out.velocities.resize(n);
    read_rows(velocity_, i, H5T_NATIVE_DOUBLE, out.velocities.data(), first, count);
  }
  if (forces && force_.valid()) {
    out.forces.resize(n);
    read_rows(force_, i, H5T_NATIVE_DOUBLE, out.forces.data(), first, count);
  }
}

H5mdFrame H5mdReader::read(std::int64_t i) const {
  H5mdFrame f;
  read(i, f, true, true);
  return f;
}

std::vector<std::int64_t> H5mdReader::steps() const {
  std::vector<std::int64_t> s(static_cast<std::size_t>(frames_));
  read_series(step_, H5T_NATIVE_INT64, s.data());
  return s;
}

std::vector<double> H5mdReader::times() const {
  std::vector<double> t(static_cast<std::size_t>(frames_), 0.0);
  if (!time_.valid()) return t;
  read_series(time_, H5T_NATIVE_DOUBLE, t.data());
  return t;
}

std::vector<std::string> H5mdReader::observable_names() const { return observable_names_; }

std::vector<double> H5mdReader::observable(const std::string& name) const {
  const std::string p = "/observables/" + name + "/value";
  if (!h5::exists(file_.get(), p)) {
    throw H5mdError(path_ + ": no observable '" + name + "' in the trajectory; it records: " + [&] {
      std::string s;
      for (const auto& o : observable_names_) s += (s.empty() ? "" : ", ") + o;
      return s.empty() ? std::string("none") : s;
    }());
  }
  H5Handle d = h5::open_dataset(file_.get(), p, path_);
  std::vector<double> v(static_cast<std::size_t>(frames_));
  for (std::int64_t i = 0; i < frames_; ++i)
    read_rows(d, i, H5T_NATIVE_DOUBLE, &v[static_cast<std::size_t>(i)]);
  return v;
}

}  // namespace e3md
