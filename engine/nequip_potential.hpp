// NequIP (nequip 0.5/0.6) potential on kernels/, any number of MPI ranks, in float64 (the reference path) or
// float32 (the fast path: the same network on the kernels' float instantiations).
//
// Message passing across ranks (spec §14): each layer's node features are computed for owned atoms and
// copied to ghosts with HaloExchange::forward before the next layer's convolution reads them; in the
// backward pass the feature gradients that land on ghost rows are summed into their owners with
// HaloExchange::reverse before back-propagating through the owner's previous layer. Energies are counted
// over owned atoms only; ghost forces are reverse-summed by the caller (needs_reverse_force()).
// Ghosts are needed within r_max (+ skin) only, since features travel through the halo every layer.
//
// float32: weights, features, messages and their gradients are float; edge vectors are formed in double and
// rounded once; per-atom energies, the total energy, forces and the virial are summed in double.
//
// The network runs on the CPU launchers or, with NequipDevice::kCuda, on the GPU (engine/nequip_network.hpp);
// the potential forms edges, energies, forces and the virial on the host either way.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/field_space.hpp"
#include "engine/nequip_model.hpp"
#include "engine/potential.hpp"

namespace e3md {

enum class NequipPrecision { kFloat64, kFloat32 };

// "float64" / "float32"; throws std::invalid_argument naming the value and the choices otherwise.
NequipPrecision parse_nequip_precision(const std::string& text);
const char* to_string(NequipPrecision p);

// Where the network runs: the CPU launchers (OpenMP) or the CUDA launchers (features and their gradients in
// device memory; the halo hands MPI device buffers or stages them through the host, see GpuAwareMpi).
// kHostReference runs the CUDA network's algorithm serially on the host (tests of the device path without a
// GPU; not offered in decks).
enum class NequipDevice { kCpu, kCuda, kHostReference };
NequipDevice parse_nequip_device(const std::string& text);  // "cpu" / "cuda"
const char* to_string(NequipDevice d);

class NequipPotential : public Potential {
 public:
  // Builds the kernels' plans from a model read by io/model_file.hpp. Throws std::runtime_error naming the
  // layer and the fix when the model uses something kernels/ does not implement (activations other than
  // silu/tanh with e3nn's constants, a radial MLP activation other than silu), and for device kCuda when
  // e3md was built without CUDA or no GPU is visible.
  explicit NequipPotential(const NequipModel& model, NequipPrecision precision = NequipPrecision::kFloat64,
                           NequipDevice device = NequipDevice::kCpu,
                           GpuAwareMpi gpu_aware_mpi = GpuAwareMpi::kAuto);
  ~NequipPotential() override;
  NequipPotential(const NequipPotential&) = delete;
  NequipPotential& operator=(const NequipPotential&) = delete;

  std::string name() const override { return "nequip"; }
  NequipPrecision precision() const;
  // "cpu", or the GPU and how MPI is handed its buffers ("cuda:0 (NVIDIA H100 ...), MPI staged").
  std::string backend() const;
  double cutoff() const override;
  NeighborKind neighbor_kind() const override { return NeighborKind::Full; }
  bool needs_reverse_force() const override { return true; }
  std::vector<std::string> species() const override;
  void compute(const Box& box, Atoms& atoms, const NeighborList& list, HaloExchange& halo,
               const ComputeRequest& request, ComputeResult& result) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace e3md
