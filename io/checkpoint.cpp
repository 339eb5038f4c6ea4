#include "io/checkpoint.hpp"

#include <hdf5.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "io/h5md_hdf5.hpp"

namespace e3md {
namespace {

namespace fs = std::filesystem;
constexpr const char* kSchema = "e3md-checkpoint";

// Writes `data` (rows × width of type mtype) into a new dataset `name` of shape (nrows, width); rank
// `writer` writes it, the others take part collectively with an empty selection.
void write_small(hid_t loc, const std::string& name, hid_t ftype, hid_t mtype, const void* data, hsize_t nrows,
                 hsize_t width, bool writer, hid_t xfer, const std::string& file) {
  const hsize_t dims[2] = {nrows, width};
  H5Handle space(H5Screate_simple(width > 0 ? 2 : 1, dims, nullptr));
  H5Handle dset(h5::check(H5Dcreate2(loc, name.c_str(), ftype, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                          file, "creating dataset '" + name + "'"));
  if (nrows == 0) return;  // an empty dataset has nothing to write
  H5Handle mspace(H5Screate_simple(width > 0 ? 2 : 1, dims, nullptr));
  H5Handle fspace(H5Dget_space(dset.get()));
  if (!writer) {
    H5Sselect_none(mspace.get());
    H5Sselect_none(fspace.get());
  }
  h5::check(H5Dwrite(dset.get(), mtype, mspace.get(), fspace.get(), xfer, data), file, "writing '" + name + "'");
}

// Writes this rank's rows of a per-atom dataset (natoms × width) at the rows given by the atom ids.
void write_rows(hid_t loc, const std::string& name, hid_t ftype, hid_t mtype, const void* data,
                const std::vector<AtomId>& ids, hsize_t natoms, hsize_t width, hid_t xfer, const std::string& file) {
  const hsize_t dims[2] = {natoms, width};
  H5Handle space(H5Screate_simple(2, dims, nullptr));
  H5Handle dset(h5::check(H5Dcreate2(loc, name.c_str(), ftype, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                          file, "creating dataset '" + name + "'"));
  H5Handle fspace(H5Dget_space(dset.get()));
  const hsize_t npoints = ids.size() * width;
  H5Handle mspace(H5Screate_simple(1, npoints > 0 ? &npoints : dims, nullptr));
  if (npoints == 0) {
    H5Sselect_none(fspace.get());
    H5Sselect_none(mspace.get());
  } else {
    std::vector<hsize_t> coords;
    coords.reserve(2 * npoints);
    for (const AtomId id : ids) {
      for (hsize_t k = 0; k < width; ++k) {
        coords.push_back(static_cast<hsize_t>(id));
        coords.push_back(k);
      }
    }
    h5::check(H5Sselect_elements(fspace.get(), H5S_SELECT_SET, npoints, coords.data()), file,
              "selecting rows of '" + name + "'");
  }
  h5::check(H5Dwrite(dset.get(), mtype, mspace.get(), fspace.get(), xfer, data), file, "writing '" + name + "'");
}

void write_double_attr(hid_t obj, const std::string& name, double value, const std::string& file) {
  if (H5Aexists(obj, name.c_str()) > 0) H5Adelete(obj, name.c_str());
  H5Handle s(H5Screate(H5S_SCALAR));
  H5Handle a(h5::check(H5Acreate2(obj, name.c_str(), H5T_IEEE_F64LE, s.get(), H5P_DEFAULT, H5P_DEFAULT), file,
                       "creating attribute '" + name + "'"));
  h5::check(H5Awrite(a.get(), H5T_NATIVE_DOUBLE, &value), file, "writing attribute '" + name + "'");
}

double read_double_attr(hid_t obj, const std::string& name, const std::string& file) {
  if (H5Aexists(obj, name.c_str()) <= 0) {
    throw std::runtime_error(file + ": checkpoint attribute '" + name + "' is missing; the file is damaged");
  }
  H5Handle a(h5::check(H5Aopen(obj, name.c_str(), H5P_DEFAULT), file, "opening attribute '" + name + "'"));
  double v = 0;
  h5::check(H5Aread(a.get(), H5T_NATIVE_DOUBLE, &v), file, "reading attribute '" + name + "'");
  return v;
}

template <class T>
std::vector<T> read_all(hid_t loc, const std::string& name, hid_t mtype, std::size_t expect, const std::string& file) {
  if (!h5::exists(loc, name)) {
    throw std::runtime_error(file + ": checkpoint dataset '" + name + "' is missing; the file is damaged");
  }
  H5Handle d(h5::check(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), file, "opening '" + name + "'"));
  H5Handle space(H5Dget_space(d.get()));
  const auto n = static_cast<std::size_t>(H5Sget_simple_extent_npoints(space.get()));
  if (expect != static_cast<std::size_t>(-1) && n != expect) {
    throw std::runtime_error(file + ": checkpoint dataset '" + name + "' has " + std::to_string(n) +
                             " values, expected " + std::to_string(expect) + "; the file is damaged");
  }
  std::vector<T> out(n);
  if (n > 0) h5::check(H5Dread(d.get(), mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), file, "reading '" + name + "'");
  return out;
}

}  // namespace

void write_checkpoint(MPI_Comm comm, const std::string& path, const Checkpoint& c, long natoms) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  h5::silence_errors();
  const std::string tmp = path + ".tmp";
  const auto un = static_cast<hsize_t>(natoms);
  {
    H5Handle fapl(H5Pcreate(H5P_FILE_ACCESS));
    H5Pset_fapl_mpio(fapl.get(), comm, MPI_INFO_NULL);
    H5Handle file(h5::check(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), tmp,
                            "creating the checkpoint", "check that the output directory exists and is writable"));
    H5Handle xfer(H5Pcreate(H5P_DATASET_XFER));
    H5Pset_dxpl_mpio(xfer.get(), H5FD_MPIO_COLLECTIVE);
    const hid_t f = file.get();
    h5::write_attr(f, "schema", kSchema, tmp);
    h5::write_attr(f, "schema_version", static_cast<std::int64_t>(Checkpoint::kSchemaVersion), tmp);
    h5::write_attr(f, "step", static_cast<std::int64_t>(c.step), tmp);
    write_double_attr(f, "time", c.time, tmp);
    h5::write_attr(f, "stage", static_cast<std::int64_t>(c.stage), tmp);
    h5::write_attr(f, "stage_step", static_cast<std::int64_t>(c.stage_step), tmp);
    h5::write_attr(f, "seed", static_cast<std::int64_t>(c.seed), tmp);
    h5::write_attr(f, "natoms", static_cast<std::int64_t>(natoms), tmp);
    h5::write_attr(f, "trajectory_frames", static_cast<std::int64_t>(c.trajectory_frames), tmp);
    h5::write_attr(f, "deck", c.deck, tmp);
    h5::write_attr(f, "species", c.species, tmp);
    h5::write_attr(f, "integrator", c.integrator, tmp);
    const bool w = rank == 0;
    write_small(f, "masses", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, c.masses.data(), c.masses.size(), 0, w, xfer.get(), tmp);
    const Eigen::Matrix<double, 3, 3, Eigen::RowMajor> cell_rows = c.box.cell();  // rows = lattice vectors
    write_small(f, "cell", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, cell_rows.data(), 3, 3, w, xfer.get(), tmp);
    const int periodic[3] = {c.box.periodic(0), c.box.periodic(1), c.box.periodic(2)};
    write_small(f, "periodic", H5T_STD_I32LE, H5T_NATIVE_INT, periodic, 3, 0, w, xfer.get(), tmp);
    write_small(f, "integrator_state", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, c.integrator_state.data(),
                c.integrator_state.size(), 0, w, xfer.get(), tmp);
    H5Handle extra = h5::create_group(f, "extra", tmp);
    for (const auto& [name, values] : c.extra) {
      write_small(extra.get(), name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, values.data(), values.size(), 0, w,
                  xfer.get(), tmp);
    }
    H5Handle atoms = h5::create_group(f, "atoms", tmp);
    write_rows(atoms.get(), "type", H5T_STD_I32LE, H5T_NATIVE_INT, c.type.data(), c.id, un, 1, xfer.get(), tmp);
    write_rows(atoms.get(), "position", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, c.x.data(), c.id, un, 3, xfer.get(), tmp);
    write_rows(atoms.get(), "velocity", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, c.v.data(), c.id, un, 3, xfer.get(), tmp);
    write_rows(atoms.get(), "image", H5T_STD_I32LE, H5T_NATIVE_INT, c.image.data(), c.id, un, 3, xfer.get(), tmp);
    h5::check(H5Fflush(f, H5F_SCOPE_GLOBAL), tmp, "flushing the checkpoint");
  }
  MPI_Barrier(comm);
  int ok = 1;
  if (rank == 0) ok = h5::replace_file(tmp, path) ? 1 : 0;
  MPI_Bcast(&ok, 1, MPI_INT, 0, comm);
  if (!ok) throw std::runtime_error(path + ": could not rename the finished checkpoint into place; check the folder");
}

