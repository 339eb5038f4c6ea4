#include "driver/builder_dataset.hpp"

#include "driver/builder_crystal.hpp"
#include "driver/builder_defects.hpp"
#include "driver/builder_slab.hpp"
#include "driver/builder_strain.hpp"

namespace e3md {

std::vector<Structure> build_dataset(const DatasetOptions& o) {
  const std::vector<std::string> names = o.crystals.empty() ? known_crystals(o.library) : o.crystals;
  std::vector<Structure> frames;
  for (const auto& name : names) {
    const Structure bulk = build_crystal(name, o.library);
    if (o.base) frames.push_back(bulk);
    if (o.strain) {
      StrainSeriesOptions so;
      so.min = o.strain_min;
      so.max = o.strain_max;
      so.step = o.strain_step;
      auto add = [&](const std::vector<Structure>& v) { frames.insert(frames.end(), v.begin(), v.end()); };
      so.kind = StrainKind::Hydrostatic;
      add(strain_series(bulk, so));
      so.kind = StrainKind::Orthorhombic;
      for (int axis = 0; axis < 3; ++axis) {
        so.axis = axis;
        add(strain_series(bulk, so));
      }
      so.kind = StrainKind::Monoclinic;
      for (int angle = 0; angle < 3; ++angle) {
        so.angle = angle;
        add(strain_series(bulk, so));
      }
    }
    if (o.slabs) {
      for (const Vec3i& hkl : {Vec3i(1, 0, 0), Vec3i(0, 1, 0), Vec3i(0, 0, 1), Vec3i(1, 1, 0), Vec3i(1, 0, 1),
                               Vec3i(0, 1, 1), Vec3i(1, 1, 1)}) {
        SlabOptions sl;
        sl.miller = hkl;
        sl.min_thickness = o.slab_min_thickness;
        sl.vacuum = o.slab_vacuum;
        const int nt = o.all_terminations ? count_terminations(bulk, hkl) : 1;
        for (int t = 0; t < nt; ++t) {
          sl.termination = t;
          frames.push_back(build_slab(bulk, sl).slab);
        }
      }
    }
    if (o.defects && (name == "Li3PO4" || name == "Li7PN4")) {
      DefectOptions d;
      d.cap = o.defect_cap;
      d.seed = o.seed;
      if (name == "Li3PO4") {
        const Structure cell = make_supercell(bulk, 2, 2, 3);  // Li72P24O96, as in the data set
        for (DefectKind k : {DefectKind::LiRich, DefectKind::LiPoor}) {
          d.kind = k;
          const auto v = enumerate_defects(cell, d);
          frames.insert(frames.end(), v.begin(), v.end());
        }
      } else {
        d.kind = DefectKind::PToLi5;
        d.min_li_distance = 1.5;
        const auto v = enumerate_defects(bulk, d);
        frames.insert(frames.end(), v.begin(), v.end());
      }
    }
  }
  return frames;
}

}  // namespace e3md
