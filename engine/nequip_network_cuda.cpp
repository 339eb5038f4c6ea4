// NequIP network on the CUDA launchers (built with E3MD_CUDA). Node features, their gradients and every
// intermediate stay in device memory; per step the host uploads the edges (indices and vectors) and the types
// and reads back the per-atom outputs and dE/dr per edge, from which the potential forms forces and virial in
// double as on the CPU. Each layer's ghost rows of x travel with HaloExchange::forward(space, ...), the
// gradients on ghost rows with reverse(space, ...): device buffers handed to a CUDA-aware MPI or staged
// through host memory (CudaFieldSpace). Messages are summed with atomics, so sums differ from the CPU's in
// the order of additions only (float64: ~1e-15 relative).
#include <mpi.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include "engine/field_space_cuda.hpp"
#include "engine/halo_exchange.hpp"
#include "engine/nequip_network.hpp"
#include "kernels/cuda_launchers.hpp"

namespace e3md {

namespace {

namespace k = kernels;
namespace cu = kernels::cuda;

std::size_t un(long v) { return static_cast<std::size_t>(v); }

// Grow-only device arrays, with headroom: the edge count changes a little every step and must not cost an
// allocation each time.
template <class T>
void fit(cu::DeviceArray<T>& a, std::size_t n) {
  if (a.size() < n) a = cu::DeviceArray<T>(n + n / 4);
}

template <class T>
void put(cu::DeviceArray<T>& a, const T* host, std::size_t n) {
  fit(a, n);
  if (n) cu::copy_to_device(a.data(), host, n * sizeof(T));
}

template <class T>
void zero(cu::DeviceArray<T>& a, std::size_t n) {
  if (n) cu::device_memset_zero(a.data(), n * sizeof(T));
}

// Makes the device of this rank current and returns it: node-local rank modulo the visible devices (one rank
// per GPU is the usual layout).
int pick_device() {
  const int count = cu::device_count();
  if (count == 0) {
    throw std::runtime_error(
        "device: cuda: no CUDA device is visible to this process (check nvidia-smi and "
        "CUDA_VISIBLE_DEVICES); use device: cpu to run on the CPU");
  }
  MPI_Comm local = MPI_COMM_NULL;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &local);
  int local_rank = 0;
  MPI_Comm_rank(local, &local_rank);
  MPI_Comm_free(&local);
  cu::set_device(local_rank % count);
  return local_rank % count;
}

template <class Real>
struct DeviceLayer {
  k::LinearView<Real> lin1, lin2, sc;
  k::ConvView<Real> conv;
  k::GateView<Real> gate;
  cu::DeviceArray<Real> x, z;  // saved for the backward pass: linear_1 output (all rows), pre-activation
};

template <class Real>
class CudaNetwork final : public NequipNetwork<Real> {
 public:
  CudaNetwork(const NequipModel& model, GpuAwareMpi mode);
  const Real* forward(const std::vector<int>& types, int nl, HaloExchange& halo) override;
  const Real* backward(const std::vector<int>& types, int nl, HaloExchange& halo) override;
  std::string describe() const override {
    return "cuda:" + std::to_string(device_) + " (" + device_name_ + "), MPI " +
           (space_.mpi_direct() ? "handed device buffers" : "staged through host memory");
  }

 private:
  k::EdgeList<Real> edges() const {
    return {static_cast<long>(this->center.size()), center_.data(), neighbor_.data(), vec_.data()};
  }

  int device_ = 0;
  std::string device_name_;
  NequipPlans<Real> plans_;  // host plans; the views below point at their device copies in store_
  cu::DeviceStore store_;
  k::LinearView<Real> chem_, out1_, out2_;
  std::vector<DeviceLayer<Real>> layers_;
  CudaFieldSpace space_;
  cu::ConvDeviceWorkspace<Real> ws_;
  cu::DeviceArray<int> types_, center_, neighbor_;
  cu::DeviceArray<Real> vec_, onehot_, A_, sc_, hid_, eraw_, ge_, ghid_, gh_, gprev_, tmp_, gz_, gA_, gx_,
      gr_;
  std::vector<cu::DeviceArray<Real>> h_;  // h_[l]: features entering layer l, owned rows (all rows for l = 0)
  std::vector<Real> onehot_host_, eraw_host_, gr_host_;
};

template <class Real>
CudaNetwork<Real>::CudaNetwork(const NequipModel& model, GpuAwareMpi mode)
    : device_(pick_device()), plans_(model), space_(mode) {
  device_name_ = cu::device_name(device_);
  chem_ = cu::upload(plans_.chem.view(), store_);
  out1_ = cu::upload(plans_.out1.view(), store_);
  out2_ = cu::upload(plans_.out2.view(), store_);
  layers_.resize(plans_.layers.size());
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    const auto& P = plans_.layers[l];
    auto& D = layers_[l];
    D.lin1 = cu::upload(P.lin1.view(), store_);
    D.lin2 = cu::upload(P.lin2.view(), store_);
    if (P.use_sc) D.sc = cu::upload(P.sc.view(), store_);
    D.conv = cu::upload(P.conv.view(), store_);
    D.gate = cu::upload(P.gate.view(), store_);
  }
  h_.resize(layers_.size() + 1);
}

