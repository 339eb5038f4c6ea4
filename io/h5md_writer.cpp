#include "io/h5md_writer.hpp"

#include <algorithm>
#include <cstdio>
#include <numeric>

#include "io/h5md_reader.hpp"

namespace e3md {
namespace {

constexpr const char* kPart = "/particles/all";
constexpr const char* kCounterGroup = "/parameters/e3md";
constexpr const char* kCounterAttr = "frames_written";
constexpr const char* kCleanAttr = "closed_cleanly";

std::vector<H5mdObservable> observable_list_from(hid_t file, const std::string& path) {
  std::vector<H5mdObservable> out;
  if (!h5::exists(file, "/observables")) return out;
  H5Handle g = h5::open_group(file, "/observables", path);
  hsize_t n = 0;
  H5Gget_num_objs(g.get(), &n);
  // Creation order is not tracked by default; the order is kept in an attribute on /parameters/e3md.
  H5Handle cg = h5::open_group(file, kCounterGroup, path);
  const auto names = h5::read_string_array_attr(cg.get(), "observables", path);
  for (const auto& name : names) {
    H5Handle d = h5::open_dataset(g.get(), name + "/value", path);
    std::string unit;
    if (h5::has_attr(d.get(), "unit")) unit = h5::read_string_attr(d.get(), "unit", path);
    out.push_back({name, unit});
  }
  return out;
}

// A time-dependent dataset of shape (0, tail...) growing along time, chunked one frame at a time.
// atom_chunk > 0: a per-atom series (tail = {atoms, 3}) is chunked by at most that many atoms.
H5Handle create_series(hid_t loc, const std::string& name, hid_t type, const std::vector<hsize_t>& tail,
                       const std::string& file, hsize_t atom_chunk = 0) {
  std::vector<hsize_t> cur{0}, max{H5S_UNLIMITED}, chunk{1};
  for (hsize_t t : tail) {
    cur.push_back(t);
    max.push_back(t);
    chunk.push_back(std::max<hsize_t>(t, 1));
  }
  if (tail.empty()) chunk[0] = 1024;  // scalar series (step, time, observables): many frames per chunk
  if (atom_chunk > 0 && tail.size() == 2) chunk[1] = std::min(chunk[1], atom_chunk);
  H5Handle space(H5Screate_simple(static_cast<int>(cur.size()), cur.data(), max.data()));
  H5Handle dcpl(H5Pcreate(H5P_DATASET_CREATE));
  H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data());
  // Parallel HDF5 needs the file space allocated up front so that ranks never race on allocation.
  H5Pset_alloc_time(dcpl.get(), H5D_ALLOC_TIME_EARLY);
  return H5Handle(h5::check(H5Dcreate2(loc, name.c_str(), type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
                            file, "creating dataset '" + name + "'"));
}

// A time-dependent H5MD element: group + value, with step/time hard-linked to the shared ones.
H5Handle create_element(hid_t parent, const std::string& name, hid_t type, const std::vector<hsize_t>& tail,
                        const std::string& unit, const std::string& file, hsize_t atom_chunk = 0) {
  H5Handle g = h5::create_group(parent, name, file);
  std::string here = name + "/";
  h5::check(H5Lcreate_hard(parent, "/particles/all/position/step", g.get(), "step", H5P_DEFAULT, H5P_DEFAULT),
            file, "linking " + here + "step");
  h5::check(H5Lcreate_hard(parent, "/particles/all/position/time", g.get(), "time", H5P_DEFAULT, H5P_DEFAULT),
            file, "linking " + here + "time");
  H5Handle v = create_series(g.get(), "value", type, tail, file, atom_chunk);
  if (!unit.empty()) h5::write_attr(v.get(), "unit", unit, file);
  return v;
}

// True when the file's last writer finished close() (read with the serial driver, by one rank).
bool closed_cleanly(const std::string& path) {
  h5::silence_errors();
  const hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (id < 0) {
    h5::last_error();
    return false;
  }
  H5Handle f(id);
  if (!h5::exists(f.get(), kCounterGroup)) return false;
  H5Handle cg = h5::open_group(f.get(), kCounterGroup, path);
  return h5::has_attr(cg.get(), kCleanAttr) && h5::read_int_attr(cg.get(), kCleanAttr, path) == 1;
}

H5Handle open_file(MPI_Comm comm, const std::string& path, bool create) {
  h5::silence_errors();
  H5Handle fapl(H5Pcreate(H5P_FILE_ACCESS));
  h5::check(H5Pset_fapl_mpio(fapl.get(), comm, MPI_INFO_NULL), path, "setting up MPI-IO");
  hid_t id = create ? H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get())
                    : H5Fopen(path.c_str(), H5F_ACC_RDWR, fapl.get());
  return H5Handle(h5::check(id, path, create ? "creating the H5MD file" : "opening the H5MD file for append",
                            create ? "check that the directory exists and is writable"
                                   : "check the path; append needs an existing e3md H5MD trajectory"));
}

}  // namespace

