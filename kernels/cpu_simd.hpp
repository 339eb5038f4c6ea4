// Register-blocking choices of the CPU launchers for the instruction set this library is compiled for
// (kernels/CMakeLists.txt, E3MD_KERNELS_ARCH). Include from kernels/*.cpp only: the constants have internal
// linkage and select distinct template instantiations, so code compiled with other flags never shares them.
#pragma once

namespace e3md::kernels {
namespace {

#if defined(__AVX512F__)
constexpr int kCpuGemmPanelBytes = 128;  // 4 x 2 zmm accumulators of 32 registers
#else
constexpr int kCpuGemmPanelBytes = 64;  // 4 x 2 ymm (or 4 x 4 xmm) accumulators
#endif

}  // namespace
}  // namespace e3md::kernels
