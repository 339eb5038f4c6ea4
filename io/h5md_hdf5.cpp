#include "io/h5md_hdf5.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>


namespace e3md {

H5Handle& H5Handle::operator=(H5Handle&& o) noexcept {
  if (this != &o) {
    reset();
    id_ = o.id_;
    o.id_ = H5I_INVALID_HID;
  }
  return *this;
}

void H5Handle::reset() {
  if (id_ < 0) return;
  // H5Oclose closes groups and datasets; the other kinds need their own close call.
  switch (H5Iget_type(id_)) {
    case H5I_FILE: H5Fclose(id_); break;
    case H5I_GROUP: H5Gclose(id_); break;
    case H5I_DATASET: H5Dclose(id_); break;
    case H5I_DATASPACE: H5Sclose(id_); break;
    case H5I_DATATYPE: H5Tclose(id_); break;
    case H5I_ATTR: H5Aclose(id_); break;
    case H5I_GENPROP_LST: H5Pclose(id_); break;
    default: break;
  }
  id_ = H5I_INVALID_HID;
}

namespace h5 {
namespace {

herr_t walk_cb(unsigned n, const H5E_error2_t* err, void* data) {
  auto* out = static_cast<std::string*>(data);
  // The innermost entry (n == 0) is the most specific; keep it, plus the outermost for context.
  if (n == 0 && err->desc) *out = err->desc;
  return 0;
}

H5Handle vlen_string_type() {
  H5Handle t(H5Tcopy(H5T_C_S1));
  H5Tset_size(t.get(), H5T_VARIABLE);
  H5Tset_cset(t.get(), H5T_CSET_UTF8);
  return t;
}

void write_attr_raw(hid_t obj, const std::string& name, hid_t type, hid_t space, const void* buf,
                    const std::string& file) {
  if (H5Aexists(obj, name.c_str()) > 0) {
    // Rewrite in place when the shape matches (the per-frame counter), so the file does not churn metadata.
    H5Handle old(H5Aopen(obj, name.c_str(), H5P_DEFAULT));
    H5Handle old_space(H5Aget_space(old.get()));
    H5Handle old_type(H5Aget_type(old.get()));
    if (H5Sget_simple_extent_npoints(old_space.get()) == H5Sget_simple_extent_npoints(space) &&
        H5Tget_class(old_type.get()) == H5Tget_class(type) && H5Tequal(old_type.get(), type) > 0) {
      check(H5Awrite(old.get(), type, buf), file, "writing attribute '" + name + "'");
      return;
    }
    old.reset();
    H5Adelete(obj, name.c_str());
  }
  H5Handle a(check(H5Acreate2(obj, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), file,
                   "creating attribute '" + name + "'"));
  if (H5Sget_simple_extent_npoints(space) == 0) return;  // an empty list: the attribute alone says so
  check(H5Awrite(a.get(), type, buf), file, "writing attribute '" + name + "'");
}

}  // namespace

void silence_errors() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

std::string last_error() {
  std::string msg;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk_cb, &msg);
  H5Eclear2(H5E_DEFAULT);
  return msg;
}

hid_t check(hid_t id, const std::string& file, const std::string& what, const std::string& fix) {
  if (id >= 0) return id;
  std::string text = file + ": " + what + " failed";
  const std::string why = last_error();
  if (!why.empty()) text += " (HDF5: " + why + ")";
  if (!fix.empty()) text += "; " + fix;
  throw H5mdError(text);
}

bool exists(hid_t loc, const std::string& path) {
  // H5Lexists needs every intermediate link to exist, so walk the path one component at a time.
  std::string partial;
  std::size_t start = path[0] == '/' ? 1 : 0;
  if (start == 1) partial = "/";
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    partial += path.substr(start, end - start);
    if (H5Lexists(loc, partial.c_str(), H5P_DEFAULT) <= 0) return false;
    partial += "/";
    start = end + 1;
  }
  return true;
}

H5Handle create_group(hid_t loc, const std::string& name, const std::string& file) {
  return H5Handle(check(H5Gcreate2(loc, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), file,
                        "creating group '" + name + "'"));
}

H5Handle open_group(hid_t loc, const std::string& name, const std::string& file) {
  if (!exists(loc, name)) {
    throw H5mdError(file + ": H5MD group '" + name +
                    "' is missing; the file is not an H5MD trajectory written by e3md (or it is damaged)");
  }
  return H5Handle(check(H5Gopen2(loc, name.c_str(), H5P_DEFAULT), file, "opening group '" + name + "'"));
}

H5Handle open_dataset(hid_t loc, const std::string& name, const std::string& file) {
  if (!exists(loc, name)) {
    throw H5mdError(file + ": H5MD dataset '" + name +
                    "' is missing; the file is not an H5MD trajectory written by e3md (or it is damaged)");
  }
  return H5Handle(check(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), file, "opening dataset '" + name + "'"));
}