Checkpoint read_checkpoint(const std::string& path) {
  h5::silence_errors();
  if (!fs::exists(path)) throw std::runtime_error(path + ": checkpoint not found; check the path given to --restart");
  H5Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  if (!file.valid()) {
    throw std::runtime_error(path + ": not a readable HDF5 file (truncated or not a checkpoint); use an earlier "
                                    "checkpoint");
  }
  const hid_t f = file.get();
  if (!h5::has_attr(f, "schema") || h5::read_string_attr(f, "schema", path) != kSchema) {
    throw std::runtime_error(path + ": not an e3md checkpoint (schema attribute missing or different)");
  }
  const auto version = h5::read_int_attr(f, "schema_version", path);
  if (version != Checkpoint::kSchemaVersion) {
    throw std::runtime_error(path + ": checkpoint schema version " + std::to_string(version) +
                             " is not supported (this e3md reads version " +
                             std::to_string(Checkpoint::kSchemaVersion) + ")");
  }
  Checkpoint c;
  c.step = h5::read_int_attr(f, "step", path);
  c.time = read_double_attr(f, "time", path);
  c.stage = static_cast<int>(h5::read_int_attr(f, "stage", path));
  c.stage_step = h5::read_int_attr(f, "stage_step", path);
  c.seed = h5::read_int_attr(f, "seed", path);
  c.trajectory_frames = h5::read_int_attr(f, "trajectory_frames", path);
  c.deck = h5::read_string_attr(f, "deck", path);
  c.species = h5::read_string_array_attr(f, "species", path);
  c.integrator = h5::read_string_attr(f, "integrator", path);
  const auto natoms = static_cast<std::size_t>(h5::read_int_attr(f, "natoms", path));
  c.masses = read_all<double>(f, "masses", H5T_NATIVE_DOUBLE, c.species.size(), path);
  const auto cell = read_all<double>(f, "cell", H5T_NATIVE_DOUBLE, 9, path);
  const auto periodic = read_all<int>(f, "periodic", H5T_NATIVE_INT, 3, path);
  Mat3 h;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) h(i, j) = cell[static_cast<std::size_t>(3 * i + j)];
  c.box = Box(h, {periodic[0] != 0, periodic[1] != 0, periodic[2] != 0});
  c.integrator_state = read_all<double>(f, "integrator_state", H5T_NATIVE_DOUBLE, static_cast<std::size_t>(-1), path);
  if (h5::exists(f, "extra")) {
    H5Handle g(H5Gopen2(f, "extra", H5P_DEFAULT));
    hsize_t n = 0;
    H5Gget_num_objs(g.get(), &n);
    for (hsize_t i = 0; i < n; ++i) {
      char name[256] = {0};
      H5Gget_objname_by_idx(g.get(), i, name, sizeof(name));
      c.extra[name] = read_all<double>(g.get(), name, H5T_NATIVE_DOUBLE, static_cast<std::size_t>(-1), path);
    }
  }
  c.type = read_all<int>(f, "atoms/type", H5T_NATIVE_INT, natoms, path);
  const auto x = read_all<double>(f, "atoms/position", H5T_NATIVE_DOUBLE, 3 * natoms, path);
  const auto v = read_all<double>(f, "atoms/velocity", H5T_NATIVE_DOUBLE, 3 * natoms, path);
  const auto im = read_all<int>(f, "atoms/image", H5T_NATIVE_INT, 3 * natoms, path);
  c.id.resize(natoms);
  c.x.resize(natoms);
  c.v.resize(natoms);
  c.image.resize(natoms);
  for (std::size_t i = 0; i < natoms; ++i) {
    c.id[i] = static_cast<AtomId>(i);
    c.x[i] = Vec3(x[3 * i], x[3 * i + 1], x[3 * i + 2]);
    c.v[i] = Vec3(v[3 * i], v[3 * i + 1], v[3 * i + 2]);
    c.image[i] = Vec3i(im[3 * i], im[3 * i + 1], im[3 * i + 2]);
    if (!std::isfinite(x[3 * i]) || !std::isfinite(x[3 * i + 1]) || !std::isfinite(x[3 * i + 2])) {
      throw std::runtime_error(path + ": atom " + std::to_string(i) + " has a non-finite position; the checkpoint "
                                      "is damaged, use an earlier one");
    }
    const int t = c.type[i];
    if (t < 0 || static_cast<std::size_t>(t) >= c.species.size()) {
      throw std::runtime_error(path + ": atom " + std::to_string(i) + " has type " + std::to_string(t) +
                               " outside the species table; the checkpoint is damaged");
    }
  }
  return c;
}

}  // namespace e3md
