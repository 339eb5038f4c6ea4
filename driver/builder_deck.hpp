// The `system: build:` section of a deck, interpreted by the builders. One of
//   crystal: NAME (or a *.yaml definition)      input: FILE (any structure file)
//   amorphous: {composition, density, units | atoms, seed, lateral: [a, b], min_distance: {Li-O: 1.8}}
//   interface: {li_face: [1, 1, 0], li_layers | li_thickness, gap, vacuum, max_multiple, block_repeat,
//               max_strain, block: FILE | block_amorphous: {...as amorphous...}}
// followed, for crystal/input, by optional modifiers applied in this order:
//   supercell: [na, nb, nc]
//   strain: {kind: hydrostatic|orthorhombic|monoclinic, value: ε, axis: a|b|c, angle: alpha|beta|gamma}
//   slab: {miller: [h, k, l], layers | thickness, vacuum, termination}
//   defects: {kind: li-rich|li-poor|p-to-li5, count, seed}   (the first enumerated configuration)
// plus `library: DIR` for crystal definitions. Relative paths are resolved against `directory`.
// Errors are std::runtime_error "<source>: build.<key>: what; fix".
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "engine/structure.hpp"

namespace e3md {

Structure build_from_yaml(const YAML::Node& build, const std::string& source,
                          const std::string& directory = ".");

}  // namespace e3md
