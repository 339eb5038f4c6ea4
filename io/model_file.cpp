#include "io/model_file.hpp"

#include <hdf5.h>

#include <cmath>
#include <sstream>

namespace e3md {
namespace {

using namespace nequip;  // the model's building blocks (engine/nequip_model.hpp)

const char* const kFix = "re-export it with tools/export_nequip.py (docs/model-format.md)";

// Silences HDF5's error-stack printing while a file is read; errors become ModelFileError instead.
class QuietHdf5 {
 public:
  QuietHdf5() {
    H5Eget_auto2(H5E_DEFAULT, &func_, &data_);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
  ~QuietHdf5() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }
  QuietHdf5(const QuietHdf5&) = delete;
  QuietHdf5& operator=(const QuietHdf5&) = delete;

 private:
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
};

// Owns one HDF5 identifier.
class Handle {
 public:
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~Handle() {
    if (id_ >= 0) close_(id_);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& o) noexcept : id_(o.id_), close_(o.close_) { o.id_ = -1; }
  Handle& operator=(Handle&&) = delete;
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

// Reading context: the file, and the error texts that name it.
class Reader {
 public:
  explicit Reader(std::string path) : path_(std::move(path)) {}
  const std::string& path() const { return path_; }

  [[noreturn]] void fail(const std::string& field, const std::string& what) const {
    throw ModelFileError(path_ + ": field '" + field + "': " + what + "; " + kFix);
  }

