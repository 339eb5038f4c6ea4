#include "engine/field_space.hpp"

#include <mpi.h>

#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>

#if defined(__has_include)
#if __has_include(<mpi-ext.h>)
#include <mpi-ext.h>
#endif
#endif

#include "kernels/rows.hpp"

namespace e3md {

GpuAwareMpi parse_gpu_aware_mpi(const std::string& text) {
  if (text == "auto") return GpuAwareMpi::kAuto;
  if (text == "true") return GpuAwareMpi::kDirect;
  if (text == "false") return GpuAwareMpi::kStaged;
  throw std::invalid_argument("gpu_aware_mpi '" + text +
                              "' is not known; use auto (ask the MPI library), true (hand MPI device "
                              "buffers) or false (stage messages through host memory)");
}

bool mpi_reads_cuda_memory() {
#if defined(MPIX_CUDA_AWARE_SUPPORT)
  // The header's macro describes the build the headers came from; the library loaded at run time answers
  // for itself.
  return MPIX_Query_cuda_support() == 1;
#else
  return false;
#endif
}

void* FieldSpace::grow(Block& b, std::size_t bytes, bool host) {
  if (b.bytes < bytes) {
    host ? release_host(b.p) : release(b.p);
    b = Block{};
    b.p = host ? allocate_host(bytes) : allocate(bytes);
    b.bytes = bytes;
  }
  return b.p;
}

void* FieldSpace::buffer(std::size_t slot, std::size_t bytes) {
  if (buffers_.size() <= slot) buffers_.resize(slot + 1);
  return grow(buffers_[slot], bytes);
}

const int* FieldSpace::index(std::size_t slot, std::uint64_t generation, const std::vector<int>& host) {
  if (indices_.size() <= slot) indices_.resize(slot + 1);
  Block& b = indices_[slot];
  const std::size_t bytes = host.size() * sizeof(int);
  if (b.generation != generation || b.bytes < bytes) {
    void* p = grow(b, bytes);
    if (bytes) to_space(p, host.data(), bytes);
    b.generation = generation;
  }
  return static_cast<const int*>(b.p);
}

void* FieldSpace::ghost_sums(std::size_t bytes) { return grow(ghost_, bytes); }

char* FieldSpace::host_buffer(std::size_t slot, std::size_t bytes) {
  if (host_.size() <= slot) host_.resize(slot + 1);
  return static_cast<char*>(grow(host_[slot], bytes, true));
}

void* FieldSpace::allocate_host(std::size_t bytes) {
  void* p = std::malloc(bytes ? bytes : 1);
  if (!p) throw std::bad_alloc();
  return p;
}

void FieldSpace::release_host(void* p) noexcept { std::free(p); }

void FieldSpace::release_all() noexcept {
  for (auto* list : {&buffers_, &indices_}) {
    for (Block& b : *list) release(b.p);
    list->clear();
  }
  release(ghost_.p);
  ghost_ = Block{};
  for (Block& b : host_) release_host(b.p);
  host_.clear();
}

void* HostFieldSpace::allocate(std::size_t bytes) { return allocate_host(bytes); }

void HostFieldSpace::release(void* p) noexcept { release_host(p); }

void HostFieldSpace::to_space(void* dst, const void* host, std::size_t bytes) {
  if (bytes) std::memcpy(dst, host, bytes);
}

void HostFieldSpace::to_host(void* host, const void* src, std::size_t bytes) {
  if (bytes) std::memcpy(host, src, bytes);
}

void HostFieldSpace::copy(void* dst, const void* src, std::size_t bytes) {
  if (bytes) std::memmove(dst, src, bytes);
}

void HostFieldSpace::gather_rows(long n, int width, const int* index, const double* src, double* dst) {
  ++kernel_calls_;
  kernels::gather_rows_cpu(n, width, index, src, dst);
}

void HostFieldSpace::gather_rows(long n, int width, const int* index, const float* src, float* dst) {
  ++kernel_calls_;
  kernels::gather_rows_cpu(n, width, index, src, dst);
}

void HostFieldSpace::add_back_rows(long n, int width, const int* index, const double* in, long nlocal,
                                   double* data, double* ghost) {
  ++kernel_calls_;
  kernels::add_back_rows_cpu(n, width, index, in, nlocal, data, ghost);
}

void HostFieldSpace::add_back_rows(long n, int width, const int* index, const float* in, long nlocal,
                                   float* data, float* ghost) {
  ++kernel_calls_;
  kernels::add_back_rows_cpu(n, width, index, in, nlocal, data, ghost);
}

}  // namespace e3md
