// `e3md model info M.h5`: what a model file holds — species, cutoff, layers and their irreps, parameter count,
// the nequip that trained it — after the full validation of io/model_file. Rank 0 prints.
#include <mpi.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <string>

#include "driver/commands.hpp"
#include "io/model_file.hpp"

namespace e3md {
namespace {

void print_info(const std::string& path) {
  const NequipModel M = read_model_file(path);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank != 0) return;
  std::printf("model file     %s (schema e3md-nequip v%d, exported from %s)\n", path.c_str(), M.schema_version,
              M.source_kind.c_str());
  std::printf("trained with   nequip %s, e3nn %s, torch %s; model_dtype %s\n", M.nequip_version.c_str(),
              M.e3nn_version.c_str(), M.torch_version.c_str(), M.model_dtype.c_str());
  std::printf("species        %d:", M.num_types);
  for (size_t t = 0; t < M.type_names.size(); ++t)
    std::printf(" %zu=%s(Z=%d)", t, M.type_names[t].c_str(), M.atomic_numbers[t]);
  std::printf("\n");
  std::printf("r_max          %.10g Angstrom\n", M.r_max);
  std::printf("radial basis   %zu Bessel functions, polynomial cutoff p=%.10g\n", M.bessel_weights.size(),
              M.polynomial_p);
  std::printf("edge SH        l_max=%d: %s\n", M.l_max, irreps_string(M.edge_sh).c_str());
  std::printf("layers         %zu\n", M.layers.size());
  for (size_t k = 0; k < M.layers.size(); ++k) {
    const auto& L = M.layers[k];
    std::printf("  layer %zu      in %s -> out %s\n", k, irreps_string(L.irreps_in).c_str(),
                irreps_string(L.gate.irreps_out).c_str());
    std::string mlp;
    for (int s : L.radial.sizes) mlp += (mlp.empty() ? "" : "-") + std::to_string(s);
    std::printf("                 %zu TP paths, radial MLP %s (%s), avg_num_neighbors %.10g%s%s\n",
                L.tp.paths.size(), mlp.c_str(), L.radial.activation.name.c_str(), L.avg_num_neighbors,
                L.use_sc ? ", self-connection" : "", L.resnet ? ", resnet" : "");
  }
  std::printf("parameters     %lld (nequip counted %lld)\n", static_cast<long long>(parameter_count(M)),
              static_cast<long long>(M.parameter_count_nequip));
  std::printf("rescale        global scale %.10g%s", M.global_scale, M.has_global_scale ? "" : " (none)");
  if (M.has_global_shift) std::printf(", global shift %.10g eV", M.global_shift);
  std::printf("; per-species scales %zu, shifts %zu\n", M.per_species_scales.size(), M.per_species_shifts.size());
  std::printf("references     %zu structures with nequip energies/forces\n", M.references.size());
}

void add_model_command(CLI::App& app) {
  auto* model = app.add_subcommand("model", "Inspect NequIP model files (convert with tools/export_nequip.py)");
  model->require_subcommand(1);
  auto* info = model->add_subcommand("info", "Print species, cutoff, layers, irreps and parameter count");
  auto path = std::make_shared<std::string>();
  info->add_option("file", *path, "e3md model file (.h5)")->required();
  info->callback([path]() { print_info(*path); });
}

const CommandRegistrar registrar("model", 50, add_model_command);

}  // namespace
}  // namespace e3md
