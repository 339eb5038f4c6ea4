// CUDA glue: memory, uploads and launch configuration around the E3MD_HD bodies of kernels/*.hpp. No
// arithmetic lives here except the atomic accumulation of per-thread results.
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "kernels/cuda_launchers.hpp"
#include "kernels/rows.hpp"
#include "kernels/spherical_harmonics.hpp"

namespace e3md::kernels::cuda {
namespace {

void check(cudaError_t err, const char* what) {
  if (err != cudaSuccess) {
    throw std::runtime_error(std::string("CUDA ") + what + " failed: " + cudaGetErrorString(err));
  }
}

constexpr int kBlock = 128;
// Upper bound on resident threads of the fused convolution (bounds its scratch memory).
constexpr long kMaxConvThreads = 32768;

int blocks_for(long n) { return static_cast<int>((n + kBlock - 1) / kBlock); }

__device__ inline void atomic_add(double* p, double v) { atomicAdd(p, v); }
__device__ inline void atomic_add(float* p, float v) { atomicAdd(p, v); }

template <class Real>
__global__ void sh_kernel(int lmax, long n, const Real* r, Real* Y, Real* dY) {
  const long e = blockIdx.x * static_cast<long>(blockDim.x) + threadIdx.x;
  if (e >= n) return;
  const int dim = sh_dim(lmax);
  spherical_harmonics<Real>(lmax, r + 3 * e, Y + e * dim, dY ? dY + e * 3 * dim : nullptr);
}

template <class Real>
__global__ void tp_forward_kernel(TpView<Real> T, long n, const Real* x, const Real* y, const Real* w,
                                  Real* out) {
  const long e = blockIdx.x * static_cast<long>(blockDim.x) + threadIdx.x;
  if (e >= n) return;
  Real* o = out + e * T.dim_out;
  for (int q = 0; q < T.dim_out; ++q) o[q] = Real(0);
  tp_uvu_forward(T, x + e * T.dim_in1, y + e * T.dim_in2, w + e * T.weight_numel, Real(1), o);
}

template <class Real>
__global__ void tp_backward_kernel(TpView<Real> T, long n, const Real* x, const Real* y, const Real* w,
                                   const Real* gout, Real* gx, Real* gy, Real* gw) {
  const long e = blockIdx.x * static_cast<long>(blockDim.x) + threadIdx.x;
  if (e >= n) return;
  Real* gxe = gx ? gx + e * T.dim_in1 : nullptr;
  Real* gye = gy ? gy + e * T.dim_in2 : nullptr;
  Real* gwe = gw ? gw + e * T.weight_numel : nullptr;
  if (gxe)
    for (int q = 0; q < T.dim_in1; ++q) gxe[q] = Real(0);
  if (gye)
    for (int q = 0; q < T.dim_in2; ++q) gye[q] = Real(0);
  if (gwe)
    for (int q = 0; q < T.weight_numel; ++q) gwe[q] = Real(0);
  tp_uvu_backward(T, x + e * T.dim_in1, y + e * T.dim_in2, w + e * T.weight_numel, Real(1),
                  gout + e * T.dim_out, gxe, gye, gwe);
}

template <class Real>
__global__ void mlp_forward_kernel(MlpView<Real> M, long n, const Real* in, Real* out, Real* scratch) {
  const long e = blockIdx.x * static_cast<long>(blockDim.x) + threadIdx.x;
  if (e >= n) return;
  mlp_forward(M, in + e * M.in_dim(), out + e * M.out_dim(), scratch + e * M.saved_size());
}

template <class Real>
__global__ void linear_forward_kernel(LinearView<Real> L, long n, const Real* x, const int* types, Real* y) {
  const long i = blockIdx.x * static_cast<long>(blockDim.x) + threadIdx.x;
  if (i >= n) return;
  linear_forward(L, x + i * L.dim_in, types ? types[i] : 0, y + i * L.dim_out);
}

template <class Real>
__global__ void linear_backward_kernel(LinearView<Real> L, long n, const Real* gy, const int* types,
                                       Real* gx) {
  const long i = blockIdx.x * static_cast<long>(blockDim.x) + threadIdx.x;
  if (i >= n) return;
  linear_backward(L, gy + i * L.dim_out, types ? types[i] : 0, gx + i * L.dim_in);
}

template <class Real>
__global__ void gate_forward_kernel(GateView<Real> G, long n, const Real* x, Real* y) {
  const long i = blockIdx.x * static_cast<long>(blockDim.x) + threadIdx.x;
  if (i >= n) return;
  gate_forward(G, x + i * G.dim_in, y + i * G.dim_out);
}

template <class Real>
__global__ void gate_backward_kernel(GateView<Real> G, long n, const Real* x, const Real* gy, Real* gx) {
  const long i = blockIdx.x * static_cast<long>(blockDim.x) + threadIdx.x;
  if (i >= n) return;
  gate_backward(G, x + i * G.dim_in, gy + i * G.dim_out, gx + i * G.dim_in);
}

template <class Real>
__global__ void scatter_kernel(long num_edges, int dim, const int* index, const Real* msg, Real scale,
                               Real* out) {
  const long t = blockIdx.x * static_cast<long>(blockDim.x) + threadIdx.x;
  if (t >= num_edges * dim) return;
  const long e = t / dim;
  atomic_add(out + static_cast<long>(index[e]) * dim + (t - e * dim), scale * msg[t]);
}

template <class Real>
__global__ void gather_kernel(long total, int width, const int* index, const Real* src, Real* dst) {
  const long t = blockIdx.x * static_cast<long>(blockDim.x) + threadIdx.x;
  if (t >= total) return;
  const long q = t / width;
  gather_element(q, static_cast<int>(t - q * width), width, index, src, dst);
}

template <class Real>
__global__ void add_back_kernel(long total, int width, const int* index, const Real* in, long nlocal,
                                Real* data, Real* ghost) {
  const long t = blockIdx.x * static_cast<long>(blockDim.x) + threadIdx.x;
  if (t >= total) return;
  const long q = t / width;
  add_back_element(q, static_cast<int>(t - q * width), width, index, in, nlocal, data, ghost);
}

template <class Real>
__global__ void add_kernel(long n, const Real* x, Real* y) {
  const long t = blockIdx.x * static_cast<long>(blockDim.x) + threadIdx.x;
  if (t < n) y[t] += x[t];
}

// Fused convolution, grid-stride over edges; each thread owns `stride` Reals of scratch: the body's scratch
// followed by a message (forward) or dE/dx_j (backward) buffer that is then added atomically.
template <class Real>
__global__ void conv_forward_kernel(ConvView<Real> C, EdgeList<Real> edges, const Real* x, Real* A,
                                    Real* scratch, int stride) {
  const long tid = blockIdx.x * static_cast<long>(blockDim.x) + threadIdx.x;
  Real* s = scratch + tid * stride;
  Real* msg = s + C.scratch_size();
  for (long e = tid; e < edges.num_edges; e += static_cast<long>(gridDim.x) * blockDim.x) {
    for (int q = 0; q < C.tp.dim_out; ++q) msg[q] = Real(0);
    conv_edge_forward(C, edges.vec + 3 * e, x + static_cast<long>(edges.neighbor[e]) * C.tp.dim_in1, s, msg);
    Real* Ai = A + static_cast<long>(edges.center[e]) * C.tp.dim_out;
    for (int q = 0; q < C.tp.dim_out; ++q) atomic_add(Ai + q, msg[q]);
  }
}

template <class Real>
__global__ void conv_backward_kernel(ConvView<Real> C, EdgeList<Real> edges, const Real* x, const Real* gA,
                                     Real* gx, Real* gr, Real* scratch, int stride) {
  const long tid = blockIdx.x * static_cast<long>(blockDim.x) + threadIdx.x;
  Real* s = scratch + tid * stride;
  Real* gxj = s + C.scratch_size();
  for (long e = tid; e < edges.num_edges; e += static_cast<long>(gridDim.x) * blockDim.x) {
    const long j = edges.neighbor[e];
    for (int q = 0; q < C.tp.dim_in1; ++q) gxj[q] = Real(0);
    conv_edge_backward(C, edges.vec + 3 * e, x + j * C.tp.dim_in1,
                       gA + static_cast<long>(edges.center[e]) * C.tp.dim_out, s, gxj, gr + 3 * e);
    for (int q = 0; q < C.tp.dim_in1; ++q) atomic_add(gx + j * C.tp.dim_in1 + q, gxj[q]);
  }
}

template <class Real>
int conv_grid(const ConvView<Real>& C, long num_edges, ConvDeviceWorkspace<Real>& ws, int extra,
              int* stride) {
  const long threads = std::min(kMaxConvThreads, ((num_edges + kBlock - 1) / kBlock) * kBlock);
  *stride = C.scratch_size() + extra;
  const std::size_t need = static_cast<std::size_t>(threads) * static_cast<std::size_t>(*stride);
  if (ws.scratch.size() < need) ws.scratch = DeviceArray<Real>(need);
  return static_cast<int>(threads / kBlock);
}

}  // namespace

int device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no device" error
    return 0;
  }
  return n;
}
void* device_alloc(std::size_t bytes) {
  void* p = nullptr;
  check(cudaMalloc(&p, bytes), "cudaMalloc");
  return p;
}
void device_free(void* p) noexcept {
  if (p) cudaFree(p);
}
void* host_alloc_pinned(std::size_t bytes) {
  void* p = nullptr;
  check(cudaMallocHost(&p, bytes), "cudaMallocHost");
  return p;
}
void host_free_pinned(void* p) noexcept {
  if (p) cudaFreeHost(p);
}
void copy_to_device(void* dst, const void* src, std::size_t bytes) {
  check(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice), "cudaMemcpy to device");
}
void copy_to_host(void* dst, const void* src, std::size_t bytes) {
  check(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost), "cudaMemcpy to host");
}
void copy_on_device(void* dst, const void* src, std::size_t bytes) {
  if (bytes) check(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToDevice), "cudaMemcpy on device");
}
void device_memset_zero(void* p, std::size_t bytes) { check(cudaMemset(p, 0, bytes), "cudaMemset"); }
void synchronize() { check(cudaDeviceSynchronize(), "kernel execution"); }
void set_device(int device) { check(cudaSetDevice(device), "cudaSetDevice"); }
std::string device_name(int device) {
  cudaDeviceProp prop{};
  check(cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties");
  return prop.name;
}

template <class Real>
TpView<Real> upload(const TpView<Real>& h, DeviceStore& store) {
  TpView<Real> d = h;
  d.paths = store.put(h.paths, static_cast<std::size_t>(h.num_paths));
  const int ncoef = h.num_paths ? h.paths[h.num_paths - 1].coef_end : 0;
  d.coefs = store.put(h.coefs, static_cast<std::size_t>(ncoef));
  return d;
}

template <class Real>
MlpView<Real> upload(const MlpView<Real>& h, DeviceStore& store) {
  MlpView<Real> d = h;
  std::size_t n = 0;
  for (int j = 0; j < h.num_layers; ++j)
    n += static_cast<std::size_t>(h.dims[j]) * static_cast<std::size_t>(h.dims[j + 1]);
  d.weights = store.put(h.weights, n);
  d.weights_t = store.put(h.weights_t, n);
  return d;
}

template <class Real>
LinearView<Real> upload(const LinearView<Real>& h, DeviceStore& store) {
  LinearView<Real> d = h;
  std::size_t n = 0;
  for (int p = 0; p < h.num_paths; ++p) {
    const auto& P = h.paths[p];
    n = std::max(n, static_cast<std::size_t>(P.w_off + P.mul_in * h.num_types * P.mul_out));
  }
  d.paths = store.put(h.paths, static_cast<std::size_t>(h.num_paths));
  d.weights = store.put(h.weights, n);
  d.weights_t = store.put(h.weights_t, n);
  return d;
}

template <class Real>
GateView<Real> upload(const GateView<Real>& h, DeviceStore& store) {
  GateView<Real> d = h;
  d.scalars = store.put(h.scalars, static_cast<std::size_t>(h.num_scalars));
  d.gated = store.put(h.gated, static_cast<std::size_t>(h.num_gated));
  return d;
}

template <class Real>
ConvView<Real> upload(const ConvView<Real>& h, DeviceStore& store) {
  ConvView<Real> d = h;
  d.radial.freq = store.put(h.radial.freq, static_cast<std::size_t>(h.radial.num_basis));
  d.mlp = upload(h.mlp, store);
  d.tp = upload(h.tp, store);
  d.in_blocks = d.out_blocks = nullptr;  // the channel-last layout is the CPU launchers' own
  d.num_in_blocks = d.num_out_blocks = 0;
  return d;
}

template <class Real>
void spherical_harmonics_cuda(int lmax, long n, const Real* r, Real* Y, Real* dY) {
  if (lmax < 0 || lmax > kShLmaxMax)
    throw std::invalid_argument("spherical_harmonics_cuda: lmax out of range");
  if (n > 0) sh_kernel<<<blocks_for(n), kBlock>>>(lmax, n, r, Y, dY);
  check(cudaGetLastError(), "spherical harmonics launch");
}

template <class Real>
void tp_uvu_forward_cuda(const TpView<Real>& T, long n, const Real* x, const Real* y, const Real* w,
                         Real* out) {
  if (n > 0) tp_forward_kernel<<<blocks_for(n), kBlock>>>(T, n, x, y, w, out);
  check(cudaGetLastError(), "tensor product launch");
}

template <class Real>
void tp_uvu_backward_cuda(const TpView<Real>& T, long n, const Real* x, const Real* y, const Real* w,
                          const Real* gout, Real* gx, Real* gy, Real* gw) {
  if (n > 0) tp_backward_kernel<<<blocks_for(n), kBlock>>>(T, n, x, y, w, gout, gx, gy, gw);
  check(cudaGetLastError(), "tensor product backward launch");
}

template <class Real>
void mlp_forward_cuda(const MlpView<Real>& M, long n, const Real* in, Real* out, Real* scratch) {
  if (n > 0) mlp_forward_kernel<<<blocks_for(n), kBlock>>>(M, n, in, out, scratch);
  check(cudaGetLastError(), "MLP launch");
}

template <class Real>
void linear_forward_cuda(const LinearView<Real>& L, long n, const Real* x, const int* types, Real* y) {
  if (n > 0) linear_forward_kernel<<<blocks_for(n), kBlock>>>(L, n, x, types, y);
  check(cudaGetLastError(), "linear launch");
}

template <class Real>
void linear_backward_cuda(const LinearView<Real>& L, long n, const Real* gy, const int* types, Real* gx) {
  if (n > 0) linear_backward_kernel<<<blocks_for(n), kBlock>>>(L, n, gy, types, gx);
  check(cudaGetLastError(), "linear backward launch");
}

template <class Real>
void gate_forward_cuda(const GateView<Real>& G, long n, const Real* x, Real* y) {
  if (n > 0) gate_forward_kernel<<<blocks_for(n), kBlock>>>(G, n, x, y);
  check(cudaGetLastError(), "gate launch");
}

template <class Real>
void gate_backward_cuda(const GateView<Real>& G, long n, const Real* x, const Real* gy, Real* gx) {
  if (n > 0) gate_backward_kernel<<<blocks_for(n), kBlock>>>(G, n, x, gy, gx);
  check(cudaGetLastError(), "gate backward launch");
}

template <class Real>
void scatter_sum_cuda(long num_atoms, long num_edges, int dim, const int* index, const Real* msg, Real scale,
                      Real* out) {
  device_memset_zero(out, static_cast<std::size_t>(num_atoms) * dim * sizeof(Real));
  if (num_edges > 0)
    scatter_kernel<<<blocks_for(num_edges * dim), kBlock>>>(num_edges, dim, index, msg, scale, out);
  check(cudaGetLastError(), "scatter launch");
}

template <class Real>
void gather_rows_cuda(long n, int width, const int* index, const Real* src, Real* dst) {
  const long total = n * width;
  if (total > 0) gather_kernel<<<blocks_for(total), kBlock>>>(total, width, index, src, dst);
  check(cudaGetLastError(), "gather launch");
}

template <class Real>
void add_back_rows_cuda(long n, int width, const int* index, const Real* in, long nlocal, Real* data,
                        Real* ghost) {
  const long total = n * width;
  if (total > 0) add_back_kernel<<<blocks_for(total), kBlock>>>(total, width, index, in, nlocal, data, ghost);
  check(cudaGetLastError(), "add-back launch");
}

template <class Real>
void add_cuda(long n, const Real* x, Real* y) {
  if (n > 0) add_kernel<<<blocks_for(n), kBlock>>>(n, x, y);
  check(cudaGetLastError(), "add launch");
}

template <class Real>
void conv_forward_cuda(const ConvView<Real>& C, const EdgeList<Real>& edges, long num_centers, const Real* x,
                       Real* A, ConvDeviceWorkspace<Real>& ws) {
  device_memset_zero(A, static_cast<std::size_t>(num_centers) * C.tp.dim_out * sizeof(Real));
  if (edges.num_edges == 0) return;
  int stride = 0;
  const int grid = conv_grid(C, edges.num_edges, ws, C.tp.dim_out, &stride);
  conv_forward_kernel<<<grid, kBlock>>>(C, edges, x, A, ws.scratch.data(), stride);
  check(cudaGetLastError(), "convolution launch");
}

template <class Real>
void conv_backward_cuda(const ConvView<Real>& C, const EdgeList<Real>& edges, const Real* x, const Real* gA,
                        Real* gx, Real* gr, ConvDeviceWorkspace<Real>& ws) {
  if (edges.num_edges == 0) return;
  int stride = 0;
  const int grid = conv_grid(C, edges.num_edges, ws, C.tp.dim_in1, &stride);
  conv_backward_kernel<<<grid, kBlock>>>(C, edges, x, gA, gx, gr, ws.scratch.data(), stride);
  check(cudaGetLastError(), "convolution backward launch");
}

#define E3MD_INSTANTIATE(Real)                                                                               \
  template TpView<Real> upload(const TpView<Real>&, DeviceStore&);                                           \
  template MlpView<Real> upload(const MlpView<Real>&, DeviceStore&);                                         \
  template LinearView<Real> upload(const LinearView<Real>&, DeviceStore&);                                   \
  template GateView<Real> upload(const GateView<Real>&, DeviceStore&);                                       \
  template ConvView<Real> upload(const ConvView<Real>&, DeviceStore&);                                       \
  template void spherical_harmonics_cuda<Real>(int, long, const Real*, Real*, Real*);                        \
  template void tp_uvu_forward_cuda<Real>(const TpView<Real>&, long, const Real*, const Real*, const Real*,  \
                                          Real*);                                                            \
  template void tp_uvu_backward_cuda<Real>(const TpView<Real>&, long, const Real*, const Real*, const Real*, \
                                           const Real*, Real*, Real*, Real*);                                \
  template void mlp_forward_cuda<Real>(const MlpView<Real>&, long, const Real*, Real*, Real*);               \
  template void linear_forward_cuda<Real>(const LinearView<Real>&, long, const Real*, const int*, Real*);    \
  template void linear_backward_cuda<Real>(const LinearView<Real>&, long, const Real*, const int*, Real*);   \
  template void gate_forward_cuda<Real>(const GateView<Real>&, long, const Real*, Real*);                    \
  template void gate_backward_cuda<Real>(const GateView<Real>&, long, const Real*, const Real*, Real*);      \
  template void scatter_sum_cuda<Real>(long, long, int, const int*, const Real*, Real, Real*);               \
  template void gather_rows_cuda<Real>(long, int, const int*, const Real*, Real*);                           \
  template void add_back_rows_cuda<Real>(long, int, const int*, const Real*, long, Real*, Real*);            \
  template void add_cuda<Real>(long, const Real*, Real*);                                                    \
  template void conv_forward_cuda<Real>(const ConvView<Real>&, const EdgeList<Real>&, long, const Real*,     \
                                        Real*, ConvDeviceWorkspace<Real>&);                                  \
  template void conv_backward_cuda<Real>(const ConvView<Real>&, const EdgeList<Real>&, const Real*,          \
                                         const Real*, Real*, Real*, ConvDeviceWorkspace<Real>&);

E3MD_INSTANTIATE(double)
E3MD_INSTANTIATE(float)

}  // namespace e3md::kernels::cuda
