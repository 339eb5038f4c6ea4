#include "kernels/linear.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace e3md::kernels {

template <class Real>
long EquivariantLinear<Real>::weight_numel(const Irreps& in, const Irreps& out, int num_types) {
  long n = 0;
  for (const auto& a : in.blocks())
    for (const auto& o : out.blocks())
      if (a.ir == o.ir) n += static_cast<long>(a.mul) * num_types * o.mul;
  return n;
}

template <class Real>
EquivariantLinear<Real>::EquivariantLinear(const Irreps& in, const Irreps& out,
                                           const std::vector<double>& weights, int num_types)
    : in_(in), out_(out), num_types_(num_types) {
  if (num_types < 1) throw std::invalid_argument("equivariant linear: num_types must be >= 1");
  const long want = weight_numel(in, out, num_types);
  if (static_cast<long>(weights.size()) != want) {
    throw std::invalid_argument("equivariant linear " + in.str() + " -> " + out.str() + " (types " +
                                std::to_string(num_types) + "): got " + std::to_string(weights.size()) +
                                " weights, expected " + std::to_string(want));
  }
  const auto oi = in.offsets(), oo = out.offsets();
  std::vector<int> fan(out.size(), 0);
  for (const auto& a : in.blocks())
    for (std::size_t o = 0; o < out.size(); ++o)
      if (a.ir == out[o].ir) fan[o] += a.mul * num_types;
  int woff = 0;
  for (std::size_t a = 0; a < in.size(); ++a) {
    for (std::size_t o = 0; o < out.size(); ++o) {
      if (in[a].ir != out[o].ir) continue;
      LinPath<Real> P{};
      P.in_off = oi[a];
      P.mul_in = in[a].mul;
      P.out_off = oo[o];
      P.mul_out = out[o].mul;
      P.d = in[a].ir.dim();
      P.w_off = woff;
      P.alpha = static_cast<Real>(fan[o] > 0 ? 1.0 / std::sqrt(static_cast<double>(fan[o])) : 0.0);
      woff += in[a].mul * num_types * out[o].mul;
      // Empty blocks contribute nothing, but their (zero-size) weights keep the layout.
      if (P.mul_in > 0 && P.mul_out > 0) paths_.push_back(P);
    }
  }
  weights_.assign(weights.begin(), weights.end());
}

template <class Real>
LinearView<Real> EquivariantLinear<Real>::view() const {
  LinearView<Real> v;
  v.paths = paths_.data();
  v.num_paths = static_cast<int>(paths_.size());
  v.weights = weights_.data();
  v.num_types = num_types_;
  v.dim_in = in_.dim();
  v.dim_out = out_.dim();
  return v;
}

template <class Real>
void linear_forward_cpu(const LinearView<Real>& L, long n, const Real* x, const int* types, Real* y) {
#pragma omp parallel for schedule(static)
  for (long i = 0; i < n; ++i) linear_forward(L, x + i * L.dim_in, types ? types[i] : 0, y + i * L.dim_out);
}

template <class Real>
void linear_backward_cpu(const LinearView<Real>& L, long n, const Real* gy, const int* types, Real* gx) {
#pragma omp parallel for schedule(static)
  for (long i = 0; i < n; ++i)
    linear_backward(L, gy + i * L.dim_out, types ? types[i] : 0, gx + i * L.dim_in);
}

template class EquivariantLinear<double>;
template class EquivariantLinear<float>;
template void linear_forward_cpu<double>(const LinearView<double>&, long, const double*, const int*, double*);
template void linear_forward_cpu<float>(const LinearView<float>&, long, const float*, const int*, float*);
template void linear_backward_cpu<double>(const LinearView<double>&, long, const double*, const int*,
                                          double*);
template void linear_backward_cpu<float>(const LinearView<float>&, long, const float*, const int*, float*);

}  // namespace e3md::kernels