std::vector<H5mdObservable> standard_observables() {
  return {{"temperature", "K"},   {"potential_energy", "eV"}, {"kinetic_energy", "eV"},
          {"total_energy", "eV"}, {"pressure", "bar"},        {"volume", "Angstrom^3"}};
}

H5mdWriter H5mdWriter::create(MPI_Comm comm, const std::string& path, std::int64_t natoms,
                              const std::vector<std::string>& species_names, const H5mdWriterOptions& options) {
  if (natoms <= 0) throw H5mdError(path + ": cannot write an H5MD trajectory of " + std::to_string(natoms) + " atoms");
  H5mdWriter w;
  w.comm_ = comm;
  MPI_Comm_rank(comm, &w.rank_);
  w.path_ = path;
  w.natoms_ = natoms;
  w.options_ = options;
  w.file_ = open_file(comm, path, true);
  const hid_t f = w.file_.get();

  {
    H5Handle h = h5::create_group(f, "/h5md", path);
    h5::write_attr(h.get(), "version", std::vector<std::int64_t>{1, 1}, path);
    H5Handle author = h5::create_group(h.get(), "author", path);
    h5::write_attr(author.get(), "name", options.author, path);
    H5Handle creator = h5::create_group(h.get(), "creator", path);
    h5::write_attr(creator.get(), "name", std::string("e3md"), path);
    h5::write_attr(creator.get(), "version", std::string("0.1.0"), path);
  }
  H5Handle particles = h5::create_group(f, "/particles", path);
  H5Handle all = h5::create_group(f, kPart, path);
  const auto n = static_cast<hsize_t>(natoms);
  const auto ca = static_cast<hsize_t>(std::max<std::int64_t>(1, options.chunk_atoms));
  {
    H5Handle pos = h5::create_group(all.get(), "position", path);
    H5Handle step = create_series(pos.get(), "step", H5T_STD_I64LE, {}, path);
    H5Handle time = create_series(pos.get(), "time", H5T_IEEE_F64LE, {}, path);
    h5::write_attr(time.get(), "unit", std::string("ps"), path);
    H5Handle v = create_series(pos.get(), "value", H5T_IEEE_F64LE, {n, 3}, path, ca);
    h5::write_attr(v.get(), "unit", std::string("Angstrom"), path);
  }
  if (options.images) create_element(all.get(), "image", H5T_STD_I32LE, {n, 3}, "", path, ca);
  if (options.velocities)
    create_element(all.get(), "velocity", H5T_IEEE_F64LE, {n, 3}, "Angstrom ps-1", path, ca);
  // MDAnalysis knows no eV-based force unit: with forces present it needs convert_units=False.
  if (options.forces) create_element(all.get(), "force", H5T_IEEE_F64LE, {n, 3}, "eV Angstrom-1", path, ca);
  {
    H5Handle space(H5Screate_simple(1, &n, nullptr));
    H5Handle dcpl(H5Pcreate(H5P_DATASET_CREATE));
    H5Pset_alloc_time(dcpl.get(), H5D_ALLOC_TIME_EARLY);
    H5Handle sp(h5::check(H5Dcreate2(all.get(), "species", H5T_STD_I32LE, space.get(), H5P_DEFAULT, dcpl.get(),
                                     H5P_DEFAULT),
                          path, "creating dataset 'species'"));
    h5::write_attr(sp.get(), "names", species_names, path);
  }
  {
    H5Handle box = h5::create_group(all.get(), "box", path);
    h5::write_attr(box.get(), "dimension", std::int64_t{3}, path);
    h5::write_attr(box.get(), "boundary", std::vector<std::string>{"periodic", "periodic", "periodic"}, path);
    create_element(box.get(), "edges", H5T_IEEE_F64LE, {3, 3}, "Angstrom", path);
  }
  std::vector<std::string> obs_names;
  if (!options.observables.empty()) {
    H5Handle obs = h5::create_group(f, "/observables", path);
    for (const auto& o : options.observables) {
      create_element(obs.get(), o.name, H5T_IEEE_F64LE, {}, o.unit, path);
      obs_names.push_back(o.name);
    }
  }
  H5Handle params = h5::create_group(f, "/parameters", path);
  H5Handle cg = h5::create_group(f, kCounterGroup, path);
  h5::write_attr(cg.get(), "observables", obs_names, path);
  h5::write_attr(cg.get(), kCounterAttr, std::int64_t{0}, path);
  h5::write_attr(cg.get(), kCleanAttr, std::int64_t{0}, path);
  w.open_elements();
  H5Fflush(f, H5F_SCOPE_GLOBAL);
  return w;
}

