// Where the rows of a per-atom field live when they are not in host memory (a GPU's), for the halo's
// exchanges of such fields (HaloExchange::forward/reverse with a FieldSpace). The halo packs and adds back
// rows with the space's own kernels and hands MPI either the space's buffers themselves, when the MPI
// library can read them (a CUDA-aware MPI: "direct"), or host copies of them ("staged": copy out, send,
// receive, copy in). Both give the same numbers; staging costs two copies per message.
//
// Backends: HostFieldSpace (host memory behind the same interface: the reference that the halo tests run
// in both modes, like OpenMM's reference platform) and CudaFieldSpace (engine/cuda_field_space.hpp, built
// with E3MD_CUDA).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace e3md {

// How MPI is handed the buffers of a device field: auto (direct when the MPI library reports that it reads
// device memory), direct (always: an MPI known to be GPU-aware that does not report it, e.g. by an
// environment variable of a vendor MPI) or staged (always through host copies).
enum class GpuAwareMpi { kAuto, kDirect, kStaged };

// "auto" / "true" / "false"; throws std::invalid_argument naming the value and the choices otherwise.
GpuAwareMpi parse_gpu_aware_mpi(const std::string& text);

// Whether the MPI library in use reads CUDA device memory (Open MPI's MPIX_Query_cuda_support when the MPI
// has that extension; false when it cannot tell).
bool mpi_reads_cuda_memory();

class FieldSpace {
 public:
  FieldSpace() = default;
  virtual ~FieldSpace() = default;
  FieldSpace(const FieldSpace&) = delete;
  FieldSpace& operator=(const FieldSpace&) = delete;

  virtual std::string name() const = 0;
  // True: MPI is handed this space's buffers; false: host staging copies.
  bool mpi_direct() const { return mpi_direct_; }
  void set_mpi_direct(bool direct) { mpi_direct_ = direct; }
  // Bytes copied between the host and this space for messages (staging) since the last reset.
  std::uint64_t staged_bytes() const { return staged_bytes_; }
  void reset_staged_bytes() { staged_bytes_ = 0; }

  // Primitives (pointers into the space unless named host). Copies and kernels may run asynchronously in
  // the space's order; to_host returns once the host copy is complete, synchronize() once all is done.
  virtual void* allocate(std::size_t bytes) = 0;
  virtual void release(void* p) noexcept = 0;
  // Host memory for staging (a GPU backend gives page-locked memory, which copies at full bus speed).
  virtual void* allocate_host(std::size_t bytes);
  virtual void release_host(void* p) noexcept;
  virtual void to_space(void* dst, const void* host, std::size_t bytes) = 0;
  virtual void to_host(void* host, const void* src, std::size_t bytes) = 0;
  virtual void copy(void* dst, const void* src, std::size_t bytes) = 0;
  virtual void synchronize() = 0;
  // dst[q] = src[index[q]] and data/ghost[index[q]] += in[q], rows of `width` (kernels/rows.hpp).
  virtual void gather_rows(long n, int width, const int* index, const double* src, double* dst) = 0;
  virtual void gather_rows(long n, int width, const int* index, const float* src, float* dst) = 0;
  virtual void add_back_rows(long n, int width, const int* index, const double* in, long nlocal, double* data,
                             double* ghost) = 0;
  virtual void add_back_rows(long n, int width, const int* index, const float* in, long nlocal, float* data,
                             float* ghost) = 0;

  // What the halo keeps in the space (grow-only; nothing is allocated once sizes are reached). Slot k of
  // each kind is the halo's k-th swap; index lists are uploaded again when `generation` (a new borders())
  // differs from the one they were uploaded for.
  void* buffer(std::size_t slot, std::size_t bytes);
  const int* index(std::size_t slot, std::uint64_t generation, const std::vector<int>& host);
  void* ghost_sums(std::size_t bytes);
  char* host_buffer(std::size_t slot, std::size_t bytes);  // staging, two per swap (send, receive)
  void count_staged(std::size_t bytes) { staged_bytes_ += bytes; }

 protected:
  // Frees what the halo kept; a backend's destructor calls it while its release() still works.
  void release_all() noexcept;

 private:
  struct Block {
    void* p = nullptr;
    std::size_t bytes = 0;
    std::uint64_t generation = 0;
  };
  // Reallocates b (in the space, or host memory for staging) when it holds fewer than `bytes`.
  void* grow(Block& b, std::size_t bytes, bool host = false);

  bool mpi_direct_ = false;
  std::uint64_t staged_bytes_ = 0;
  std::vector<Block> buffers_, indices_, host_;
  Block ghost_;
};

// Host memory behind the FieldSpace interface, in either MPI mode; counts its kernel calls so that tests can
// see which path ran.
class HostFieldSpace : public FieldSpace {
 public:
  explicit HostFieldSpace(bool mpi_direct) { set_mpi_direct(mpi_direct); }
  ~HostFieldSpace() override { release_all(); }
  std::string name() const override { return mpi_direct() ? "host (direct)" : "host (staged)"; }
  void* allocate(std::size_t bytes) override;
  void release(void* p) noexcept override;
  void to_space(void* dst, const void* host, std::size_t bytes) override;
  void to_host(void* host, const void* src, std::size_t bytes) override;
  void copy(void* dst, const void* src, std::size_t bytes) override;
  void synchronize() override {}
  void gather_rows(long n, int width, const int* index, const double* src, double* dst) override;
  void gather_rows(long n, int width, const int* index, const float* src, float* dst) override;
  void add_back_rows(long n, int width, const int* index, const double* in, long nlocal, double* data,
                     double* ghost) override;
  void add_back_rows(long n, int width, const int* index, const float* in, long nlocal, float* data,
                     float* ghost) override;
  long kernel_calls() const { return kernel_calls_; }

 private:
  long kernel_calls_ = 0;
};

}  // namespace e3md