  bool exists(hid_t file, const std::string& field) const {
    std::string prefix;
    std::stringstream ss(field);
    std::string part;
    while (std::getline(ss, part, '/')) {
      if (part.empty()) continue;
      prefix += "/" + part;
      if (H5Lexists(file, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    }
    return true;
  }

  // Dataset contents as doubles (HDF5 converts integer types); `shape` receives its dimensions.
  std::vector<double> doubles(hid_t file, const std::string& field, std::vector<hsize_t>* shape = nullptr,
                              bool check_finite = true) const {
    if (!exists(file, field)) fail(field, "missing");
    Handle ds(H5Dopen2(file, field.c_str(), H5P_DEFAULT), H5Dclose);
    if (!ds.ok()) fail(field, "not a dataset");
    Handle space(H5Dget_space(ds.get()), H5Sclose);
    const int rank = H5Sget_simple_extent_ndims(space.get());
    if (rank < 0) fail(field, "unreadable dataspace (corrupt file?)");
    std::vector<hsize_t> dims(static_cast<size_t>(rank));
    if (rank > 0) H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
    hsize_t n = 1;
    for (auto d : dims) n *= d;
    std::vector<double> out(static_cast<size_t>(n));
    if (n > 0 && H5Dread(ds.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) < 0)
      fail(field, "cannot be read as numbers (truncated or corrupt file?)");
    if (check_finite)
      for (size_t i = 0; i < out.size(); ++i)
        if (!std::isfinite(out[i])) fail(field, "entry " + std::to_string(i) + " is not finite (NaN or inf)");
    if (shape) *shape = dims;
    return out;
  }

  std::vector<int> ints(hid_t file, const std::string& field, std::vector<hsize_t>* shape = nullptr) const {
    auto v = doubles(file, field, shape);
    std::vector<int> out(v.size());
    for (size_t i = 0; i < v.size(); ++i) {
      if (v[i] != std::floor(v[i]) || std::abs(v[i]) > 1e9) fail(field, "entry " + std::to_string(i) + " is not an integer");
      out[i] = static_cast<int>(v[i]);
    }
    return out;
  }

  Irreps irreps(hid_t file, const std::string& field) const {
    std::vector<hsize_t> shape;
    auto v = ints(file, field, &shape);
    if (!(shape.size() == 2 && shape[1] == 3) && !(shape.size() == 1 && shape[0] == 0))
      fail(field, "expected an (n, 3) array of (mul, l, parity) rows");
    Irreps out;
    for (size_t i = 0; i + 2 < v.size(); i += 3) {
      if (v[i] < 0 || v[i + 1] < 0 || v[i + 1] > 11 || (v[i + 2] != 1 && v[i + 2] != -1))
        fail(field, "row " + std::to_string(i / 3) + " is not a valid (mul >= 0, 0 <= l <= 11, p = +-1) irrep");
      out.push_back({v[i], v[i + 1], v[i + 2]});
    }
    return out;
  }

  Handle attribute(hid_t file, const std::string& object, const std::string& name) const {
    const std::string field = object + "@" + name;
    if (!exists(file, object)) fail(field, "missing (no object '" + object + "')");
    if (H5Aexists_by_name(file, object.c_str(), name.c_str(), H5P_DEFAULT) <= 0) fail(field, "missing attribute");
    Handle a(H5Aopen_by_name(file, object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
    if (!a.ok()) fail(field, "unreadable attribute");
    return a;
  }

  double number(hid_t file, const std::string& object, const std::string& name, bool allow_nan = false) const {
    Handle a = attribute(file, object, name);
    double v = 0.0;
    if (H5Aread(a.get(), H5T_NATIVE_DOUBLE, &v) < 0) fail(object + "@" + name, "not a number");
    if (!allow_nan && !std::isfinite(v)) fail(object + "@" + name, "is not finite");
    return v;
  }

  std::string text(hid_t file, const std::string& object, const std::string& name) const {
    Handle a = attribute(file, object, name);
    Handle ftype(H5Aget_type(a.get()), H5Tclose);
    if (H5Tget_class(ftype.get()) != H5T_STRING) fail(object + "@" + name, "not a string");
    if (H5Tis_variable_str(ftype.get()) > 0) {
      Handle mtype(H5Tcopy(H5T_C_S1), H5Tclose);
      H5Tset_size(mtype.get(), H5T_VARIABLE);
      H5Tset_cset(mtype.get(), H5T_CSET_UTF8);
      char* buf = nullptr;
      if (H5Aread(a.get(), mtype.get(), &buf) < 0) fail(object + "@" + name, "unreadable string");
      std::string s = buf ? buf : "";
      H5free_memory(buf);
      return s;
    }
    const size_t size = H5Tget_size(ftype.get());
    std::string s(size, '\0');
    if (H5Aread(a.get(), ftype.get(), s.data()) < 0) fail(object + "@" + name, "unreadable string");
    return s.substr(0, s.find('\0'));
  }

  std::vector<std::string> strings(hid_t file, const std::string& field) const {
    if (!exists(file, field)) fail(field, "missing");
    Handle ds(H5Dopen2(file, field.c_str(), H5P_DEFAULT), H5Dclose);
    Handle space(H5Dget_space(ds.get()), H5Sclose);
    Handle ftype(H5Dget_type(ds.get()), H5Tclose);
    const hssize_t n = H5Sget_simple_extent_npoints(space.get());
    if (n < 0 || H5Tget_class(ftype.get()) != H5T_STRING) fail(field, "expected an array of strings");
    std::vector<std::string> out;
    if (H5Tis_variable_str(ftype.get()) > 0) {
      Handle mtype(H5Tcopy(H5T_C_S1), H5Tclose);
      H5Tset_size(mtype.get(), H5T_VARIABLE);
      H5Tset_cset(mtype.get(), H5T_CSET_UTF8);
      std::vector<char*> buf(static_cast<size_t>(n), nullptr);
      if (n > 0 && H5Dread(ds.get(), mtype.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()) < 0)
        fail(field, "unreadable strings (corrupt file?)");
      for (char* b : buf) {
        out.emplace_back(b ? b : "");
        H5free_memory(b);
      }
    } else {
      const size_t size = H5Tget_size(ftype.get());
      std::string raw(size * static_cast<size_t>(n), '\0');
      if (n > 0 && H5Dread(ds.get(), ftype.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()) < 0)
        fail(field, "unreadable strings (corrupt file?)");
      for (hssize_t i = 0; i < n; ++i) {
        std::string s = raw.substr(static_cast<size_t>(i) * size, size);
        out.push_back(s.substr(0, s.find('\0')));
      }
    }
    return out;
  }

 private:
  std::string path_;
};

void check_linear_sizes(const Reader& r, const std::string& field, const EquivariantLinear& lin) {
  size_t expect = 0;
  for (const auto& ins : lin.instructions) {
    if (ins[0] < 0 || ins[0] >= static_cast<int>(lin.irreps_in.size()) || ins[1] < 0 ||
        ins[1] >= static_cast<int>(lin.irreps_out.size()))
      r.fail(field + "/instructions", "block index out of range");
    const Irrep& a = lin.irreps_in[static_cast<size_t>(ins[0])];
    const Irrep& b = lin.irreps_out[static_cast<size_t>(ins[1])];
    if (a.l != b.l || a.p != b.p) r.fail(field + "/instructions", "connects different irreps");
    expect += static_cast<size_t>(a.mul) * static_cast<size_t>(b.mul);
  }
  if (lin.path_weights.size() != lin.instructions.size())
    r.fail(field + "/path_weights", "needs one entry per instruction");
  if (lin.weight.size() != expect)
    r.fail(field + "/weight", "has " + std::to_string(lin.weight.size()) + " entries, the irreps need " +
                                  std::to_string(expect));
}

EquivariantLinear read_linear(const Reader& r, hid_t f, const std::string& g) {
  EquivariantLinear lin;
  lin.irreps_in = r.irreps(f, g + "/irreps_in");
  lin.irreps_out = r.irreps(f, g + "/irreps_out");
  std::vector<hsize_t> shape;
  auto ins = r.ints(f, g + "/instructions", &shape);
  for (size_t i = 0; i + 1 < ins.size(); i += 2) lin.instructions.push_back({ins[i], ins[i + 1]});
  lin.path_weights = r.doubles(f, g + "/path_weights");
  lin.weight = r.doubles(f, g + "/weight");
  check_linear_sizes(r, g, lin);
  return lin;
}

std::vector<Activation> read_activations(const Reader& r, hid_t f, const std::string& g, size_t n) {
  std::vector<Activation> acts;
  if (n == 0) return acts;
  const std::string names = r.text(f, g, "activations");
  const auto csts = r.doubles(f, g + "/activation_constants");
  std::stringstream ss(names);
  std::string name;
  while (std::getline(ss, name, ',')) {
    if (name != "silu" && name != "tanh" && name != "ssp" && name != "abs" && name != "sigmoid" && name != "identity")
      r.fail(g + "@activations", "unknown activation '" + name + "'");
    acts.push_back({name, 0.0});
  }
  if (acts.size() != n || csts.size() != n) r.fail(g + "@activations", "needs one activation per block");
  for (size_t i = 0; i < n; ++i) acts[i].constant = csts[i];
  return acts;
}

void read_gate_part(const Reader& r, hid_t f, const std::string& g, const Irreps& z, Irreps* irreps,
                    std::vector<int>* offsets) {
  *irreps = r.irreps(f, g + "/irreps");
  *offsets = r.ints(f, g + "/offsets");
  if (offsets->size() != irreps->size()) r.fail(g + "/offsets", "needs one offset per block");
  const int zdim = irreps_dim(z);
  for (size_t i = 0; i < irreps->size(); ++i)
    if ((*offsets)[i] < 0 || (*offsets)[i] + (*irreps)[i].dim() > zdim) r.fail(g + "/offsets", "out of range");
}

NequipLayer read_layer(const Reader& r, hid_t f, const std::string& g, int num_types, int num_basis) {
  NequipLayer L;
  L.irreps_in = r.irreps(f, g + "/irreps_in");
  L.resnet = r.number(f, g, "resnet") != 0.0;
  L.use_sc = r.number(f, g, "use_sc") != 0.0;
  const double ann = r.number(f, g, "avg_num_neighbors", true);
  L.avg_num_neighbors = std::isnan(ann) ? 0.0 : ann;
  if (L.avg_num_neighbors < 0.0) r.fail(g + "@avg_num_neighbors", "is negative");
  L.linear_1 = read_linear(r, f, g + "/linear_1");
  if (!(L.linear_1.irreps_in == L.irreps_in)) r.fail(g + "/linear_1/irreps_in", "differs from the layer input");

  const std::string m = g + "/radial_mlp";
  L.radial.sizes = r.ints(f, m + "/sizes");
  L.radial.activation = {r.text(f, m, "activation"), r.number(f, m, "activation_constant")};
  if (L.radial.sizes.size() < 2 || L.radial.sizes.front() != num_basis)
    r.fail(m + "/sizes", "must start with num_basis = " + std::to_string(num_basis));
  for (size_t j = 0; j + 1 < L.radial.sizes.size(); ++j) {
    std::vector<hsize_t> shape;
    L.radial.weights.push_back(r.doubles(f, m + "/weight_" + std::to_string(j), &shape));
    if (shape.size() != 2 || shape[0] != static_cast<hsize_t>(L.radial.sizes[j]) ||
        shape[1] != static_cast<hsize_t>(L.radial.sizes[j + 1]))
      r.fail(m + "/weight_" + std::to_string(j), "shape does not match radial_mlp/sizes");
  }

  const std::string t = g + "/tp";
  auto& tp = L.tp;
  tp.irreps_in1 = r.irreps(f, t + "/irreps_in1");
  tp.irreps_in2 = r.irreps(f, t + "/irreps_in2");
  tp.irreps_out = r.irreps(f, t + "/irreps_out");
  tp.weight_numel = static_cast<int>(r.number(f, t, "weight_numel"));
  const auto ins = r.ints(f, t + "/instructions");
  const auto pw = r.doubles(f, t + "/path_weights");
  if (pw.size() * 3 != ins.size()) r.fail(t + "/path_weights", "needs one entry per instruction");
  int numel = 0;
  for (size_t i = 0; i < pw.size(); ++i) {
    TensorProductPath p{ins[3 * i], ins[3 * i + 1], ins[3 * i + 2], pw[i]};
    if (p.in1 < 0 || p.in1 >= static_cast<int>(tp.irreps_in1.size()) || p.in2 < 0 ||
        p.in2 >= static_cast<int>(tp.irreps_in2.size()) || p.out < 0 || p.out >= static_cast<int>(tp.irreps_out.size()))
      r.fail(t + "/instructions", "block index out of range in row " + std::to_string(i));
    const Irrep &a = tp.irreps_in1[static_cast<size_t>(p.in1)], &b = tp.irreps_in2[static_cast<size_t>(p.in2)],
                &c = tp.irreps_out[static_cast<size_t>(p.out)];
    if (b.mul != 1 || c.mul != a.mul || c.l < std::abs(a.l - b.l) || c.l > a.l + b.l || c.p != a.p * b.p)
      r.fail(t + "/instructions", "row " + std::to_string(i) + " is not a valid uvu path");
    numel += a.mul;
    tp.paths.push_back(p);
    bool have = false;
    for (const auto& w : tp.w3j) have = have || (w.l1 == a.l && w.l2 == b.l && w.l3 == c.l);
    if (!have) {
      const std::string key = t + "/w3j/" + std::to_string(a.l) + "_" + std::to_string(b.l) + "_" + std::to_string(c.l);
      Wigner3j w{a.l, b.l, c.l, r.doubles(f, key)};
      if (w.c.size() != static_cast<size_t>((2 * a.l + 1) * (2 * b.l + 1) * (2 * c.l + 1))) r.fail(key, "wrong size");
      tp.w3j.push_back(std::move(w));
    }
  }
  if (numel != tp.weight_numel) r.fail(t + "@weight_numel", "does not match the paths");
  if (L.radial.sizes.back() != tp.weight_numel) r.fail(m + "/sizes", "must end with tp weight_numel");
  if (!(tp.irreps_in1 == L.irreps_in)) r.fail(t + "/irreps_in1", "differs from the layer input");

  L.linear_2 = read_linear(r, f, g + "/linear_2");
  if (irreps_dim(L.linear_2.irreps_in) != irreps_dim(tp.irreps_out))
    r.fail(g + "/linear_2/irreps_in", "dimension differs from tp/irreps_out");

  const std::string gg = g + "/gate";
  Gate& gate = L.gate;
  gate.irreps_in = r.irreps(f, gg + "/irreps_in");
  gate.irreps_out = r.irreps(f, gg + "/irreps_out");
  if (!(gate.irreps_in == L.linear_2.irreps_out)) r.fail(gg + "/irreps_in", "differs from linear_2/irreps_out");
  read_gate_part(r, f, gg + "/scalars", gate.irreps_in, &gate.scalars, &gate.scalar_offsets);
  read_gate_part(r, f, gg + "/gates", gate.irreps_in, &gate.gates, &gate.gate_offsets);
  read_gate_part(r, f, gg + "/gated", gate.irreps_in, &gate.gated, &gate.gated_offsets);
  gate.scalar_acts = read_activations(r, f, gg + "/scalars", gate.scalars.size());
  gate.gate_acts = read_activations(r, f, gg + "/gates", gate.gates.size());
  int ngates = 0, ngated = 0;
  for (const auto& b : gate.gates) ngates += b.l == 0 ? b.mul : -1000000;
  for (const auto& b : gate.gated) ngated += b.mul;
  if (ngates != ngated) r.fail(gg + "/gates", "must be scalars, one per gated channel");
  if (irreps_dim(gate.irreps_out) != irreps_dim(gate.scalars) + irreps_dim(gate.gated))
    r.fail(gg + "/irreps_out", "dimension differs from scalars + gated");

  if (L.use_sc) {
    const std::string s = g + "/sc";
    auto& sc = L.sc;
    sc.irreps_in1 = r.irreps(f, s + "/irreps_in1");
    sc.irreps_in2 = r.irreps(f, s + "/irreps_in2");
    sc.irreps_out = r.irreps(f, s + "/irreps_out");
    if (!(sc.irreps_in1 == L.irreps_in) || !(sc.irreps_out == gate.irreps_in))
      r.fail(s, "irreps differ from the layer input / gate input");
    if (sc.irreps_in2.size() != 1 || sc.irreps_in2[0].mul != num_types || sc.irreps_in2[0].l != 0)
      r.fail(s + "/irreps_in2", "must be num_types x 0e");
    const auto si = r.ints(f, s + "/instructions");
    sc.path_weights = r.doubles(f, s + "/path_weights");
    sc.weight = r.doubles(f, s + "/weight");
    if (si.size() != 3 * sc.path_weights.size()) r.fail(s + "/path_weights", "needs one entry per instruction");
    size_t expect = 0;
    for (size_t i = 0; i < sc.path_weights.size(); ++i) {
      std::array<int, 3> in{si[3 * i], si[3 * i + 1], si[3 * i + 2]};
      if (in[0] < 0 || in[0] >= static_cast<int>(sc.irreps_in1.size()) || in[1] != 0 || in[2] < 0 ||
          in[2] >= static_cast<int>(sc.irreps_out.size()))
        r.fail(s + "/instructions", "block index out of range in row " + std::to_string(i));
      const Irrep &a = sc.irreps_in1[static_cast<size_t>(in[0])], &c = sc.irreps_out[static_cast<size_t>(in[2])];
      if (a.l != c.l || a.p != c.p) r.fail(s + "/instructions", "connects different irreps");
      expect += static_cast<size_t>(a.mul) * static_cast<size_t>(num_types) * static_cast<size_t>(c.mul);
      sc.instructions.push_back(in);
    }
    if (sc.weight.size() != expect) r.fail(s + "/weight", "size does not match the instructions");
  }
  return L;
}

NequipReference read_reference(const Reader& r, hid_t f, const std::string& g) {
  NequipReference ref;
  ref.label = r.text(f, g, "label");
  ref.energy = r.number(f, g, "energy");
  ref.num_edges = static_cast<std::int64_t>(r.number(f, g, "num_edges"));
  std::vector<hsize_t> shape;
  ref.positions = r.doubles(f, g + "/positions", &shape);
  if (shape.size() != 2 || shape[1] != 3) r.fail(g + "/positions", "expected (N, 3)");
  const size_t n = shape[0];
  ref.types = r.ints(f, g + "/types");
  ref.forces = r.doubles(f, g + "/forces");
  ref.atomic_energies = r.doubles(f, g + "/atomic_energies");
  if (ref.types.size() != n || ref.forces.size() != 3 * n || ref.atomic_energies.size() != n)
    r.fail(g, "types/forces/atomic_energies do not match the atom count");
  const auto cell = r.doubles(f, g + "/cell");
  const auto pbc = r.ints(f, g + "/pbc");
  if (cell.size() != 9 || pbc.size() != 3) r.fail(g, "cell must be 3x3 and pbc 3 flags");
  for (int i = 0; i < 9; ++i) ref.cell[static_cast<size_t>(i)] = cell[static_cast<size_t>(i)];
  for (int i = 0; i < 3; ++i) ref.pbc[static_cast<size_t>(i)] = pbc[static_cast<size_t>(i)] != 0;
  ref.has_virial = r.exists(f, g + "/virial");
  if (ref.has_virial) {
    const auto v = r.doubles(f, g + "/virial");
    const auto s = r.doubles(f, g + "/stress");
    if (v.size() != 9 || s.size() != 9) r.fail(g + "/virial", "must be 3x3");
    for (size_t i = 0; i < 9; ++i) ref.virial[i] = v[i], ref.stress[i] = s[i];
  }
  return ref;
}

}  // namespace

NequipModel read_model_file(const std::string& path) {
  QuietHdf5 quiet;
  Reader r(path);
  if (H5Fis_hdf5(path.c_str()) <= 0)
    throw ModelFileError(path + ": not a readable HDF5 file (missing, truncated or corrupt); " + kFix);
  Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file.ok()) throw ModelFileError(path + ": cannot open as HDF5 (truncated or corrupt?); " + kFix);
  const hid_t f = file.get();
  if (!r.exists(f, "/e3md_model"))
    throw ModelFileError(path + ": not an e3md model file (no /e3md_model group); convert nequip models with "
                                "tools/export_nequip.py");
  NequipModel M;
  const std::string schema = r.text(f, "/e3md_model", "schema");
  if (schema != kModelSchema) r.fail("/e3md_model@schema", "is '" + schema + "', expected '" + kModelSchema + "'");
  M.schema_version = static_cast<int>(r.number(f, "/e3md_model", "schema_version"));
  if (M.schema_version != kModelSchemaVersion)
    throw ModelFileError(path + ": field '/e3md_model@schema_version': version " + std::to_string(M.schema_version) +
                         " is not supported by this e3md (reads version " + std::to_string(kModelSchemaVersion) +
                         "); re-export with this e3md's tools/export_nequip.py or update e3md");
  M.nequip_version = r.text(f, "/e3md_model", "nequip_version");
  M.e3nn_version = r.text(f, "/e3md_model", "e3nn_version");
  M.torch_version = r.text(f, "/e3md_model", "torch_version");
  M.model_dtype = r.text(f, "/e3md_model", "model_dtype");
  M.config_yaml = r.text(f, "/e3md_model", "config_yaml");
  M.source_kind = r.text(f, "/e3md_model", "source_kind");
  M.parameter_count_nequip = static_cast<std::int64_t>(r.number(f, "/e3md_model", "parameter_count_nequip"));
  const int num_layers = static_cast<int>(r.number(f, "/e3md_model", "num_layers"));

  M.type_names = r.strings(f, "/species/names");
  M.atomic_numbers = r.ints(f, "/species/atomic_numbers");
  M.num_types = static_cast<int>(r.number(f, "/embedding", "num_types"));
  if (M.num_types < 1 || M.type_names.size() != static_cast<size_t>(M.num_types) ||
      M.atomic_numbers.size() != M.type_names.size())
    r.fail("/species/names", "needs num_types names and atomic numbers");

  M.r_max = r.number(f, "/edge", "r_max");
  M.polynomial_p = r.number(f, "/edge", "polynomial_p");
  M.l_max = static_cast<int>(r.number(f, "/edge", "l_max"));
  M.bessel_trainable = r.number(f, "/edge", "bessel_trainable") != 0.0;
  M.edge_sh = r.irreps(f, "/edge/sh_irreps");
  M.bessel_weights = r.doubles(f, "/edge/bessel_weights");
  if (!(M.r_max > 0.0)) r.fail("/edge@r_max", "must be positive (Å)");
  if (M.bessel_weights.empty()) r.fail("/edge/bessel_weights", "is empty");
  if (static_cast<int>(M.edge_sh.size()) != M.l_max + 1) r.fail("/edge/sh_irreps", "needs one block per l <= l_max");
  for (int l = 0; l <= M.l_max; ++l)
    if (M.edge_sh[static_cast<size_t>(l)].l != l || M.edge_sh[static_cast<size_t>(l)].mul != 1)
      r.fail("/edge/sh_irreps", "must be 1x0e+1x1?+...+1xl_max?");

  M.chemical_embedding = read_linear(r, f, "/embedding/chemical_embedding");
  if (M.chemical_embedding.irreps_in.size() != 1 || M.chemical_embedding.irreps_in[0].mul != M.num_types)
    r.fail("/embedding/chemical_embedding/irreps_in", "must be num_types x 0e");
  if (num_layers < 1) r.fail("/e3md_model@num_layers", "must be at least 1");
  Irreps features = M.chemical_embedding.irreps_out;
  for (int k = 0; k < num_layers; ++k) {
    const std::string g = "/layers/layer" + std::to_string(k);
    M.layers.push_back(read_layer(r, f, g, M.num_types, static_cast<int>(M.bessel_weights.size())));
    NequipLayer& L = M.layers.back();
    if (!(L.irreps_in == features)) r.fail(g + "/irreps_in", "differs from the previous layer's output");
    if (!(L.tp.irreps_in2 == M.edge_sh)) r.fail(g + "/tp/irreps_in2", "differs from /edge/sh_irreps");
    if (L.resnet && !(L.gate.irreps_out == L.irreps_in)) r.fail(g + "@resnet", "set but the irreps change");
    features = L.gate.irreps_out;
  }
  if (r.exists(f, "/layers/layer" + std::to_string(num_layers)))
    r.fail("/e3md_model@num_layers", "is smaller than the number of /layers groups");
  M.conv_to_output_hidden = read_linear(r, f, "/output/conv_to_output_hidden");
  M.output_hidden_to_scalar = read_linear(r, f, "/output/output_hidden_to_scalar");
  if (!(M.conv_to_output_hidden.irreps_in == features))
    r.fail("/output/conv_to_output_hidden/irreps_in", "differs from the last layer's output");
  if (irreps_dim(M.output_hidden_to_scalar.irreps_out) != 1)
    r.fail("/output/output_hidden_to_scalar/irreps_out", "must be 1x0e");

  M.per_species_scales = r.doubles(f, "/rescale/per_species_scales");
  M.per_species_shifts = r.doubles(f, "/rescale/per_species_shifts");
  M.per_species_scales_trainable = r.number(f, "/rescale/per_species_scales", "trainable") != 0.0;
  M.per_species_shifts_trainable = r.number(f, "/rescale/per_species_shifts", "trainable") != 0.0;
  for (const auto* v : {&M.per_species_scales, &M.per_species_shifts})
    if (!v->empty() && v->size() != 1 && v->size() != static_cast<size_t>(M.num_types))
      r.fail("/rescale/per_species_*", "needs 0, 1 or num_types entries");
  M.has_global_scale = r.number(f, "/rescale", "has_global_scale") != 0.0;
  M.has_global_shift = r.number(f, "/rescale", "has_global_shift") != 0.0;
  M.global_trainable = r.number(f, "/rescale", "global_trainable") != 0.0;
  M.global_scale = M.has_global_scale ? r.number(f, "/rescale", "global_scale") : 1.0;
  M.global_shift = M.has_global_shift ? r.number(f, "/rescale", "global_shift") : 0.0;

  for (int n = 0; r.exists(f, "/reference/structure" + std::to_string(n)); ++n) {
    M.references.push_back(read_reference(r, f, "/reference/structure" + std::to_string(n)));
    for (int t : M.references.back().types)
      if (t < 0 || t >= M.num_types) r.fail("/reference/structure" + std::to_string(n) + "/types", "out of range");
  }
  return M;
}

std::vector<std::pair<std::string, const std::vector<double>*>> named_weights(const NequipModel& M) {
  std::vector<std::pair<std::string, const std::vector<double>*>> out;
  out.emplace_back("radial_basis.basis.bessel_weights", &M.bessel_weights);
  out.emplace_back("chemical_embedding.linear.weight", &M.chemical_embedding.weight);
  for (size_t k = 0; k < M.layers.size(); ++k) {
    const auto& L = M.layers[k];
    const std::string p = "layer" + std::to_string(k) + "_convnet.conv.";
    out.emplace_back(p + "linear_1.weight", &L.linear_1.weight);
    for (size_t j = 0; j < L.radial.weights.size(); ++j)
      out.emplace_back(p + "fc.layer" + std::to_string(j) + ".weight", &L.radial.weights[j]);
    out.emplace_back(p + "linear_2.weight", &L.linear_2.weight);
    if (L.use_sc) out.emplace_back(p + "sc.weight", &L.sc.weight);
  }
  out.emplace_back("conv_to_output_hidden.linear.weight", &M.conv_to_output_hidden.weight);
  out.emplace_back("output_hidden_to_scalar.linear.weight", &M.output_hidden_to_scalar.weight);
  out.emplace_back("per_species_rescale.scales", &M.per_species_scales);
  out.emplace_back("per_species_rescale.shifts", &M.per_species_shifts);
  return out;
}

std::int64_t parameter_count(const NequipModel& M) {
  std::int64_t n = 0;
  for (const auto& [name, w] : named_weights(M)) {
    const bool trainable = (name == "radial_basis.basis.bessel_weights")   ? M.bessel_trainable
                           : (name == "per_species_rescale.scales") ? M.per_species_scales_trainable
                           : (name == "per_species_rescale.shifts") ? M.per_species_shifts_trainable
                                                                    : true;
    if (trainable) n += static_cast<std::int64_t>(w->size());
  }
  if (M.global_trainable) n += (M.has_global_scale ? 1 : 0) + (M.has_global_shift ? 1 : 0);
  return n;
}

std::string irreps_string(const Irreps& irreps) {
  std::string s;
  for (const auto& b : irreps) {
    if (!s.empty()) s += "+";
    s += std::to_string(b.mul) + "x" + std::to_string(b.l) + (b.p > 0 ? "e" : "o");
  }
  return s.empty() ? "0" : s;
}

}  // namespace e3md
