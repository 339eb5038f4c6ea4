// Training-set generation in the spirit of the LiPON data set: for each crystal, the base structure, the
// three strain series, low-index slabs, and (for Li3PO4 and Li7PN4) charge-compensated defect supercells,
// all in one list of frames with config_type (and crystal) per frame.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/structure.hpp"

namespace e3md {

struct DatasetOptions {
  std::vector<std::string> crystals;  // names in the library; empty = every shipped crystal
  std::string library;                // definitions folder; empty = crystal_library_dir()
  bool base = true;
  bool strain = true;  // hydrostatic, orthorhombic (each axis), monoclinic (each angle)
  double strain_min = -0.10, strain_max = 0.09, strain_step = 0.01;
  bool slabs = true;                // (100) (010) (001) (110) (101) (011) (111)
  bool all_terminations = false;    // false = termination 0 only
  double slab_min_thickness = 6.0;  // Å
  double slab_vacuum = 15.0;        // Å
  bool defects = true;              // Li3PO4 2×2×3: li-rich, li-poor; Li7PN4: p-to-li5
  int defect_cap = 3;
  std::uint64_t seed = 1;
};

std::vector<Structure> build_dataset(const DatasetOptions& o);

}  // namespace e3md
