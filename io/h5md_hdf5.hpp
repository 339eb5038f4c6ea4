// Thin C++ layer over the HDF5 C API shared by the H5MD writer and reader: owning handles, attribute
// helpers, and errors that carry the file, the object and HDF5's own reason.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace e3md {

// Any failure reading or writing an H5MD file; the text names the file, the object and a fix.
class H5mdError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Owns one HDF5 identifier (file, group, dataset, dataspace, property list, type, attribute) and closes it
// with the matching H5?close on destruction. Move-only.
class H5Handle {
 public:
  H5Handle() = default;
  explicit H5Handle(hid_t id) : id_(id) {}
  H5Handle(const H5Handle&) = delete;
  H5Handle& operator=(const H5Handle&) = delete;
  H5Handle(H5Handle&& o) noexcept : id_(o.id_) { o.id_ = H5I_INVALID_HID; }
  H5Handle& operator=(H5Handle&& o) noexcept;
  ~H5Handle() { reset(); }

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  void reset();

 private:
  hid_t id_ = H5I_INVALID_HID;
};

namespace h5 {

// Turns HDF5's automatic error printing off (its stack goes into our exception text instead).
void silence_errors();
// The innermost message on HDF5's error stack (empty if none), then clears the stack.
std::string last_error();

// Throws H5mdError("<file>: <what>: <hdf5 reason>; <fix>") when id < 0; returns id otherwise.
hid_t check(hid_t id, const std::string& file, const std::string& what, const std::string& fix = "");

bool exists(hid_t loc, const std::string& path);
H5Handle create_group(hid_t loc, const std::string& name, const std::string& file);
H5Handle open_group(hid_t loc, const std::string& name, const std::string& file);
H5Handle open_dataset(hid_t loc, const std::string& name, const std::string& file);

// Attributes written by every rank with the same value (attribute writes are collective in parallel HDF5).
void write_attr(hid_t obj, const std::string& name, const std::string& value, const std::string& file);
void write_attr(hid_t obj, const std::string& name, const std::vector<std::string>& values,
                const std::string& file);
void write_attr(hid_t obj, const std::string& name, const std::vector<std::int64_t>& values,
                const std::string& file);
void write_attr(hid_t obj, const std::string& name, std::int64_t value, const std::string& file);

bool has_attr(hid_t obj, const std::string& name);
std::string read_string_attr(hid_t obj, const std::string& name, const std::string& file);
std::vector<std::string> read_string_array_attr(hid_t obj, const std::string& name, const std::string& file);
std::int64_t read_int_attr(hid_t obj, const std::string& name, const std::string& file);

// Current dimensions of a dataset.
std::vector<hsize_t> dims(hid_t dset, const std::string& file, const std::string& what);

// Moves the finished file `tmp` over `path` (fsync of the file, rename, fsync of the folder), so that a crash
// leaves either the old file or the new one, never a mix. False when the rename failed.
bool replace_file(const std::string& tmp, const std::string& path);

}  // namespace h5
}  // namespace e3md
