#include "engine/field_space_cuda.hpp"

#include "kernels/cuda_launchers.hpp"

namespace e3md {

namespace cu = kernels::cuda;

CudaFieldSpace::CudaFieldSpace(GpuAwareMpi mode) {
  set_mpi_direct(mode == GpuAwareMpi::kDirect || (mode == GpuAwareMpi::kAuto && mpi_reads_cuda_memory()));
}

void* CudaFieldSpace::allocate(std::size_t bytes) { return cu::device_alloc(bytes ? bytes : 1); }
void CudaFieldSpace::release(void* p) noexcept { cu::device_free(p); }
void* CudaFieldSpace::allocate_host(std::size_t bytes) { return cu::host_alloc_pinned(bytes ? bytes : 1); }
void CudaFieldSpace::release_host(void* p) noexcept { cu::host_free_pinned(p); }
void CudaFieldSpace::to_space(void* dst, const void* host, std::size_t bytes) {
  if (bytes) cu::copy_to_device(dst, host, bytes);
}
void CudaFieldSpace::to_host(void* host, const void* src, std::size_t bytes) {
  if (bytes) cu::copy_to_host(host, src, bytes);
}
void CudaFieldSpace::copy(void* dst, const void* src, std::size_t bytes) {
  cu::copy_on_device(dst, src, bytes);
}
void CudaFieldSpace::synchronize() { cu::synchronize(); }

void CudaFieldSpace::gather_rows(long n, int width, const int* index, const double* src, double* dst) {
  cu::gather_rows_cuda(n, width, index, src, dst);
}
void CudaFieldSpace::gather_rows(long n, int width, const int* index, const float* src, float* dst) {
  cu::gather_rows_cuda(n, width, index, src, dst);
}
void CudaFieldSpace::add_back_rows(long n, int width, const int* index, const double* in, long nlocal,
                                   double* data, double* ghost) {
  cu::add_back_rows_cuda(n, width, index, in, nlocal, data, ghost);
}
void CudaFieldSpace::add_back_rows(long n, int width, const int* index, const float* in, long nlocal,
                                   float* data, float* ghost) {
  cu::add_back_rows_cuda(n, width, index, in, nlocal, data, ghost);
}

}  // namespace e3md
