// The device network (engine/nequip_network_device.hpp) on the CUDA launchers (built with E3MD_CUDA): device
// memory, cudaMemcpy on the default stream (ordered after the kernels), layer halos through a CudaFieldSpace.
// Messages are summed with atomics, so sums differ from the CPU's in the order of additions only (float64:
// ~1e-15 relative).
#include <mpi.h>

#include <stdexcept>
#include <string>

#include "engine/field_space_cuda.hpp"
#include "engine/nequip_network_device.hpp"
#include "kernels/cuda_launchers.hpp"

namespace e3md {

namespace {

namespace cu = kernels::cuda;

struct CudaOps {
  template <class T>
  using Array = cu::DeviceArray<T>;
  using Store = cu::DeviceStore;
  template <class Real>
  using ConvWorkspace = cu::ConvDeviceWorkspace<Real>;

  template <class View>
  static View upload(const View& host, Store& store) {
    return cu::upload(host, store);
  }
  static void to_device(void* dst, const void* host, std::size_t bytes) {
    cu::copy_to_device(dst, host, bytes);
  }
  static void to_host(void* host, const void* src, std::size_t bytes) { cu::copy_to_host(host, src, bytes); }
  static void copy(void* dst, const void* src, std::size_t bytes) { cu::copy_on_device(dst, src, bytes); }
  static void zero(void* p, std::size_t bytes) { cu::device_memset_zero(p, bytes); }

  template <class Real>
  static void linear_forward(const kernels::LinearView<Real>& L, long n, const Real* x, const int* t,
                             Real* y) {
    cu::linear_forward_cuda(L, n, x, t, y);
  }
  template <class Real>
  static void linear_backward(const kernels::LinearView<Real>& L, long n, const Real* gy, const int* t,
                              Real* gx) {
    cu::linear_backward_cuda(L, n, gy, t, gx);
  }
  template <class Real>
  static void gate_forward(const kernels::GateView<Real>& G, long n, const Real* x, Real* y) {
    cu::gate_forward_cuda(G, n, x, y);
  }
  template <class Real>
  static void gate_backward(const kernels::GateView<Real>& G, long n, const Real* x, const Real* gy,
                            Real* gx) {
    cu::gate_backward_cuda(G, n, x, gy, gx);
  }
  template <class Real>
  static void conv_forward(const kernels::ConvView<Real>& C, const kernels::EdgeList<Real>& E, long nc,
                           const Real* x, Real* A, ConvWorkspace<Real>& ws) {
    cu::conv_forward_cuda(C, E, nc, x, A, ws);
  }
  template <class Real>
  static void conv_backward(const kernels::ConvView<Real>& C, const kernels::EdgeList<Real>& E, const Real* x,
                            const Real* gA, Real* gx, Real* gr, ConvWorkspace<Real>& ws) {
    cu::conv_backward_cuda(C, E, x, gA, gx, gr, ws);
  }
  template <class Real>
  static void add(long n, const Real* x, Real* y) {
    cu::add_cuda(n, x, y);
  }

  // The device of this rank: node-local rank modulo the visible devices (one rank per GPU is the usual
  // layout); made current for this process.
  static std::string select_device() {
    const int count = cu::device_count();
    if (count == 0) {
      throw std::runtime_error(
          "device: cuda: no CUDA device is visible to this process (check nvidia-smi and "
          "CUDA_VISIBLE_DEVICES); use device: cpu to run on the CPU");
    }
    MPI_Comm local = MPI_COMM_NULL;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &local);
    int local_rank = 0;
    MPI_Comm_rank(local, &local_rank);
    MPI_Comm_free(&local);
    const int device = local_rank % count;
    cu::set_device(device);
    return "cuda:" + std::to_string(device) + " (" + cu::device_name(device) + ")";
  }
  static std::unique_ptr<FieldSpace> make_space(GpuAwareMpi mode) {
    return std::make_unique<CudaFieldSpace>(mode);
  }
};

}  // namespace

template <class Real>
std::unique_ptr<NequipNetwork<Real>> make_cuda_network(const NequipModel& model, GpuAwareMpi mode) {
  return std::make_unique<device_network::DeviceNetwork<Real, CudaOps>>(model, mode);
}
template std::unique_ptr<NequipNetwork<double>> make_cuda_network(const NequipModel&, GpuAwareMpi);
template std::unique_ptr<NequipNetwork<float>> make_cuda_network(const NequipModel&, GpuAwareMpi);

}  // namespace e3md
