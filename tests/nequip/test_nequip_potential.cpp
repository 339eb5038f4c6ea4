// NequipPotential (engine/) in the step loop's Simulation, on 1 or more MPI ranks.
// 1. float64 against nequip's stored results (make_models.py: a jittered crystal with a cell below 2 r_max, a
//    slab with vacuum, two random triclinic/orthorhombic cells): energy 1e-10 relative, forces and virial
//    1e-9 * max(1, max |reference|). With several ranks the layer features cross the halo forward and their
//    gradients come back by reverse sums, so agreement also checks the per-layer communication. Models whose
//    activations kernels/ lacks (ssp) must be refused.
// 2. float32 against float64 on the same structures (the stored ones and a distorted 2x2x1 supercell of
//    each): energy within 1e-5 of the network's share sum_i |e_i - shift_i| (the per-species shifts are added
//    in double and would make |E| a loose scale; a global shift can make |E| accidentally small), forces
//    within 1e-5 of the largest force component, virial within 1e-5 of the largest virial component.
#include <gtest/gtest.h>

#include <cstdio>

#include "tests/nequip/nequip_test_support.hpp"

using namespace e3md;
using namespace e3md::test;

TEST(NequipPotential, MatchesNequipOnEveryRankCount) {
  int evaluated = 0;
  for (const auto& path : model_files()) {
    const std::string name = path.filename().string();
    SCOPED_TRACE(name);
    const NequipModel M = read_model_file(path.string());
    if (name.find("ssp") != std::string::npos) {
      EXPECT_THROW(NequipPotential{M}, std::runtime_error);
      continue;
    }
    auto pot = std::make_shared<NequipPotential>(M);
    double worst_e = 0, worst_f = 0, worst_v = 0;
    for (const auto& ref : M.references) {
      const Evaluation got = evaluate(M, pot, structure_of(M, ref));
      EXPECT_NEAR(got.energy, ref.energy, 1e-10 * std::abs(ref.energy));
      worst_e = std::max(worst_e, std::abs(got.energy - ref.energy) / std::abs(ref.energy));
      double fmax = 1.0;
      for (double v : ref.forces) fmax = std::max(fmax, std::abs(v));
      for (size_t q = 0; q < got.forces.size(); ++q) {
        EXPECT_NEAR(got.forces[q], ref.forces[q], 1e-9 * fmax) << "atom " << q / 3;
        worst_f = std::max(worst_f, std::abs(got.forces[q] - ref.forces[q]));
      }
      if (ref.has_virial) {
        double vmax = 1.0;
        for (double v : ref.virial) vmax = std::max(vmax, std::abs(v));
        for (int a = 0; a < 3; ++a)
          for (int b = 0; b < 3; ++b) {
            const double r = ref.virial[static_cast<size_t>(3 * a + b)];
            EXPECT_NEAR(got.virial(a, b), r, 1e-9 * vmax);
            worst_v = std::max(worst_v, std::abs(got.virial(a, b) - r));
          }
      }
    }
    if (root())
      std::printf("%d rank(s) %-28s energy rel %.1e, forces abs %.1e eV/A, virial abs %.1e eV\n", ranks(),
                  name.c_str(), worst_e, worst_f, worst_v);
    ++evaluated;
  }
  EXPECT_GE(evaluated, 6);
}

TEST(NequipPotential, Float32AgreesWithFloat64) {
  int evaluated = 0;
  for (const auto& path : model_files()) {
    const std::string name = path.filename().string();
    if (name.find("ssp") != std::string::npos) continue;  // refused in both precisions (test above)
    SCOPED_TRACE(name);
    const NequipModel M = read_model_file(path.string());
    auto f64 = std::make_shared<NequipPotential>(M, NequipPrecision::kFloat64);
    auto f32 = std::make_shared<NequipPotential>(M, NequipPrecision::kFloat32);
    ASSERT_EQ(f32->precision(), NequipPrecision::kFloat32);
    double worst_e = 0, worst_f = 0, worst_v = 0;
    for (size_t r = 0; r < M.references.size(); ++r) {
      const Structure base = structure_of(M, M.references[r]);
      for (const Structure& s : {base, distorted_supercell(base, static_cast<unsigned>(7 + r))}) {
        const Evaluation a = evaluate(M, f64, s), b = evaluate(M, f32, s);
        const double de = std::abs(b.energy - a.energy);
        EXPECT_LE(de, 1e-5 * a.net_share) << s.size() << " atoms";
        worst_e = std::max(worst_e, de / a.net_share);
        double fmax = 0, df = 0;
        for (size_t q = 0; q < a.forces.size(); ++q) {
          fmax = std::max(fmax, std::abs(a.forces[q]));
          df = std::max(df, std::abs(b.forces[q] - a.forces[q]));
        }
        ASSERT_GT(fmax, 0.0);
        EXPECT_LE(df, 1e-5 * fmax) << s.size() << " atoms";
        worst_f = std::max(worst_f, df / fmax);
        const double vmax = a.virial.cwiseAbs().maxCoeff(), dv = (b.virial - a.virial).cwiseAbs().maxCoeff();
        ASSERT_GT(vmax, 0.0);
        EXPECT_LE(dv, 1e-5 * vmax) << s.size() << " atoms";
        worst_v = std::max(worst_v, dv / vmax);
      }
    }
    if (root())
      std::printf(
          "%d rank(s) %-28s float32 vs float64: energy %.1e of the network share, forces %.1e, "
          "virial %.1e of the largest component\n",
          ranks(), name.c_str(), worst_e, worst_f, worst_v);
    ++evaluated;
  }
  EXPECT_GE(evaluated, 6);
}

// device: cuda runs where this build and this machine can; elsewhere it is refused with the fix in the
// message.
TEST(NequipPotential, CudaDeviceRunsOrIsRefusedWithTheFix) {
  std::filesystem::path usable;
  for (const auto& path : model_files())
    if (path.filename().string().find("ssp") == std::string::npos) usable = path;
  ASSERT_FALSE(usable.empty());
  const NequipModel M = read_model_file(usable.string());
  EXPECT_EQ(NequipPotential(M).backend(), "cpu");
  std::string message;
  try {
    NequipPotential gpu(M, NequipPrecision::kFloat64, NequipDevice::kCuda, GpuAwareMpi::kStaged);
    message = gpu.backend();
  } catch (const std::runtime_error& e) {
    message = e.what();
  }
#if defined(E3MD_HAVE_CUDA)
  const bool ran = message.rfind("cuda:", 0) == 0;
  EXPECT_TRUE(ran || message.find("no CUDA device is visible") != std::string::npos) << message;
#else
  EXPECT_NE(message.find("-DE3MD_CUDA=ON"), std::string::npos) << message;
  EXPECT_NE(message.find("device: cpu"), std::string::npos) << message;
#endif
  EXPECT_EQ(parse_nequip_device("cuda"), NequipDevice::kCuda);
  EXPECT_THROW(parse_nequip_device("gpu"), std::invalid_argument);
  EXPECT_EQ(parse_gpu_aware_mpi("auto"), GpuAwareMpi::kAuto);
  EXPECT_THROW(parse_gpu_aware_mpi("yes"), std::invalid_argument);
}