H5mdWriter H5mdWriter::append(MPI_Comm comm, const std::string& path, std::int64_t after_step) {
  {
    // Rank 0 decides whether the file can be reopened as it is and rebuilds it if not; all ranks learn the outcome.
    int rank = 0;
    MPI_Comm_rank(comm, &rank);
    std::string err;
    if (rank == 0) {
      try {
        if (!closed_cleanly(path)) rebuild_complete_frames(path);
      } catch (const std::exception& e) {
        err = e.what();
        if (err.empty()) err = path + ": rebuilding the trajectory failed";
      }
    }
    int len = static_cast<int>(err.size());
    MPI_Bcast(&len, 1, MPI_INT, 0, comm);
    err.resize(static_cast<std::size_t>(len));
    if (len > 0) MPI_Bcast(err.data(), len, MPI_CHAR, 0, comm);
    if (len > 0) throw H5mdError(err);
  }
  H5mdWriter w;
  w.comm_ = comm;
  MPI_Comm_rank(comm, &w.rank_);
  w.path_ = path;
  w.file_ = open_file(comm, path, false);
  const hid_t f = w.file_.get();
  const std::string all = kPart;
  w.options_.velocities = h5::exists(f, all + "/velocity");
  w.options_.forces = h5::exists(f, all + "/force");
  w.options_.images = h5::exists(f, all + "/image");
  w.options_.observables = observable_list_from(f, path);
  w.open_elements();
  w.natoms_ = static_cast<std::int64_t>(h5::dims(w.position_.get(), path, "position/value")[1]);
  w.species_written_ = true;

  H5Handle cg = h5::open_group(f, kCounterGroup, path);
  std::int64_t complete = h5::read_int_attr(cg.get(), kCounterAttr, path);
  complete = std::min<std::int64_t>(complete,
                                    static_cast<std::int64_t>(h5::dims(w.position_.get(), path, "position")[0]));
  // Every rank reads the steps (small) so that all agree on the cut without a broadcast.
  std::vector<std::int64_t> steps(static_cast<std::size_t>(complete));
  if (complete > 0) {
    const hsize_t start = 0, count = static_cast<hsize_t>(complete);
    H5Handle fs(H5Dget_space(w.step_.get()));
    H5Sselect_hyperslab(fs.get(), H5S_SELECT_SET, &start, nullptr, &count, nullptr);
    H5Handle ms(H5Screate_simple(1, &count, nullptr));
    h5::check(H5Dread(w.step_.get(), H5T_NATIVE_INT64, ms.get(), fs.get(), H5P_DEFAULT, steps.data()), path,
              "reading position/step");
  }
  std::int64_t keep = 0;
  while (keep < complete && steps[static_cast<std::size_t>(keep)] <= after_step) ++keep;
  w.set_frames(keep);
  h5::write_attr(cg.get(), kCounterAttr, keep, path);
  h5::write_attr(cg.get(), kCleanAttr, std::int64_t{0}, path);
  H5Fflush(f, H5F_SCOPE_GLOBAL);
  w.frames_ = keep;
  return w;
}

