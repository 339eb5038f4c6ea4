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

struct ReferenceOps {
  template <class T>
  using Array = std::vector<T>;
  struct Store {};
  template <class Real>
  using ConvWorkspace = ref::ConvRefWorkspace<Real>;

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

  template <class Real>
  static void linear_forward(const kernels::LinearView<Real>& L, long n, const Real* x, const int* t,
                             Real* y) {
    ref::linear_forward(L, n, x, t, y);
  }
  template <class Real>
  static void linear_backward(const kernels::LinearView<Real>& L, long n, const Real* gy, const int* t,
                              Real* gx) {
    ref::linear_backward(L, n, gy, t, gx);
  }
  template <class Real>
  static void gate_forward(const kernels::GateView<Real>& G, long n, const Real* x, Real* y) {
    ref::gate_forward(G, n, x, y);
  }
  template <class Real>
  static void gate_backward(const kernels::GateView<Real>& G, long n, const Real* x, const Real* gy,
                            Real* gx) {
    ref::gate_backward(G, n, x, gy, gx);
  }
  template <class Real>
  static void conv_forward(const kernels::ConvView<Real>& C, const kernels::EdgeList<Real>& E, long nc,
                           const Real* x, Real* A, ConvWorkspace<Real>& ws) {
    ref::conv_forward(C, E, nc, x, A, ws);
  }
  template <class Real>
  static void conv_backward(const kernels::ConvView<Real>& C, const kernels::EdgeList<Real>& E, const Real* x,
                            const Real* gA, Real* gx, Real* gr, ConvWorkspace<Real>& ws) {
    ref::conv_backward(C, E, x, gA, gx, gr, ws);
  }
  template <class Real>
  static void add(long n, const Real* x, Real* y) {
    ref::add(n, x, y);
  }

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
