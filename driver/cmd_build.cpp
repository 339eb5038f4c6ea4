// `e3md build ...`: the structure builders on the command line. Every subcommand writes one file (-o; the
// format from the extension or --format); multi-frame outputs need extended XYZ. Only rank 0 builds and
// writes (the builders are serial and deterministic).
#include <mpi.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <map>
#include <memory>
#include <stdexcept>

#include "driver/builder_amorphous.hpp"
#include "driver/builder_crystal.hpp"
#include "driver/builder_dataset.hpp"
#include "driver/builder_defects.hpp"
#include "driver/builder_interface.hpp"
#include "driver/builder_slab.hpp"
#include "driver/builder_strain.hpp"
#include "driver/commands.hpp"
#include "io/structure_io.hpp"

namespace e3md {

namespace {

struct Source {
  std::string crystal, input, library;
  std::vector<int> supercell{1, 1, 1};
  std::vector<std::string> species;  // LAMMPS data types / VASP 4 species
};

struct Output {
  std::string path, format;
  std::vector<std::string> species_order;
};

void add_source(CLI::App* c, Source& s, bool supercell) {
  auto* g = c->add_option("--crystal", s.crystal,
                          "shipped crystal name (inputs/structures/<NAME>.yaml) or a *.yaml file");
  auto* f = c->add_option("--input", s.input, "structure file (extxyz, POSCAR, LAMMPS data)");
  g->excludes(f);
  c->add_option("--library", s.library,
                "folder of crystal definitions (default: $E3MD_STRUCTURES or inputs/structures)");
  c->add_option("--species", s.species, "species of LAMMPS atom types 1, 2, ... (or of a VASP 4 POSCAR)")
      ->delimiter(',');
  if (supercell)
    c->add_option("--supercell", s.supercell, "replicate the input n_a n_b n_c times")->expected(3);
}

void add_output(CLI::App* c, Output& o) {
  c->add_option("-o,--output", o.path, "output file")->required();
  c->add_option("--format", o.format, "extxyz | poscar | lammps-data (default: from the file name)");
  c->add_option("--species-order", o.species_order, "LAMMPS data: species of types 1, 2, ...")
      ->delimiter(',');
}

Structure load_source(const Source& s) {
  Structure st;
  if (!s.crystal.empty()) {
    st = build_crystal(s.crystal, s.library);
  } else if (!s.input.empty()) {
    StructureReadOptions ro;
    ro.species = s.species;
    st = read_structure(s.input, ro);
  } else {
    throw std::invalid_argument("give the structure with --crystal NAME or --input FILE");
  }
  if (s.supercell != std::vector<int>{1, 1, 1})
    st = make_supercell(st, s.supercell[0], s.supercell[1], s.supercell[2]);
  return st;
}

bool is_root() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank == 0;
}

void write(const Output& o, const std::vector<Structure>& frames) {
  StructureWriteOptions w;
  w.format = o.format;
  w.species_order = o.species_order;
  write_structures(o.path, frames, w);
  long atoms = 0;
  for (const auto& f : frames) atoms += static_cast<long>(f.size());
  std::printf("wrote %zu frame(s), %ld atoms in total, to %s%s\n", frames.size(), atoms, o.path.c_str(),
              frames.size() == 1 ? (" (" + formula(frames[0]) + ")").c_str() : "");
}

Vec3i miller_of(const std::vector<int>& v) { return Vec3i(v[0], v[1], v[2]); }

// "Li-O=1.8" entries to a map.
std::map<std::string, double> pair_distances(const std::vector<std::string>& entries) {
  std::map<std::string, double> m;
  for (const auto& e : entries) {
    const auto eq = e.find('=');
    if (eq == std::string::npos) {
      throw std::invalid_argument("--min-distance entry '" + e + "' must look like Li-O=1.8 (Å)");
    }
    m[e.substr(0, eq)] = std::stod(e.substr(eq + 1));
  }
  return m;
}

void add_build(CLI::App& app) {
  auto* build = app.add_subcommand("build",
                                   "Build structures: crystals, strain series, slabs, defects, "
                                   "datasets, amorphous packings, interfaces");
  build->require_subcommand(1);

  {  // crystal
    auto src = std::make_shared<Source>();
    auto out = std::make_shared<Output>();
    auto* c = build->add_subcommand("crystal", "Crystal from its definition (space group + Wyckoff sites)");
    c->add_option("name", src->crystal, "crystal name or definition file")->required();
    c->add_option("--library", src->library, "folder of crystal definitions");
    c->add_option("--supercell", src->supercell, "n_a n_b n_c")->expected(3);
    add_output(c, *out);
    c->callback([src, out] {
      if (is_root()) write(*out, {load_source(*src)});
    });
  }
  {  // strain-series
    auto src = std::make_shared<Source>();
    auto out = std::make_shared<Output>();
    auto opt = std::make_shared<StrainSeriesOptions>();
    auto kind = std::make_shared<std::string>("hydrostatic");
    auto axis = std::make_shared<std::string>("c");
    auto angle = std::make_shared<std::string>("beta");
    auto* c = build->add_subcommand("strain-series", "Strained copies (fractional coordinates kept)");
    add_source(c, *src, true);
    c->add_option("--kind", *kind, "hydrostatic | orthorhombic | monoclinic")->capture_default_str();
    c->add_option("--axis", *axis, "orthorhombic: lattice vector a, b or c")->capture_default_str();
    c->add_option("--angle", *angle, "monoclinic: alpha, beta or gamma")->capture_default_str();
    c->add_option("--min", opt->min, "smallest strain (fraction)")->capture_default_str();
    c->add_option("--max", opt->max, "largest strain (fraction)")->capture_default_str();
    c->add_option("--step", opt->step, "step (fraction)")->capture_default_str();
    add_output(c, *out);
    c->callback([src, out, opt, kind, axis, angle] {
      if (!is_root()) return;
      opt->kind = parse_strain_kind(*kind);
      const std::map<std::string, int> ax{{"a", 0}, {"b", 1}, {"c", 2}},
          an{{"alpha", 0}, {"beta", 1}, {"gamma", 2}};
      if (!ax.count(*axis)) throw std::invalid_argument("--axis must be a, b or c");
      if (!an.count(*angle)) throw std::invalid_argument("--angle must be alpha, beta or gamma");
      opt->axis = ax.at(*axis);
      opt->angle = an.at(*angle);
      write(*out, strain_series(load_source(*src), *opt));
    });
  }
  {  // slab
    auto src = std::make_shared<Source>();
    auto out = std::make_shared<Output>();
    auto opt = std::make_shared<SlabOptions>();
    auto miller = std::make_shared<std::vector<int>>(std::vector<int>{0, 0, 1});
    auto layers = std::make_shared<std::vector<int>>();
    auto* c = build->add_subcommand("slab", "(hkl) slab with the surface normal along c and vacuum");
    add_source(c, *src, true);
    c->add_option("--miller", *miller, "h k l")->expected(3)->required();
    c->add_option("--layers", *layers, "periods d_hkl: one value, or a range 'first last' (one frame each)")
        ->expected(1, 2);
    c->add_option("--thickness", opt->min_thickness, "minimum thickness in Å (instead of --layers)");
    c->add_option("--vacuum", opt->vacuum, "vacuum in Å")->capture_default_str();
    c->add_option("--termination", opt->termination, "index of the terminating plane (0..n-1)")
        ->capture_default_str();
    add_output(c, *out);
    c->callback([src, out, opt, miller, layers] {
      if (!is_root()) return;
      const Structure bulk = load_source(*src);
      opt->miller = miller_of(*miller);
      std::vector<Structure> frames;
      const int first = layers->empty() ? 0 : layers->front(), last = layers->empty() ? 0 : layers->back();
      for (int n = first; n <= last; ++n) {
        opt->layers = n;
        const SlabResult r = build_slab(bulk, *opt);
        std::printf(
            "slab (%d %d %d) termination %d of %d: %d periods of %.4f Å, thickness %.4f Å, %zu atoms\n",
            opt->miller[0], opt->miller[1], opt->miller[2], opt->termination, r.terminations, r.layers,
            r.d_spacing, r.thickness, r.slab.size());
        frames.push_back(r.slab);
      }
      write(*out, frames);
    });
  }
  {  // defects
    auto src = std::make_shared<Source>();
    auto out = std::make_shared<Output>();
    auto opt = std::make_shared<DefectOptions>();
    auto kind = std::make_shared<std::string>("li-rich");
    auto* c =
        build->add_subcommand("defects", "Charge-compensated Li-rich / Li-poor / P→5Li defect supercells");
    add_source(c, *src, true);
    c->add_option("--kind", *kind, "li-rich | li-poor | p-to-li5")->capture_default_str();
    c->add_option("--count", opt->count, "defects per configuration")->capture_default_str();
    c->add_option("--cap", opt->cap, "number of configurations")->capture_default_str();
    c->add_option("--seed", opt->seed, "random seed")->capture_default_str();
    c->add_option("--min-li-distance", opt->min_li_distance, "closest approach of an added Li (Å)")
        ->capture_default_str();
    add_output(c, *out);
    c->callback([src, out, opt, kind] {
      if (!is_root()) return;
      opt->kind = parse_defect_kind(*kind);
      write(*out, enumerate_defects(load_source(*src), *opt));
    });
  }
  {  // dataset
    auto out = std::make_shared<Output>();
    auto opt = std::make_shared<DatasetOptions>();
    auto* c =
        build->add_subcommand("dataset", "Base crystals, strain series, slabs and defects in one extxyz");
    c->add_option("--crystals", opt->crystals, "crystal names (default: all shipped)")->delimiter(',');
    c->add_option("--library", opt->library, "folder of crystal definitions");
    c->add_flag("!--no-strain", opt->strain, "skip the strain series");
    c->add_flag("!--no-slabs", opt->slabs, "skip the slabs");
    c->add_flag("!--no-defects", opt->defects, "skip the defect supercells");
    c->add_flag("--all-terminations", opt->all_terminations, "every termination of every slab");
    c->add_option("--defect-cap", opt->defect_cap, "configurations per defect kind")->capture_default_str();
    c->add_option("--seed", opt->seed, "random seed")->capture_default_str();
    add_output(c, *out);
    c->callback([out, opt] {
      if (is_root()) write(*out, build_dataset(*opt));
    });
  }
  {  // amorphous
    auto out = std::make_shared<Output>();
    auto opt = std::make_shared<AmorphousOptions>();
    auto dists = std::make_shared<std::vector<std::string>>();
    auto lateral = std::make_shared<std::vector<double>>();
    auto* c = build->add_subcommand("amorphous", "Random packing of a composition at a density");
    c->add_option("--composition", opt->composition, "formula, e.g. Li3PO3.3N0.5 or Li87P30O99N13")
        ->required();
    c->add_option("--units", opt->formula_units, "formula units (of the integer formula)");
    c->add_option("--atoms", opt->min_atoms, "at least this many atoms (instead of --units)");
    c->add_option("--density", opt->density, "g/cm³")->required();
    c->add_option("--lateral", *lateral, "a b in Å: orthorhombic box with this lateral cell")->expected(2);
    c->add_option("--seed", opt->seed, "random seed")->capture_default_str();
    c->add_option("--min-distance", *dists, "per pair, e.g. Li-O=1.8,P-O=1.4 (Å)")->delimiter(',');
    add_output(c, *out);
    c->callback([out, opt, dists, lateral] {
      if (!is_root()) return;
      opt->min_distance = pair_distances(*dists);
      if (lateral->size() == 2) {
        opt->lateral_a = (*lateral)[0];
        opt->lateral_b = (*lateral)[1];
      }
      write(*out, {build_amorphous(*opt)});
    });
  }
  {  // interface
    auto out = std::make_shared<Output>();
    auto opt = std::make_shared<InterfaceOptions>();
    auto block = std::make_shared<Source>();
    auto am = std::make_shared<AmorphousOptions>();
    auto face = std::make_shared<std::vector<int>>(std::vector<int>{1, 1, 0});
    auto lateral = std::make_shared<std::vector<double>>();
    auto library = std::make_shared<std::string>();
    auto* c = build->add_subcommand("interface", "bcc Li slab against an electrolyte block");
    c->add_option("--li-face", *face, "Miller indices of the Li surface: 1 1 0 or 1 1 1")
        ->expected(3)
        ->capture_default_str();
    c->add_option("--li-layers", opt->li_layers, "Li slab periods (default: from --li-thickness)");
    c->add_option("--li-thickness", opt->li_min_thickness, "minimum Li slab thickness (Å)")
        ->capture_default_str();
    c->add_option("--block", block->input,
                  "electrolyte block file (else built with --composition/--density)");
    c->add_option("--species", block->species, "species of LAMMPS atom types of the block")->delimiter(',');
    c->add_option("--composition", am->composition, "amorphous block composition");
    c->add_option("--density", am->density, "amorphous block density (g/cm³)")->capture_default_str();
    c->add_option("--units", am->formula_units, "amorphous block formula units");
    c->add_option("--lateral", *lateral, "amorphous block lateral cell a b (Å)")->expected(2);
    c->add_option("--seed", am->seed, "amorphous block seed")->capture_default_str();
    c->add_option("--gap", opt->gap, "Li surface to block distance along c (Å)")->capture_default_str();
    c->add_option("--vacuum", opt->vacuum, "vacuum above the block (Å); 0 = periodic along c")
        ->capture_default_str();
    c->add_option("--max-multiple", opt->max_multiple, "largest |S_ij| of the Li supercell matrix")
        ->capture_default_str();
    c->add_option("--block-repeat", opt->block_repeat_max, "also try block repeats up to this")
        ->capture_default_str();
    c->add_option("--max-strain", opt->max_strain, "largest Li principal strain accepted")
        ->capture_default_str();
    c->add_option("--library", *library, "folder of crystal definitions (for Li)");
    add_output(c, *out);
    c->callback([out, opt, block, am, face, lateral, library] {
      if (!is_root()) return;
      opt->li_miller = miller_of(*face);
      Structure b;
      if (!block->input.empty()) {
        b = load_source(*block);
      } else if (!am->composition.empty()) {
        if (lateral->size() == 2) {
          am->lateral_a = (*lateral)[0];
          am->lateral_b = (*lateral)[1];
        }
        b = build_amorphous(*am);
      } else {
        throw std::invalid_argument(
            "interface needs --block FILE or --composition and --density for the block");
      }
      const InterfaceResult r = build_interface(build_crystal("Li", *library), b, *opt);
      std::printf(
          "Li supercell S = [%d %d; %d %d], block repeat %d x %d: Li principal strains %.4f %.4f, "
          "block strain 0 0; Li %ld atoms (%.3f Å), block %ld atoms (%.3f Å), gap %.3f Å\n",
          r.li_supercell(0, 0), r.li_supercell(0, 1), r.li_supercell(1, 0), r.li_supercell(1, 1),
          r.block_repeat[0], r.block_repeat[1], r.li_strain[0], r.li_strain[1], r.li_atoms, r.li_thickness,
          r.block_atoms, r.block_thickness, r.gap);
      write(*out, {r.structure});
    });
  }
}

const CommandRegistrar reg("build", 30, &add_build);

}  // namespace

}  // namespace e3md