void H5mdWriter::rebuild_complete_frames(const std::string& path) {
  const std::string tmp = path + ".rebuild.tmp";
  try {
    H5mdReader src(path);  // reads up to the last complete frame
    H5mdWriterOptions opt;
    opt.images = src.has_images();
    opt.velocities = src.has_velocities();
    opt.forces = src.has_forces();
    {
      H5Handle f(h5::check(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), path, "opening the trajectory"));
      opt.observables = observable_list_from(f.get(), path);
      if (h5::exists(f.get(), "/h5md/author")) {
        H5Handle a = h5::open_group(f.get(), "/h5md/author", path);
        if (h5::has_attr(a.get(), "name")) opt.author = h5::read_string_attr(a.get(), "name", path);
      }
    }
    std::vector<std::vector<double>> series;
    for (const auto& o : opt.observables) series.push_back(src.observable(o.name));

    H5mdWriter dst = create(MPI_COMM_SELF, tmp, src.natoms(), src.species_names(), opt);
    dst.flush_each_frame_ = false;  // the file is not in place yet: one flush at the end is enough
    std::vector<AtomId> ids(static_cast<std::size_t>(src.natoms()));
    std::iota(ids.begin(), ids.end(), AtomId{0});
    H5mdFrame in;
    for (std::int64_t i = 0; i < src.frames(); ++i) {
      src.read(i, in, opt.velocities, opt.forces);
      H5mdLocalFrame out;
      out.step = in.step;
      out.time = in.time;
      out.box = in.box;
      out.nlocal = static_cast<int>(src.natoms());
      out.ids = ids.data();
      out.types = src.species().data();
      out.positions = in.positions.data();
      out.velocities = opt.velocities ? in.velocities.data() : nullptr;
      out.forces = opt.forces ? in.forces.data() : nullptr;
      out.images = in.images.empty() ? nullptr : in.images.data();
      for (const auto& v : series) out.observables.push_back(v[static_cast<std::size_t>(i)]);
      dst.write_frame(out);
    }
    dst.close();
  } catch (const std::exception& e) {
    std::remove(tmp.c_str());
    throw H5mdError(std::string(e.what()) + " (while recovering the complete frames of a trajectory whose writer " +
                    "did not close it; the file is left as it was)");
  }
  if (!h5::replace_file(tmp, path)) {
    std::remove(tmp.c_str());
    throw H5mdError(path + ": could not move the recovered trajectory into place; check the folder's permissions");
  }
}

void H5mdWriter::open_elements() {
  const hid_t f = file_.get();
  const std::string all = kPart;
  step_ = h5::open_dataset(f, all + "/position/step", path_);
  time_ = h5::open_dataset(f, all + "/position/time", path_);
  position_ = h5::open_dataset(f, all + "/position/value", path_);
  if (options_.images) image_ = h5::open_dataset(f, all + "/image/value", path_);
  if (options_.velocities) velocity_ = h5::open_dataset(f, all + "/velocity/value", path_);
  if (options_.forces) force_ = h5::open_dataset(f, all + "/force/value", path_);
  edges_ = h5::open_dataset(f, all + "/box/edges/value", path_);
  species_ = h5::open_dataset(f, all + "/species", path_);
  counter_group_ = h5::open_group(f, kCounterGroup, path_);
  observables_.clear();
  for (const auto& o : options_.observables) {
    observables_.push_back(h5::open_dataset(f, "/observables/" + o.name + "/value", path_));
  }
  dxpl_ = H5Handle(H5Pcreate(H5P_DATASET_XFER));
  // Collective transfers let MPI-IO aggregate the scattered rows of many ranks into large writes.
  H5Pset_dxpl_mpio(dxpl_.get(), H5FD_MPIO_COLLECTIVE);
}

void H5mdWriter::set_frames(std::int64_t frames) {
  const auto t = static_cast<hsize_t>(frames);
  auto resize = [&](const H5Handle& d, const char* what) {
    if (!d.valid()) return;
    auto dim = h5::dims(d.get(), path_, what);
    dim[0] = t;
    h5::check(H5Dset_extent(d.get(), dim.data()), path_, std::string("resizing ") + what);
  };
  resize(step_, "step");
  resize(time_, "time");
  resize(position_, "position");
  resize(image_, "image");
  resize(velocity_, "velocity");
  resize(force_, "force");
  resize(edges_, "box/edges");
  for (const auto& o : observables_) resize(o, "observable");
}

