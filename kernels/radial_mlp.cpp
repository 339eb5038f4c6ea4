#include "kernels/radial_mlp.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace e3md::kernels {

template <class Real>
RadialMlp<Real>::RadialMlp(const std::vector<int>& dims, const std::vector<std::vector<double>>& matrices,
                           Activation act, double act_scale)
    : dims_(dims), act_(act), act_scale_(act_scale) {
  if (dims.size() < 2 || dims.size() > kMlpMaxLayers + 1 || matrices.size() + 1 != dims.size()) {
    throw std::invalid_argument("radial MLP: needs 1.." + std::to_string(kMlpMaxLayers) +
                                " weight matrices and one more layer size than matrices");
  }
  for (std::size_t j = 0; j < matrices.size(); ++j) {
    const std::size_t want = static_cast<std::size_t>(dims[j]) * static_cast<std::size_t>(dims[j + 1]);
    if (matrices[j].size() != want) {
      throw std::invalid_argument("radial MLP: fc.layer" + std::to_string(j) + ".weight has " +
                                  std::to_string(matrices[j].size()) + " values; expected " +
                                  std::to_string(dims[j]) + " x " + std::to_string(dims[j + 1]));
    }
    // e3nn divides the weight (not the activation) by sqrt(fan_in).
    const double s = 1.0 / std::sqrt(static_cast<double>(dims[j]));
    for (double w : matrices[j]) weights_.push_back(static_cast<Real>(w * s));
    const int ni = dims[j], no = dims[j + 1];
    for (int o = 0; o < no; ++o)
      for (int i = 0; i < ni; ++i)
        weights_t_.push_back(static_cast<Real>(matrices[j][static_cast<std::size_t>(i * no + o)] * s));
  }
}

template <class Real>
MlpView<Real> RadialMlp<Real>::view() const {
  MlpView<Real> v;
  v.num_layers = static_cast<int>(dims_.size()) - 1;
  for (std::size_t j = 0; j < dims_.size(); ++j) v.dims[j] = dims_[j];
  v.weights = weights_.data();
  v.weights_t = weights_t_.data();
  v.act = act_;
  v.act_scale = static_cast<Real>(act_scale_);
  return v;
}

template <class Real>
void mlp_forward_cpu(const MlpView<Real>& M, long rows, const Real* in, Real* out) {
#pragma omp parallel
  {
    std::vector<Real> saved(static_cast<std::size_t>(M.saved_size()) + 1);
#pragma omp for schedule(static)
    for (long e = 0; e < rows; ++e) mlp_forward(M, in + e * M.in_dim(), out + e * M.out_dim(), saved.data());
  }
}

template <class Real>
void mlp_backward_cpu(const MlpView<Real>& M, long rows, const Real* in, const Real* gout, Real* gin) {
#pragma omp parallel
  {
    std::vector<Real> saved(static_cast<std::size_t>(M.saved_size()) + 1);
    std::vector<Real> out(static_cast<std::size_t>(M.out_dim()));
    std::vector<Real> tmp(static_cast<std::size_t>(M.backward_tmp_size()));
#pragma omp for schedule(static)
    for (long e = 0; e < rows; ++e) {
      mlp_forward(M, in + e * M.in_dim(), out.data(), saved.data());
      mlp_backward(M, saved.data(), gout + e * M.out_dim(), gin + e * M.in_dim(), tmp.data());
    }
  }
}

template class RadialMlp<double>;
template class RadialMlp<float>;
template void mlp_forward_cpu<double>(const MlpView<double>&, long, const double*, double*);
template void mlp_forward_cpu<float>(const MlpView<float>&, long, const float*, float*);
template void mlp_backward_cpu<double>(const MlpView<double>&, long, const double*, const double*, double*);
template void mlp_backward_cpu<float>(const MlpView<float>&, long, const float*, const float*, float*);

}  // namespace e3md::kernels
