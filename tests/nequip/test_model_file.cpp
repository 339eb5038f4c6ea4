// io/model_file: the C++ reader gets exactly the weights nequip has (parameter count and per-tensor checksums
// written by make_models.py from nequip's own state dict, not from the exported file), training-dir and deployed
// exports are identical, and damaged files fail with one line naming the file and the field.
#include <hdf5.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "io/model_file.hpp"

namespace fs = std::filesystem;
using e3md::ModelFileError;
using e3md::NequipModel;
using e3md::read_model_file;

namespace {

const fs::path kModels = E3MD_NEQUIP_MODELS;
const std::vector<std::string> kNames = {"l1_lmax1_T1",          "l2_lmax2_noparity_T2",     "l3_lmax3_T3_f32",
                                         "l2_lmax1_F64_T5_nosc", "l6_lmax2_T2_resnet_shift", "l4_lmax2_T4_sqrt",
                                         "l1_force_only_ssp"};

struct Checksum {
  double n = 0, sum = 0, wsum = 0, abs = 0;
};

// Same definition as make_models.py: count, sum, sum of w_i * (i mod 7 + 1).
Checksum checksum(const std::vector<double>& v) {
  long double s = 0, w = 0, a = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    s += v[i];
    w += v[i] * static_cast<long double>(i % 7 + 1);
    a += std::abs(v[i]) * 7.0L;
  }
  return {static_cast<double>(v.size()), static_cast<double>(s), static_cast<double>(w), static_cast<double>(a)};
}

nlohmann::json load_json(const fs::path& p) {
  std::ifstream in(p);
  if (!in) throw std::runtime_error("cannot open " + p.string() + "; run the nequip.make_models test first");
  return nlohmann::json::parse(in);
}

fs::path scratch(const std::string& name) {
  fs::path d = fs::temp_directory_path() / "e3md_model_file_test";
  fs::create_directories(d);
  return d / name;
}

fs::path copy_model(const std::string& name) {
  fs::path dst = scratch(name);
  fs::copy_file(kModels / "l2_lmax2_noparity_T2.h5", dst, fs::copy_options::overwrite_existing);
  return dst;
}

// Runs `edit` on the open file (read-write), with HDF5 error printing off.
template <class F>
void edit_file(const fs::path& p, F edit) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  hid_t f = H5Fopen(p.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  edit(f);
  H5Fclose(f);
}

std::string error_of(const fs::path& p) {
  try {
    read_model_file(p.string());
  } catch (const ModelFileError& e) {
    return e.what();
  }
  return "";
}

void expect_error(const fs::path& p, const std::vector<std::string>& parts) {
  const std::string msg = error_of(p);
  ASSERT_FALSE(msg.empty()) << p << " was accepted";
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  EXPECT_NE(msg.find(p.string()), std::string::npos) << msg;
  for (const auto& s : parts) EXPECT_NE(msg.find(s), std::string::npos) << "'" << s << "' not in: " << msg;
}

}  // namespace

TEST(ModelFile, WeightsMatchNequipStateDict) {
  for (const auto& name : kNames) {
    SCOPED_TRACE(name);
    const NequipModel M = read_model_file((kModels / (name + ".h5")).string());
    const auto ref = load_json(kModels / (name + ".nequip.json"));
    EXPECT_EQ(e3md::parameter_count(M), ref["parameter_count"].get<std::int64_t>());
    EXPECT_EQ(M.parameter_count_nequip, ref["parameter_count"].get<std::int64_t>());
    const auto named = e3md::named_weights(M);
    size_t matched = 0;
    for (const auto& [key, val] : ref["tensors"].items()) {
      const std::vector<double>* w = nullptr;
      std::vector<double> scalar;
      if (key == "model.scale_by" || key == "model.shift_by") {
        scalar = {key == "model.scale_by" ? M.global_scale : M.global_shift};
        w = &scalar;
      }
      for (const auto& [n, v] : named)
        if (key.size() > n.size() && key.compare(key.size() - n.size(), n.size(), n) == 0 &&
            key[key.size() - n.size() - 1] == '.')
          w = v;
      ASSERT_NE(w, nullptr) << "nequip tensor " << key << " has no counterpart in the model file";
      ++matched;
      const Checksum c = checksum(*w);
      const double tol = 1e-13 * (c.abs + 1.0);
      EXPECT_EQ(c.n, val[0].get<double>()) << key;
      EXPECT_NEAR(c.sum, val[1].get<double>(), tol) << key;
      EXPECT_NEAR(c.wsum, val[2].get<double>(), tol) << key;
    }
    EXPECT_GE(matched, 4 + 3 * M.layers.size());
  }
}