template <class Real>
const Real* CudaNetwork<Real>::forward(const std::vector<int>& types, int nl, HaloExchange& halo) {
  const long na = static_cast<long>(types.size());
  const int T = plans_.num_types;
  put(types_, types.data(), un(na));
  put(center_, this->center.data(), this->center.size());
  put(neighbor_, this->neighbor.data(), this->neighbor.size());
  put(vec_, this->vec.data(), this->vec.size());
  onehot_host_.assign(un(na) * un(T), Real(0));
  for (long i = 0; i < na; ++i) onehot_host_[un(i) * un(T) + un(types[un(i)])] = Real(1);
  put(onehot_, onehot_host_.data(), onehot_host_.size());
  fit(h_[0], un(na) * un(plans_.chem.irreps_out().dim()));
  cu::linear_forward_cuda(chem_, na, onehot_.data(), nullptr, h_[0].data());
  const k::EdgeList<Real> E = edges();
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    const auto& P = plans_.layers[l];
    auto& D = layers_[l];
    fit(D.x, un(na) * un(P.dim_in));
    fit(D.z, un(nl) * un(P.dim_z));
    fit(A_, un(nl) * un(P.dim_mid));
    fit(h_[l + 1], un(nl) * un(P.dim_out));
    // Layer 0's input is a per-type constant, known for ghosts too; later layers' ghost rows come from
    // their owners.
    cu::linear_forward_cuda(D.lin1, l == 0 ? na : nl, h_[l].data(), nullptr, D.x.data());
    if (l > 0) halo.forward(space_, D.x.data(), P.dim_in);
    cu::conv_forward_cuda(D.conv, E, nl, D.x.data(), A_.data(), ws_);
    cu::linear_forward_cuda(D.lin2, nl, A_.data(), nullptr, D.z.data());
    if (P.use_sc) {
      fit(sc_, un(nl) * un(P.dim_z));
      cu::linear_forward_cuda(D.sc, nl, h_[l].data(), types_.data(), sc_.data());
      cu::add_cuda(static_cast<long>(nl) * P.dim_z, sc_.data(), D.z.data());
    }
    cu::gate_forward_cuda(D.gate, nl, D.z.data(), h_[l + 1].data());
    if (P.resnet) cu::add_cuda(static_cast<long>(nl) * P.dim_out, h_[l].data(), h_[l + 1].data());
  }
  fit(hid_, un(nl) * un(plans_.out1.irreps_out().dim()));
  fit(eraw_, un(nl));
  cu::linear_forward_cuda(out1_, nl, h_.back().data(), nullptr, hid_.data());
  cu::linear_forward_cuda(out2_, nl, hid_.data(), nullptr, eraw_.data());
  eraw_host_.resize(un(nl));
  if (nl > 0) cu::copy_to_host(eraw_host_.data(), eraw_.data(), un(nl) * sizeof(Real));
  this->ge.resize(un(nl));
  return eraw_host_.data();
}

template <class Real>
const Real* CudaNetwork<Real>::backward(const std::vector<int>& types, int nl, HaloExchange& halo) {
  const long na = static_cast<long>(types.size());
  const std::size_t ne = this->center.size();
  const k::EdgeList<Real> E = edges();
  const int dl = layers_.empty() ? plans_.chem.irreps_out().dim() : plans_.layers.back().dim_out;
  put(ge_, this->ge.data(), un(nl));
  fit(ghid_, un(nl) * un(plans_.out1.irreps_out().dim()));
  fit(gh_, un(nl) * un(dl));
  cu::linear_backward_cuda(out2_, nl, ge_.data(), nullptr, ghid_.data());
  cu::linear_backward_cuda(out1_, nl, ghid_.data(), nullptr, gh_.data());
  fit(gr_, 3 * ne);
  zero(gr_, 3 * ne);
  for (std::size_t l = layers_.size(); l-- > 0;) {
    const auto& P = plans_.layers[l];
    auto& D = layers_[l];
    const std::size_t lin = un(nl) * un(P.dim_in);
    fit(gz_, un(nl) * un(P.dim_z));
    fit(gA_, un(nl) * un(P.dim_mid));
    fit(tmp_, lin);
    fit(gprev_, lin);
    fit(gx_, un(na) * un(P.dim_in));
    cu::gate_backward_cuda(D.gate, nl, D.z.data(), gh_.data(), gz_.data());
    if (P.resnet) {
      cu::copy_on_device(gprev_.data(), gh_.data(), lin * sizeof(Real));
    } else {
      zero(gprev_, lin);
    }
    cu::linear_backward_cuda(D.lin2, nl, gz_.data(), nullptr, gA_.data());
    if (P.use_sc) {
      cu::linear_backward_cuda(D.sc, nl, gz_.data(), types_.data(), tmp_.data());
      cu::add_cuda(static_cast<long>(lin), tmp_.data(), gprev_.data());
    }
    zero(gx_, un(na) * un(P.dim_in));
    cu::conv_backward_cuda(D.conv, E, D.x.data(), gA_.data(), gx_.data(), gr_.data(), ws_);
    if (l == 0) break;  // h[0] is a per-type constant: no gradient needed beyond the edges
    halo.reverse(space_, gx_.data(), P.dim_in);
    cu::linear_backward_cuda(D.lin1, nl, gx_.data(), nullptr, tmp_.data());
    cu::add_cuda(static_cast<long>(lin), tmp_.data(), gprev_.data());
    std::swap(gh_, gprev_);
  }
  gr_host_.resize(3 * ne);
  if (ne > 0) cu::copy_to_host(gr_host_.data(), gr_.data(), 3 * ne * sizeof(Real));
  return gr_host_.data();
}

}  // namespace

template <class Real>
std::unique_ptr<NequipNetwork<Real>> make_cuda_network(const NequipModel& model, GpuAwareMpi mode) {
  return std::make_unique<CudaNetwork<Real>>(model, mode);
}
template std::unique_ptr<NequipNetwork<double>> make_cuda_network(const NequipModel&, GpuAwareMpi);
template std::unique_ptr<NequipNetwork<float>> make_cuda_network(const NequipModel&, GpuAwareMpi);

}  // namespace e3md
