// The e3md model file: HDF5, schema "e3md-nequip" version 1, written by tools/export_nequip.py from a nequip
// 0.5/0.6 model. read_model_file() loads it into engine/nequip_model.hpp's NequipModel and validates it
// (structure, sizes, index ranges, finite weights); every problem is a ModelFileError naming the file, the
// field and the fix. docs/model-format.md documents each field.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "engine/nequip_model.hpp"

namespace e3md {

class ModelFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline constexpr const char* kModelSchema = "e3md-nequip";
inline constexpr int kModelSchemaVersion = 1;

// Reads and validates a model file. Throws ModelFileError.
NequipModel read_model_file(const std::string& path);

// Number of trainable numbers, counted like nequip's sum(p.numel() for p in model.parameters()).
std::int64_t parameter_count(const NequipModel& model);

// Every weight array with the nequip state-dict key it came from (suffix after "...func."), e.g.
// "layer0_convnet.conv.linear_1.weight"; radial MLP matrices as "layer0_convnet.conv.fc.layer1.weight".
std::vector<std::pair<std::string, const std::vector<double>*>> named_weights(const NequipModel& model);

// "32x0e+32x1o" (e3nn notation).
std::string irreps_string(const nequip::Irreps& irreps);

}  // namespace e3md