void write_attr(hid_t obj, const std::string& name, const std::string& value, const std::string& file) {
  // Variable-length strings: h5py (and so MDAnalysis) returns them as str, fixed-length ones as bytes.
  H5Handle t = vlen_string_type();
  H5Handle s(H5Screate(H5S_SCALAR));
  const char* p = value.c_str();
  write_attr_raw(obj, name, t.get(), s.get(), &p, file);
}

void write_attr(hid_t obj, const std::string& name, const std::vector<std::string>& values,
                const std::string& file) {
  H5Handle t = vlen_string_type();
  const hsize_t n = values.size();
  H5Handle s(n ? H5Screate_simple(1, &n, nullptr) : H5Screate(H5S_NULL));
  std::vector<const char*> p;
  for (const auto& v : values) p.push_back(v.c_str());
  write_attr_raw(obj, name, t.get(), s.get(), p.data(), file);
}

void write_attr(hid_t obj, const std::string& name, const std::vector<std::int64_t>& values,
                const std::string& file) {
  const hsize_t n = values.size();
  H5Handle s(H5Screate_simple(1, &n, nullptr));
  write_attr_raw(obj, name, H5T_NATIVE_INT64, s.get(), values.data(), file);
}

void write_attr(hid_t obj, const std::string& name, std::int64_t value, const std::string& file) {
  H5Handle s(H5Screate(H5S_SCALAR));
  write_attr_raw(obj, name, H5T_NATIVE_INT64, s.get(), &value, file);
}

bool has_attr(hid_t obj, const std::string& name) { return H5Aexists(obj, name.c_str()) > 0; }

std::vector<std::string> read_string_array_attr(hid_t obj, const std::string& name, const std::string& file) {
  if (!has_attr(obj, name)) {
    throw H5mdError(file + ": attribute '" + name + "' is missing; the file is not a complete H5MD trajectory");
  }
  H5Handle a(check(H5Aopen(obj, name.c_str(), H5P_DEFAULT), file, "opening attribute '" + name + "'"));
  H5Handle ftype(H5Aget_type(a.get()));
  if (H5Tget_class(ftype.get()) != H5T_STRING) {
    throw H5mdError(file + ": attribute '" + name + "' is not a string");
  }
  H5Handle space(H5Aget_space(a.get()));
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  std::vector<std::string> out;
  if (n <= 0) return out;
  if (H5Tis_variable_str(ftype.get()) > 0) {
    H5Handle mtype = vlen_string_type();
    std::vector<char*> buf(static_cast<std::size_t>(n), nullptr);
    check(H5Aread(a.get(), mtype.get(), buf.data()), file, "reading attribute '" + name + "'");
    for (char* p : buf) out.emplace_back(p ? p : "");
    H5Dvlen_reclaim(mtype.get(), space.get(), H5P_DEFAULT, buf.data());
  } else {
    const std::size_t len = H5Tget_size(ftype.get());
    std::vector<char> buf(len * static_cast<std::size_t>(n) + 1, '\0');
    check(H5Aread(a.get(), ftype.get(), buf.data()), file, "reading attribute '" + name + "'");
    for (hssize_t i = 0; i < n; ++i) {
      const char* p = buf.data() + static_cast<std::size_t>(i) * len;
      std::size_t l = 0;
      while (l < len && p[l] != '\0') ++l;
      out.emplace_back(p, l);
    }
  }
  return out;
}

std::string read_string_attr(hid_t obj, const std::string& name, const std::string& file) {
  auto v = read_string_array_attr(obj, name, file);
  return v.empty() ? std::string() : v.front();
}

std::int64_t read_int_attr(hid_t obj, const std::string& name, const std::string& file) {
  if (!has_attr(obj, name)) {
    throw H5mdError(file + ": attribute '" + name + "' is missing; the file is not a complete H5MD trajectory");
  }
  H5Handle a(check(H5Aopen(obj, name.c_str(), H5P_DEFAULT), file, "opening attribute '" + name + "'"));
  std::int64_t v = 0;
  check(H5Aread(a.get(), H5T_NATIVE_INT64, &v), file, "reading attribute '" + name + "'");
  return v;
}

std::vector<hsize_t> dims(hid_t dset, const std::string& file, const std::string& what) {
  H5Handle space(check(H5Dget_space(dset), file, "reading the shape of " + what));
  const int rank = H5Sget_simple_extent_ndims(space.get());
  std::vector<hsize_t> d(static_cast<std::size_t>(rank > 0 ? rank : 0));
  if (rank > 0) H5Sget_simple_extent_dims(space.get(), d.data(), nullptr);
  return d;
}

namespace {
void fsync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}
}  // namespace

bool replace_file(const std::string& tmp, const std::string& path) {
  namespace fs = std::filesystem;
  fsync_path(tmp, O_RDONLY);
  std::error_code ec;
  fs::rename(tmp, path, ec);
  const auto dir = fs::path(path).parent_path();
  fsync_path(dir.empty() ? "." : dir.string(), O_RDONLY | O_DIRECTORY);
  return !ec;
}

}  // namespace h5
}  // namespace e3md
