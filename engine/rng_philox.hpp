// Philox4x32-10 counter-based random numbers (Salmon et al., SC'11, "Parallel random numbers: as easy as
// 1, 2, 3"). A draw is a pure function of (key, counter): keyed by the run seed and counting (atom id,
// step, stream), every atom gets the same numbers whichever rank owns it, so trajectories do not depend
// on the rank count.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>

namespace e3md {

class Philox4x32 {
 public:
  using Block = std::array<std::uint32_t, 4>;

  // Ten rounds of the Philox4x32 bijection of `counter` under `key`.
  static Block generate(Block counter, std::array<std::uint32_t, 2> key) {
    for (int round = 0; round < 10; ++round) {
      const std::uint64_t p0 = static_cast<std::uint64_t>(kMul0) * counter[0];
      const std::uint64_t p1 = static_cast<std::uint64_t>(kMul1) * counter[2];
      const auto hi0 = static_cast<std::uint32_t>(p0 >> 32), lo0 = static_cast<std::uint32_t>(p0);
      const auto hi1 = static_cast<std::uint32_t>(p1 >> 32), lo1 = static_cast<std::uint32_t>(p1);
      counter = {hi1 ^ counter[1] ^ key[0], lo1, hi0 ^ counter[3] ^ key[1], lo0};
      key[0] += kWeyl0;
      key[1] += kWeyl1;
    }
    return counter;
  }

  // Four draws for (seed, a, b, stream): a and b are typically the atom id and the step.
  static Block draw(std::uint64_t seed, std::uint64_t a, std::uint64_t b, std::uint32_t stream = 0) {
    const Block counter = {static_cast<std::uint32_t>(a), static_cast<std::uint32_t>(a >> 32),
                           static_cast<std::uint32_t>(b), static_cast<std::uint32_t>(b >> 32) ^ (stream << 16)};
    return generate(counter, {static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)});
  }

  // Uniform in the open interval (0, 1).
  static double uniform(std::uint32_t u) { return (static_cast<double>(u) + 0.5) * (1.0 / 4294967296.0); }

  // Two standard normals from two uniforms (Box–Muller).
  static std::array<double, 2> normal2(std::uint32_t u0, std::uint32_t u1) {
    const double r = std::sqrt(-2.0 * std::log(uniform(u0)));
    const double phi = 6.283185307179586476925 * uniform(u1);
    return {r * std::cos(phi), r * std::sin(phi)};
  }

  static constexpr std::uint32_t kMul0 = 0xD2511F53u;
  static constexpr std::uint32_t kMul1 = 0xCD9E8D57u;
  static constexpr std::uint32_t kWeyl0 = 0x9E3779B9u;
  static constexpr std::uint32_t kWeyl1 = 0xBB67AE85u;
};

}  // namespace e3md
