// The NequIP network in one precision, as the potential (nequip_potential.cpp) drives it: the kernels' plans
// of a model (NequipPlans) and the network that runs them on a backend (NequipNetwork): the CPU launchers
// (nequip_network_cpu.cpp, halo exchanges overlapped with interior work) or the CUDA launchers
// (nequip_network_cuda.cpp on nequip_network_device.hpp, features in device memory, halo through a
// CudaFieldSpace), whose algorithm also runs serially on the host as a reference
// (nequip_network_reference.cpp). Both take the edges of the owned centres from the potential and give back
// dE/dr per edge; the potential forms forces and virial.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/field_space.hpp"
#include "engine/nequip_model.hpp"
#include "kernels/convolution.hpp"
#include "kernels/gate.hpp"
#include "kernels/linear.hpp"

namespace e3md {

class HaloExchange;

template <class Real>
struct NequipLayerPlan {
  kernels::EquivariantLinear<Real> lin1, lin2, sc;
  kernels::Convolution<Real> conv;
  kernels::Gate<Real> gate;
  bool use_sc = true, resnet = false;
  int dim_in = 0, dim_z = 0, dim_mid = 0, dim_out = 0;  // x (linear_1 out), z (gate in), A (conv out), h out
};

template <class Real>
struct NequipPlans {
  // Throws std::runtime_error naming the layer and the fix when the model uses something kernels/ does not
  // implement (activations other than silu/tanh with e3nn's constants, a radial MLP activation other than
  // silu).
  explicit NequipPlans(const NequipModel& model);
  int num_types = 0;
  kernels::EquivariantLinear<Real> chem, out1, out2;
  std::vector<NequipLayerPlan<Real>> layers;
};

template <class Real>
class NequipNetwork {
 public:
  virtual ~NequipNetwork() = default;
  // Forward through all layers for the owned atoms (the first nl of types); returns the raw per-atom outputs
  // (host memory, nl entries).
  virtual const Real* forward(const std::vector<int>& types, int nl, HaloExchange& halo) = 0;
  // Backward from dE/d eraw (ge) to dE/dr_e (host memory, 3 per edge).
  virtual const Real* backward(const std::vector<int>& types, int nl, HaloExchange& halo) = 0;
  // "cpu", or the device and how MPI is handed its buffers.
  virtual std::string describe() const = 0;

  std::vector<int> center, neighbor;  // edges j -> i of owned centres i, set by the caller
  std::vector<Real> vec;              // edge vectors r_j - r_i in Real (Å)
  std::vector<Real> ge;               // dE/d eraw per owned atom, set by the caller between the passes
};

template <class Real>
std::unique_ptr<NequipNetwork<Real>> make_cpu_network(const NequipModel& model);

// The CUDA network on the GPU that this rank's node-local rank picks (round robin over the visible devices).
// Throws std::runtime_error with the fix when e3md was built without CUDA or no device is visible.
template <class Real>
std::unique_ptr<NequipNetwork<Real>> make_cuda_network(const NequipModel& model, GpuAwareMpi mpi_mode);

// The CUDA network's algorithm run serially on the host (nequip_network_reference.cpp), for tests of the
// device path without a GPU; staged or direct MPI hand-over as mpi_mode says (auto: direct).
template <class Real>
std::unique_ptr<NequipNetwork<Real>> make_reference_device_network(const NequipModel& model,
                                                                   GpuAwareMpi mpi_mode);

}  // namespace e3md
