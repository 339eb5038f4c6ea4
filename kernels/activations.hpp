// Scalar activations used by e3nn's FullyConnectedNet and Gate, with their derivatives. e3nn wraps each in
// normalize2mom, a constant factor estimated by Monte Carlo (spec §10); the constants are data passed in by
// the caller, the values below are the ones e3nn 0.5 produces with torch's seeded generator.
#pragma once

#include "kernels/hd.hpp"

namespace e3md::kernels {

enum class Activation : int { kSilu = 0, kTanh = 1, kIdentity = 2 };

// normalize2mom constants of e3nn 0.5 (Monte-Carlo values, not the analytic Gaussian moments).
constexpr double kNorm2MomSilu = 1.6791767923989418;
constexpr double kNorm2MomTanh = 1.5937334472592695;

// f(x) and f'(x) of the unscaled activation.
template <class Real>
E3MD_HD_INLINE void activation_eval(Activation a, Real x, Real* f, Real* df) {
  switch (a) {
    case Activation::kSilu: {
      const Real sg = Real(1) / (Real(1) + hd_exp(-x));
      *f = x * sg;
      *df = sg * (Real(1) + x * (Real(1) - sg));
      return;
    }
    case Activation::kTanh: {
      const Real t = hd_tanh(x);
      *f = t;
      *df = Real(1) - t * t;
      return;
    }
    default:
      *f = x;
      *df = Real(1);
      return;
  }
}

template <class Real>
E3MD_HD_INLINE Real activation_value(Activation a, Real x) {
  switch (a) {
    case Activation::kSilu:
      return x / (Real(1) + hd_exp(-x));
    case Activation::kTanh:
      return hd_tanh(x);
    default:
      return x;
  }
}

}  // namespace e3md::kernels