void H5mdWriter::write_per_atom(hid_t dset, hid_t memtype, const void* buf, const std::vector<std::size_t>& order,
                                const std::vector<AtomId>& sorted_ids, std::int64_t frame, int ncols) {
  H5Handle fs(H5Dget_space(dset));
  const std::size_t n = sorted_ids.size();
  const bool contiguous = n > 0 && sorted_ids.back() - sorted_ids.front() == static_cast<AtomId>(n - 1);
  const int rank = frame >= 0 ? 3 : 1;
  if (n == 0) {
    H5Sselect_none(fs.get());
  } else if (contiguous) {
    // One block of rows: a hyperslab (the common single-rank and sorted-domain case).
    std::vector<hsize_t> start, count;
    if (frame >= 0) start.push_back(static_cast<hsize_t>(frame)), count.push_back(1);
    start.push_back(static_cast<hsize_t>(sorted_ids.front()));
    count.push_back(n);
    if (ncols > 1) start.push_back(0), count.push_back(static_cast<hsize_t>(ncols));
    H5Sselect_hyperslab(fs.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr);
  } else {
    // Scattered rows: an element selection listing (frame, id, column) in buffer order.
    const int nc = std::max(ncols, 1);
    std::vector<hsize_t> coords;
    coords.reserve(n * static_cast<std::size_t>(nc * rank));
    for (std::size_t i = 0; i < n; ++i) {
      for (int k = 0; k < nc; ++k) {
        if (frame >= 0) coords.push_back(static_cast<hsize_t>(frame));
        coords.push_back(static_cast<hsize_t>(sorted_ids[i]));
        if (ncols > 1) coords.push_back(static_cast<hsize_t>(k));
      }
    }
    h5::check(H5Sselect_elements(fs.get(), H5S_SELECT_SET, n * static_cast<std::size_t>(nc), coords.data()),
              path_, "selecting atom rows");
  }
  // Gather the caller's rows into id order so that buffer and selection agree.
  const std::size_t width = static_cast<std::size_t>(std::max(ncols, 1));
  const std::size_t elem = H5Tget_size(memtype);
  std::vector<unsigned char> packed(std::max<std::size_t>(n * width * elem, 1));
  const auto* src = static_cast<const unsigned char*>(buf);
  for (std::size_t i = 0; i < n; ++i) {
    std::copy_n(src + order[i] * width * elem, width * elem, packed.data() + i * width * elem);
  }
  const hsize_t mcount = std::max<hsize_t>(n * width, 1);
  H5Handle ms(H5Screate_simple(1, &mcount, nullptr));
  if (n == 0) H5Sselect_none(ms.get());
  h5::check(H5Dwrite(dset, memtype, ms.get(), fs.get(), dxpl_.get(), packed.data()), path_, "writing atom rows");
}

void H5mdWriter::write_frame(const H5mdLocalFrame& fr) {
  stage_frame(fr);
  commit_frame();
}

