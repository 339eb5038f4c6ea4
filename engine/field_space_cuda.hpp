// A FieldSpace in the memory of the current CUDA device (built with E3MD_CUDA): packing and add-back by the
// CUDA launchers of kernels/rows.hpp, copies with cudaMemcpy on the default stream (ordered after the
// kernels that wrote the data).
#pragma once

#include "engine/field_space.hpp"

namespace e3md {

class CudaFieldSpace : public FieldSpace {
 public:
  // mode: kAuto hands MPI device buffers when mpi_reads_cuda_memory(), kDirect always, kStaged never.
  explicit CudaFieldSpace(GpuAwareMpi mode);
  ~CudaFieldSpace() override { release_all(); }
  std::string name() const override { return mpi_direct() ? "cuda (MPI direct)" : "cuda (MPI staged)"; }
  void* allocate(std::size_t bytes) override;
  void release(void* p) noexcept override;
  void* allocate_host(std::size_t bytes) override;  // page-locked (cudaMallocHost)
  void release_host(void* p) noexcept override;
  void to_space(void* dst, const void* host, std::size_t bytes) override;
  void to_host(void* host, const void* src, std::size_t bytes) override;
  void copy(void* dst, const void* src, std::size_t bytes) override;
  void synchronize() override;
  void gather_rows(long n, int width, const int* index, const double* src, double* dst) override;
  void gather_rows(long n, int width, const int* index, const float* src, float* dst) override;
  void add_back_rows(long n, int width, const int* index, const double* in, long nlocal, double* data,
                     double* ghost) override;
  void add_back_rows(long n, int width, const int* index, const float* in, long nlocal, float* data,
                     float* ghost) override;
};

}  // namespace e3md
