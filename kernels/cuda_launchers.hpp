// CUDA launchers over the same E3MD_HD bodies as the CPU launchers. Plain C++ header (no CUDA includes), so
// host code compiled by g++ can call it; the definitions live in cuda_launchers.cu and exist only in the
// e3md_kernels_cuda library (E3MD_HAVE_CUDA). All pointers passed to launchers are device pointers; views
// come from upload(), which copies a host plan's arrays into a DeviceStore that owns them.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "kernels/convolution.hpp"
#include "kernels/gate.hpp"
#include "kernels/linear.hpp"
#include "kernels/radial_mlp.hpp"
#include "kernels/tensor_product.hpp"

namespace e3md::kernels::cuda {

// Device memory primitives; each throws std::runtime_error with the CUDA error text on failure.
int device_count();
void* device_alloc(std::size_t bytes);
void device_free(void* p) noexcept;
// Page-locked host memory (staging buffers: copies run at full bus speed).
void* host_alloc_pinned(std::size_t bytes);
void host_free_pinned(void* p) noexcept;
void copy_to_device(void* dst, const void* src, std::size_t bytes);
void copy_to_host(void* dst, const void* src, std::size_t bytes);
void copy_on_device(void* dst, const void* src, std::size_t bytes);
void device_memset_zero(void* p, std::size_t bytes);
void synchronize();
// Makes `device` (0 .. device_count()-1) current for this host thread.
void set_device(int device);
std::string device_name(int device);

// An owning device array of trivially copyable T.
template <class T>
class DeviceArray {
 public:
  DeviceArray() = default;
  explicit DeviceArray(std::size_t n)
      : n_(n), p_(n ? static_cast<T*>(device_alloc(n * sizeof(T))) : nullptr) {}
  explicit DeviceArray(const std::vector<T>& v) : DeviceArray(v.size()) { upload(v.data(), v.size()); }
  DeviceArray(const T* host, std::size_t n) : DeviceArray(n) { upload(host, n); }
  ~DeviceArray() { device_free(p_); }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  DeviceArray(DeviceArray&& o) noexcept : n_(o.n_), p_(o.p_) { o.p_ = nullptr, o.n_ = 0; }
  DeviceArray& operator=(DeviceArray&& o) noexcept {
    std::swap(n_, o.n_);
    std::swap(p_, o.p_);
    return *this;
  }
  void upload(const T* host, std::size_t n) {
    if (n) copy_to_device(p_, host, n * sizeof(T));
  }
  std::vector<T> download() const {
    std::vector<T> v(n_);
    if (n_) copy_to_host(v.data(), p_, n_ * sizeof(T));
    return v;
  }
  void zero() {
    if (n_) device_memset_zero(p_, n_ * sizeof(T));
  }
  T* data() { return p_; }
  const T* data() const { return p_; }
  std::size_t size() const { return n_; }

 private:
  std::size_t n_ = 0;
  T* p_ = nullptr;
};

// Owns the device copies behind uploaded views; keep it alive as long as the views are used.
class DeviceStore {
 public:
  template <class T>
  const T* put(const T* host, std::size_t n) {
    auto a = std::make_shared<DeviceArray<T>>(host, n);
    const T* p = a->data();
    keep_.push_back(std::move(a));
    return p;
  }

 private:
  std::vector<std::shared_ptr<void>> keep_;
};

// Device views of host plans (the host plan may be destroyed afterwards).
template <class Real>
TpView<Real> upload(const TpView<Real>& host, DeviceStore& store);
template <class Real>
MlpView<Real> upload(const MlpView<Real>& host, DeviceStore& store);
template <class Real>
LinearView<Real> upload(const LinearView<Real>& host, DeviceStore& store);
template <class Real>
GateView<Real> upload(const GateView<Real>& host, DeviceStore& store);
template <class Real>
ConvView<Real> upload(const ConvView<Real>& host, DeviceStore& store);

// Launchers (asynchronous on the default stream; outputs overwritten unless said otherwise).
template <class Real>
void spherical_harmonics_cuda(int lmax, long num_edges, const Real* r, Real* Y, Real* dY);
template <class Real>
void tp_uvu_forward_cuda(const TpView<Real>& T, long rows, const Real* x, const Real* y, const Real* w,
                         Real* out);
template <class Real>
void tp_uvu_backward_cuda(const TpView<Real>& T, long rows, const Real* x, const Real* y, const Real* w,
                          const Real* gout, Real* gx, Real* gy, Real* gw);
template <class Real>
void mlp_forward_cuda(const MlpView<Real>& M, long rows, const Real* in, Real* out, Real* scratch);
template <class Real>
void linear_forward_cuda(const LinearView<Real>& L, long n, const Real* x, const int* types, Real* y);
template <class Real>
void linear_backward_cuda(const LinearView<Real>& L, long n, const Real* gy, const int* types, Real* gx);
template <class Real>
void gate_forward_cuda(const GateView<Real>& G, long n, const Real* x, Real* y);
template <class Real>
void gate_backward_cuda(const GateView<Real>& G, long n, const Real* x, const Real* gy, Real* gx);
// out = scale * scatter-sum (atomics; summation order not deterministic).
template <class Real>
void scatter_sum_cuda(long num_atoms, long num_edges, int dim, const int* index, const Real* msg, Real scale,
                      Real* out);

// Row moves of kernels/rows.hpp: dst[q] = src[index[q]]; data/ghost[index[q]] += in[q] (indices distinct).
template <class Real>
void gather_rows_cuda(long n, int width, const int* index, const Real* src, Real* dst);
template <class Real>
void add_back_rows_cuda(long n, int width, const int* index, const Real* in, long nlocal, Real* data,
                        Real* ghost);
// y += x (n values).
template <class Real>
void add_cuda(long n, const Real* x, Real* y);

// Per-thread scratch of the fused convolution: the kernels run a fixed grid (grid-stride over edges) so the
// scratch is bounded by the grid, not by the number of edges.
template <class Real>
struct ConvDeviceWorkspace {
  DeviceArray<Real> scratch;
};

// A (num_centers x dim_out) overwritten; one thread per edge, messages added with atomics.
template <class Real>
void conv_forward_cuda(const ConvView<Real>& C, const EdgeList<Real>& edges, long num_centers, const Real* x,
                       Real* A, ConvDeviceWorkspace<Real>& ws);
// gx += dE/dx (atomics), gr += dE/dr_e.
template <class Real>
void conv_backward_cuda(const ConvView<Real>& C, const EdgeList<Real>& edges, const Real* x, const Real* gA,
                        Real* gx, Real* gr, ConvDeviceWorkspace<Real>& ws);

}  // namespace e3md::kernels::cuda