void H5mdWriter::stage_frame(const H5mdLocalFrame& fr) {
  if (!file_.valid()) throw H5mdError(path_ + ": write_frame after close; reopen with H5mdWriter::append");
  if (staged_) throw H5mdError(path_ + ": stage_frame twice without commit_frame");
  if (fr.observables.size() != options_.observables.size()) {
    throw H5mdError(path_ + ": frame has " + std::to_string(fr.observables.size()) + " observables, the file records " +
                    std::to_string(options_.observables.size()) + "; pass them in H5mdWriterOptions order");
  }
  if ((options_.velocities && fr.nlocal > 0 && !fr.velocities) || (options_.forces && fr.nlocal > 0 && !fr.forces)) {
    throw H5mdError(path_ + ": the trajectory records velocities/forces but the frame has none");
  }
  // Validate ids and the atom total so that a decomposition bug cannot leave holes in the file.
  long long local = fr.nlocal, total = 0;
  MPI_Allreduce(&local, &total, 1, MPI_LONG_LONG, MPI_SUM, comm_);
  if (total != natoms_) {
    throw H5mdError(path_ + ": ranks passed " + std::to_string(total) + " atoms in total, the trajectory has " +
                    std::to_string(natoms_) + "; every atom must be owned by exactly one rank");
  }
  std::vector<std::size_t> order(static_cast<std::size_t>(fr.nlocal));
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return fr.ids[a] < fr.ids[b]; });
  std::vector<AtomId> sorted(order.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    sorted[i] = fr.ids[order[i]];
    if (sorted[i] < 0 || sorted[i] >= natoms_) {
      throw H5mdError(path_ + ": atom id " + std::to_string(sorted[i]) + " outside [0, " + std::to_string(natoms_) + ")");
    }
  }

  const std::int64_t t = frames_;
  failed_ = true;  // until the frame is staged
  set_frames(t + 1);
  static_assert(sizeof(Vec3) == 3 * sizeof(double), "Vec3 must be three packed doubles");
  write_per_atom(position_.get(), H5T_NATIVE_DOUBLE, fr.positions, order, sorted, t, 3);
  if (options_.images) {
    std::vector<int> img(static_cast<std::size_t>(fr.nlocal) * 3, 0);
    if (fr.images) {
      for (int i = 0; i < fr.nlocal; ++i)
        for (int k = 0; k < 3; ++k) img[static_cast<std::size_t>(3 * i + k)] = fr.images[i][k];
    }
    write_per_atom(image_.get(), H5T_NATIVE_INT, img.data(), order, sorted, t, 3);
  }
  if (options_.velocities) write_per_atom(velocity_.get(), H5T_NATIVE_DOUBLE, fr.velocities, order, sorted, t, 3);
  if (options_.forces) write_per_atom(force_.get(), H5T_NATIVE_DOUBLE, fr.forces, order, sorted, t, 3);
  if (!species_written_) {
    std::vector<int> types(static_cast<std::size_t>(fr.nlocal), 0);
    if (fr.types) std::copy_n(fr.types, fr.nlocal, types.begin());
    write_per_atom(species_.get(), H5T_NATIVE_INT, types.data(), order, sorted, -1, 1);
    species_written_ = true;
  }

  // Per-frame scalars and the box: rank 0 selects the element, the others take part with empty selections.
  auto write_row = [&](hid_t dset, hid_t memtype, const void* buf, hsize_t width, const char* what) {
    H5Handle fs(H5Dget_space(dset));
    const int nd = H5Sget_simple_extent_ndims(fs.get());
    std::vector<hsize_t> start(static_cast<std::size_t>(nd), 0), count;
    h5::dims(dset, path_, what).swap(count);
    start[0] = static_cast<hsize_t>(t);
    count[0] = 1;
    H5Handle ms(H5Screate_simple(1, &width, nullptr));
    if (rank_ == 0) {
      H5Sselect_hyperslab(fs.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr);
    } else {
      H5Sselect_none(fs.get());
      H5Sselect_none(ms.get());
    }
    h5::check(H5Dwrite(dset, memtype, ms.get(), fs.get(), dxpl_.get(), buf), path_, std::string("writing ") + what);
  };
  const std::int64_t step = fr.step;
  write_row(step_.get(), H5T_NATIVE_INT64, &step, 1, "step");
  write_row(time_.get(), H5T_NATIVE_DOUBLE, &fr.time, 1, "time");
  double edges[9];
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) edges[3 * r + c] = fr.box.cell()(r, c);
  write_row(edges_.get(), H5T_NATIVE_DOUBLE, edges, 9, "box/edges");
  for (std::size_t i = 0; i < observables_.size(); ++i) {
    write_row(observables_[i].get(), H5T_NATIVE_DOUBLE, &fr.observables[i], 1, "observable");
  }
  if (t == 0) {
    // The boundary attribute follows the first frame's box (H5MD keeps it time-independent).
    std::vector<std::string> b;
    for (int k = 0; k < 3; ++k) b.push_back(fr.box.periodic(k) ? "periodic" : "none");
    H5Handle box = h5::open_group(file_.get(), "/particles/all/box", path_);
    h5::write_attr(box.get(), "boundary", b, path_);
  }
  // Data first, then the counter (commit_frame): a crash between the two flushes loses only this frame.
  if (flush_each_frame_) H5Fflush(file_.get(), H5F_SCOPE_GLOBAL);
  staged_ = true;
  failed_ = false;
}

void H5mdWriter::commit_frame() {
  if (!staged_) throw H5mdError(path_ + ": commit_frame without a staged frame");
  failed_ = true;
  h5::write_attr(counter_group_.get(), kCounterAttr, frames_ + 1, path_);
  if (flush_each_frame_) H5Fflush(file_.get(), H5F_SCOPE_GLOBAL);
  ++frames_;
  staged_ = false;
  failed_ = false;
}

void H5mdWriter::close() {
  if (!file_.valid()) return;
  // An uncommitted staged frame is dropped, so that readers trusting the extents (MDAnalysis) agree.
  if (staged_) set_frames(frames_), staged_ = false;
  H5Fflush(file_.get(), H5F_SCOPE_GLOBAL);
  // Marked clean only after everything else is on disk, and never after a failed write.
  if (!failed_) {
    h5::write_attr(counter_group_.get(), kCleanAttr, std::int64_t{1}, path_);
    H5Fflush(file_.get(), H5F_SCOPE_GLOBAL);
  }
  // MPI-IO files close only once every object in them is closed.
  for (auto& o : observables_) o.reset();
  for (H5Handle* h : {&step_, &time_, &position_, &image_, &velocity_, &force_, &edges_, &species_,
                      &counter_group_, &dxpl_}) {
    h->reset();
  }
  file_.reset();
}

H5mdWriter::~H5mdWriter() {
  try {
    close();
  } catch (...) {
    // Destructors must not throw; close() explicitly to see errors.
  }
}

}  // namespace e3md
