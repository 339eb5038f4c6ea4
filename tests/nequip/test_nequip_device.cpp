// The NequIP potential on the CUDA network (device: cuda) against the CPU network on the same structures and
// rank count (built with E3MD_CUDA; every test skips without a visible GPU). Under mpirun the layer features
// and their gradients cross the halo from device memory, staged through the host and, where the MPI library
// reads device memory, handed to MPI directly. Tolerances: float64 energy 1e-10 relative, forces and virial
// 1e-9 of the largest component (the GPU sums messages with atomics: another order of the same additions);
// float32 1e-5 of the same scales against the CPU's float32.
#include <gtest/gtest.h>

#include <cstdio>

#include "engine/field_space.hpp"
#if defined(E3MD_HAVE_CUDA)
#include "kernels/cuda_launchers.hpp"
#endif
#include "tests/nequip/nequip_test_support.hpp"

using namespace e3md;
using namespace e3md::test;

namespace {

double largest(const std::vector<double>& v) {
  double m = 1.0;
  for (double x : v) m = std::max(m, std::abs(x));
  return m;
}

void compare(const Evaluation& cpu, const Evaluation& gpu, double tol, double energy_scale) {
  EXPECT_NEAR(gpu.energy, cpu.energy, tol * energy_scale);
  const double fmax = largest(cpu.forces);
  for (std::size_t q = 0; q < cpu.forces.size(); ++q)
    EXPECT_NEAR(gpu.forces[q], cpu.forces[q], tol * fmax) << "atom " << q / 3;
  double vmax = 1.0;
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) vmax = std::max(vmax, std::abs(cpu.virial(a, b)));
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) EXPECT_NEAR(gpu.virial(a, b), cpu.virial(a, b), tol * vmax);
}

// Every model (except the refused ssp one), stored and distorted structures, both precisions, each MPI mode.
void check_device(NequipDevice device, const std::vector<GpuAwareMpi>& modes, const std::string& prefix) {
  int evaluated = 0;
  for (const auto& path : model_files()) {
    const std::string name = path.filename().string();
    if (name.find("ssp") != std::string::npos) continue;  // refused on every device
    SCOPED_TRACE(name);
    const NequipModel M = read_model_file(path.string());
    for (const auto precision : {NequipPrecision::kFloat64, NequipPrecision::kFloat32}) {
      auto cpu = std::make_shared<NequipPotential>(M, precision);
      for (const GpuAwareMpi mode : modes) {
        auto dev = std::make_shared<NequipPotential>(M, precision, device, mode);
        SCOPED_TRACE(dev->backend() + " " + to_string(precision));
        EXPECT_EQ(dev->backend().rfind(prefix, 0), 0u);
        EXPECT_NE(dev->backend().find(mode == GpuAwareMpi::kStaged ? "staged" : "handed"), std::string::npos);
        for (std::size_t r = 0; r < M.references.size(); ++r) {
          const Structure base = structure_of(M, M.references[r]);
          for (const Structure& s : {base, distorted_supercell(base, static_cast<unsigned>(3 + r))}) {
            const Evaluation a = evaluate(M, cpu, s), b = evaluate(M, dev, s);
            if (precision == NequipPrecision::kFloat64) {
              compare(a, b, 1e-10, std::abs(a.energy));
            } else {
              compare(a, b, 1e-5, a.net_share);
            }
          }
        }
      }
    }
    ++evaluated;
  }
  if (root()) std::printf("%d rank(s): %d models on %s\n", ranks(), evaluated, to_string(device));
  EXPECT_GE(evaluated, 6);
}

}  // namespace

TEST(NequipDevice, HostReferenceOfTheDeviceNetworkMatchesCpu) {
  check_device(NequipDevice::kHostReference, {GpuAwareMpi::kDirect, GpuAwareMpi::kStaged}, "host reference");
}

TEST(NequipDevice, CudaMatchesCpuInBothPrecisionsAndMpiModes) {
#if defined(E3MD_HAVE_CUDA)
  if (kernels::cuda::device_count() == 0)
    GTEST_SKIP() << "no CUDA device visible: CUDA-vs-CPU comparison skipped";
  std::vector<GpuAwareMpi> modes{GpuAwareMpi::kStaged};
  if (mpi_reads_cuda_memory()) modes.push_back(GpuAwareMpi::kDirect);
  check_device(NequipDevice::kCuda, modes, "cuda:");
#else
  GTEST_SKIP() << "built without CUDA (-DE3MD_CUDA=ON): the CUDA network is not built";
#endif
}