TEST(ModelFile, DescribesTheArchitecture) {
  const NequipModel M = read_model_file((kModels / "l3_lmax3_T3_f32.h5").string());
  EXPECT_EQ(M.schema_version, 1);
  EXPECT_EQ(M.nequip_version, "0.6.1");
  EXPECT_EQ(M.model_dtype, "float32");
  ASSERT_EQ(M.num_types, 3);
  // nequip orders chemical_symbols by atomic number: Li (3), O (8), P (15).
  EXPECT_EQ(M.type_names, (std::vector<std::string>{"Li", "O", "P"}));
  EXPECT_EQ(M.atomic_numbers, (std::vector<int>{3, 8, 15}));
  EXPECT_DOUBLE_EQ(M.r_max, 4.0);
  EXPECT_EQ(M.l_max, 3);
  EXPECT_EQ(e3md::irreps_string(M.edge_sh), "1x0e+1x1o+1x2e+1x3o");
  ASSERT_EQ(M.layers.size(), 3u);
  EXPECT_EQ(e3md::irreps_string(M.layers[0].irreps_in), "8x0e");
  // Layer 0 (spec §7.1): output = scalars then gated in hidden-irreps order (p outer loop).
  EXPECT_EQ(e3md::irreps_string(M.layers[0].gate.irreps_out), "8x0e+8x2e+8x1o+8x3o");
  EXPECT_EQ(M.layers[0].tp.paths.size(), 4u);
  EXPECT_EQ(M.layers[0].radial.sizes, (std::vector<int>{8, 16, 32}));
  EXPECT_NEAR(M.layers[0].radial.activation.constant, 1.6791767923989418, 1e-15);
  EXPECT_DOUBLE_EQ(M.layers[1].avg_num_neighbors, 11.7);
  EXPECT_EQ(M.references.size(), 4u);  // crystal, slab (make_models.py) and the exporter's two random cells
  EXPECT_TRUE(M.references[0].has_virial);
  EXPECT_EQ(M.references[0].forces.size(), 3 * M.references[0].types.size());
}

TEST(ModelFile, TrainDirAndDeployedExportsAreIdentical) {
  for (const std::string name : {"l2_lmax2_noparity_T2", "l3_lmax3_T3_f32"}) {
    SCOPED_TRACE(name);
    const NequipModel a = read_model_file((kModels / (name + ".h5")).string());
    const NequipModel b = read_model_file((kModels / (name + ".deployed.h5")).string());
    EXPECT_EQ(a.source_kind, "train-dir");
    EXPECT_EQ(b.source_kind, "deployed");
    const auto wa = e3md::named_weights(a), wb = e3md::named_weights(b);
    ASSERT_EQ(wa.size(), wb.size());
    for (size_t i = 0; i < wa.size(); ++i) {
      EXPECT_EQ(wa[i].first, wb[i].first);
      EXPECT_EQ(*wa[i].second, *wb[i].second) << wa[i].first;  // bitwise
    }
    ASSERT_EQ(a.layers.size(), b.layers.size());
    for (size_t k = 0; k < a.layers.size(); ++k) {
      EXPECT_EQ(a.layers[k].gate.irreps_out, b.layers[k].gate.irreps_out);
      EXPECT_EQ(a.layers[k].tp.irreps_out, b.layers[k].tp.irreps_out);
    }
    EXPECT_EQ(a.global_scale, b.global_scale);
    ASSERT_EQ(a.references.size(), b.references.size());
    for (size_t n = 0; n < a.references.size(); ++n) {
      // nequip's own outputs: same weights, but torch's autograd sums are not bitwise reproducible
      EXPECT_NEAR(a.references[n].energy, b.references[n].energy, 1e-13 * std::abs(a.references[n].energy));
      for (size_t i = 0; i < a.references[n].forces.size(); ++i)
        EXPECT_NEAR(a.references[n].forces[i], b.references[n].forces[i], 1e-13);
    }
  }
}

