// The device network (engine/nequip_network_device.hpp) run serially on the host: std::vector for device
// arrays, the reference launchers (kernels/reference_launchers.hpp: one loop iteration per GPU thread over
// the same bodies), layer halos through a HostFieldSpace. Tests run it against the CPU network on any number
// of ranks in both MPI modes, which checks the device path's orchestration (buffers, halo calls, the order of
// the backward pass) on machines without a GPU.
#include <cstring>

#include "engine/nequip_network_device.hpp"
#include "kernels/reference_launchers.hpp"

namespace e3md {

namespace {

namespace ref = kernels::ref;

struct ReferenceOps : ref::Launchers {
  template <class T>
  using Array = std::vector<T>;
  struct Store {};

  // Host plans are used in place (they live as long as the network); the convolution drops the CPU
  // launchers' channel-last layout as the CUDA upload does.
  template <class View>
  static View upload(const View& host, Store&) {
    return host;
  }
  template <class Real>
  static kernels::ConvView<Real> upload(const kernels::ConvView<Real>& host, Store&) {
    kernels::ConvView<Real> d = host;
    d.in_blocks = d.out_blocks = nullptr;
    d.num_in_blocks = d.num_out_blocks = 0;
    return d;
  }
  static void to_device(void* dst, const void* host, std::size_t bytes) { std::memcpy(dst, host, bytes); }
  static void to_host(void* host, const void* src, std::size_t bytes) { std::memcpy(host, src, bytes); }
  static void copy(void* dst, const void* src, std::size_t bytes) { std::memmove(dst, src, bytes); }
  static void zero(void* p, std::size_t bytes) { std::memset(p, 0, bytes); }

  static std::string select_device() { return "host reference of the device network"; }
  // MPI reads host memory: auto hands it the buffers.
  static std::unique_ptr<FieldSpace> make_space(GpuAwareMpi mode) {
    return std::make_unique<HostFieldSpace>(mode != GpuAwareMpi::kStaged);
  }
};

}  // namespace

template <class Real>
std::unique_ptr<NequipNetwork<Real>> make_reference_device_network(const NequipModel& model,
                                                                   GpuAwareMpi mode) {
  return std::make_unique<device_network::DeviceNetwork<Real, ReferenceOps>>(model, mode);
}
template std::unique_ptr<NequipNetwork<double>> make_reference_device_network(const NequipModel&,
                                                                              GpuAwareMpi);
template std::unique_ptr<NequipNetwork<float>> make_reference_device_network(const NequipModel&, GpuAwareMpi);

}  // namespace e3md