TEST(ModelFileErrors, MissingTruncatedOrNotHdf5) {
  expect_error(scratch("does_not_exist.h5"), {"not a readable HDF5 file", "export_nequip.py"});
  const fs::path src = kModels / "l2_lmax2_noparity_T2.h5";
  const fs::path cut = scratch("truncated.h5");
  {
    std::ifstream in(src, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream out(cut, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
  }
  EXPECT_FALSE(error_of(cut).empty());
  expect_error(cut, {"export_nequip.py"});
  const fs::path junk = scratch("junk.h5");
  std::ofstream(junk) << "this is not HDF5\n";
  expect_error(junk, {"not a readable HDF5 file"});
  const fs::path other = scratch("other.h5");
  H5Fclose(H5Fcreate(other.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
  expect_error(other, {"not an e3md model file", "export_nequip.py"});
}

TEST(ModelFileErrors, UnknownSchemaVersion) {
  const fs::path p = copy_model("version.h5");
  edit_file(p, [](hid_t f) {
    hid_t g = H5Gopen2(f, "/e3md_model", H5P_DEFAULT);
    ASSERT_GE(H5Adelete(g, "schema_version"), 0);
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(g, "schema_version", H5T_STD_I32LE, space, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE(a, 0);
    const int v = 2;
    EXPECT_GE(H5Awrite(a, H5T_NATIVE_INT, &v), 0);
    H5Aclose(a);
    H5Sclose(space);
    H5Gclose(g);
  });
  expect_error(p, {"schema_version", "version 2", "reads version 1"});
}

TEST(ModelFileErrors, NanInWeights) {
  const fs::path p = copy_model("nan.h5");
  edit_file(p, [](hid_t f) {
    hid_t d = H5Dopen2(f, "/layers/layer1/linear_2/weight", H5P_DEFAULT);
    hid_t s = H5Dget_space(d);
    std::vector<double> w(static_cast<size_t>(H5Sget_simple_extent_npoints(s)));
    H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, w.data());
    w[17] = std::numeric_limits<double>::quiet_NaN();
    H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, w.data());
    H5Sclose(s);
    H5Dclose(d);
  });
  expect_error(p, {"/layers/layer1/linear_2/weight", "entry 17", "not finite"});
}

TEST(ModelFileErrors, MissingFields) {
  for (const std::string field : {"/layers/layer1/tp/w3j/1_1_2", "/rescale/per_species_shifts",
                                  "/layers/layer0/radial_mlp/weight_1", "/species/names"}) {
    SCOPED_TRACE(field);
    const fs::path p = copy_model("missing.h5");
    edit_file(p, [&](hid_t f) { ASSERT_GE(H5Ldelete(f, field.c_str(), H5P_DEFAULT), 0); });
    expect_error(p, {field, "missing", "export_nequip.py"});
  }
}

TEST(ModelFileErrors, InconsistentSizes) {
  // A radial MLP whose last layer does not produce the tensor product's weight count.
  const fs::path p = copy_model("sizes.h5");
  edit_file(p, [](hid_t f) {
    hid_t d = H5Dopen2(f, "/layers/layer0/tp/instructions", H5P_DEFAULT);
    std::vector<int> ins(9);
    H5Dread(d, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, ins.data());
    ins[2] = 7;  // output slot out of range
    H5Dwrite(d, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, ins.data());
    H5Dclose(d);
  });
  expect_error(p, {"/layers/layer0/tp/instructions", "out of range"});
}
