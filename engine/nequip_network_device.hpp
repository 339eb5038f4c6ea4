// The NequIP network as a device runs it, on a backend `Ops` (engine/nequip_network_cuda.cpp: the CUDA
// launchers and device memory; engine/nequip_network_reference.cpp: the same algorithm serially on the host,
// the reference the tests run without a GPU). Node features, their gradients and every intermediate stay in
// the backend's memory; per step the host uploads the edges (indices and vectors) and the types and reads
// back the per-atom outputs and dE/dr per edge, from which the potential forms forces and virial in double as
// on the CPU. Each layer's ghost rows of x travel with HaloExchange::forward(space, ...), the gradients on
// ghost rows with reverse(space, ...): the backend's buffers handed to MPI (GPU-aware MPI) or staged through
// host memory.
//
// Ops provides: Array<T> (owning, grow by assignment; data(), size()), Store and upload(view, store) (plans
// in the backend's memory), ConvWorkspace<Real>, to_device/to_host/copy/zero on bytes, the launchers
// linear_forward/ linear_backward/gate_forward/gate_backward/conv_forward/conv_backward/add with the CUDA
// launchers' signatures, select_device() (makes this rank's device current, returns its description) and
// make_space(mode).
#pragma once

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "engine/halo_exchange.hpp"
#include "engine/nequip_network.hpp"

namespace e3md::device_network {

namespace k = kernels;

inline std::size_t un(long v) { return static_cast<std::size_t>(v); }

// Grow-only arrays, with headroom: the edge count changes a little every step and must not cost an
// allocation each time.
template <class A>
void fit(A& a, std::size_t n) {
  if (a.size() < n) a = A(n + n / 4);
}

template <class Ops, class A, class T>
void put(A& a, const T* host, std::size_t n) {
  fit(a, n);
  if (n) Ops::to_device(a.data(), host, n * sizeof(T));
}

template <class Ops, class A>
void zero(A& a, std::size_t n) {
  if (n) Ops::zero(a.data(), n * sizeof(*a.data()));
}

// One layer's plans in the backend's memory and what the backward pass needs of its forward pass.
template <class Real, class Ops>
struct DeviceLayer {
  k::LinearView<Real> lin1, lin2, sc;
  k::ConvView<Real> conv;
  k::GateView<Real> gate;
  // Saved for the backward pass: linear_1 output (all rows), pre-activation.
  typename Ops::template Array<Real> x, z;
};

// The network on a backend; NequipNetwork's interface.
template <class Real, class Ops>
class DeviceNetwork final : public NequipNetwork<Real> {
 public:
  DeviceNetwork(const NequipModel& model, GpuAwareMpi mode);
  const Real* forward(const std::vector<int>& types, int nl, HaloExchange& halo) override;
  const Real* backward(const std::vector<int>& types, int nl, HaloExchange& halo) override;
  std::string describe() const override {
    return device_name_ + ", MPI " +
           (space_->mpi_direct() ? "handed device buffers" : "staged through host memory");
  }

 private:
  k::EdgeList<Real> edges() const {
    return {static_cast<long>(this->center.size()), center_.data(), neighbor_.data(), vec_.data()};
  }

  template <class T>
  using Array = typename Ops::template Array<T>;
  std::string device_name_;
  NequipPlans<Real> plans_;  // host plans; the views below point at their device copies in store_
  typename Ops::Store store_;
  k::LinearView<Real> chem_, out1_, out2_;
  std::vector<DeviceLayer<Real, Ops>> layers_;
  std::unique_ptr<FieldSpace> space_;
  typename Ops::template ConvWorkspace<Real> ws_;
  Array<int> types_, center_, neighbor_;
  Array<Real> vec_, onehot_, A_, sc_, hid_, eraw_, ge_, ghid_, gh_, gprev_, tmp_, gz_, gA_, gx_, gr_;
  std::vector<Array<Real>> h_;  // h_[l]: features entering layer l, owned rows (all rows for l = 0)
  std::vector<Real> onehot_host_, eraw_host_, gr_host_;
};

template <class Real, class Ops>
DeviceNetwork<Real, Ops>::DeviceNetwork(const NequipModel& model, GpuAwareMpi mode)
    : device_name_(Ops::select_device()), plans_(model), space_(Ops::make_space(mode)) {
  chem_ = Ops::upload(plans_.chem.view(), store_);
  out1_ = Ops::upload(plans_.out1.view(), store_);
  out2_ = Ops::upload(plans_.out2.view(), store_);
  layers_.resize(plans_.layers.size());
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    const auto& P = plans_.layers[l];
    auto& D = layers_[l];
    D.lin1 = Ops::upload(P.lin1.view(), store_);
    D.lin2 = Ops::upload(P.lin2.view(), store_);
    if (P.use_sc) D.sc = Ops::upload(P.sc.view(), store_);
    D.conv = Ops::upload(P.conv.view(), store_);
    D.gate = Ops::upload(P.gate.view(), store_);
  }
  h_.resize(layers_.size() + 1);
}

template <class Real, class Ops>
const Real* DeviceNetwork<Real, Ops>::forward(const std::vector<int>& types, int nl, HaloExchange& halo) {
  const long na = static_cast<long>(types.size());
  const int T = plans_.num_types;
  put<Ops>(types_, types.data(), un(na));
  put<Ops>(center_, this->center.data(), this->center.size());
  put<Ops>(neighbor_, this->neighbor.data(), this->neighbor.size());
  put<Ops>(vec_, this->vec.data(), this->vec.size());
  onehot_host_.assign(un(na) * un(T), Real(0));
  for (long i = 0; i < na; ++i) onehot_host_[un(i) * un(T) + un(types[un(i)])] = Real(1);
  put<Ops>(onehot_, onehot_host_.data(), onehot_host_.size());
  fit(h_[0], un(na) * un(plans_.chem.irreps_out().dim()));
  Ops::linear_forward(chem_, na, onehot_.data(), nullptr, h_[0].data());
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
    Ops::linear_forward(D.lin1, l == 0 ? na : nl, h_[l].data(), nullptr, D.x.data());
    if (l > 0) halo.forward(*space_, D.x.data(), P.dim_in);
    Ops::conv_forward(D.conv, E, nl, D.x.data(), A_.data(), ws_);
    Ops::linear_forward(D.lin2, nl, A_.data(), nullptr, D.z.data());
    if (P.use_sc) {
      fit(sc_, un(nl) * un(P.dim_z));
      Ops::linear_forward(D.sc, nl, h_[l].data(), types_.data(), sc_.data());
      Ops::add(static_cast<long>(nl) * P.dim_z, sc_.data(), D.z.data());
    }
    Ops::gate_forward(D.gate, nl, D.z.data(), h_[l + 1].data());
    if (P.resnet) Ops::add(static_cast<long>(nl) * P.dim_out, h_[l].data(), h_[l + 1].data());
  }
  fit(hid_, un(nl) * un(plans_.out1.irreps_out().dim()));
  fit(eraw_, un(nl));
  Ops::linear_forward(out1_, nl, h_.back().data(), nullptr, hid_.data());
  Ops::linear_forward(out2_, nl, hid_.data(), nullptr, eraw_.data());
  eraw_host_.resize(un(nl));
  if (nl > 0) Ops::to_host(eraw_host_.data(), eraw_.data(), un(nl) * sizeof(Real));
  this->ge.resize(un(nl));
  return eraw_host_.data();
}

template <class Real, class Ops>
const Real* DeviceNetwork<Real, Ops>::backward(const std::vector<int>& types, int nl, HaloExchange& halo) {
  const long na = static_cast<long>(types.size());
  const std::size_t ne = this->center.size();
  const k::EdgeList<Real> E = edges();
  const int dl = layers_.empty() ? plans_.chem.irreps_out().dim() : plans_.layers.back().dim_out;
  put<Ops>(ge_, this->ge.data(), un(nl));
  fit(ghid_, un(nl) * un(plans_.out1.irreps_out().dim()));
  fit(gh_, un(nl) * un(dl));
  Ops::linear_backward(out2_, nl, ge_.data(), nullptr, ghid_.data());
  Ops::linear_backward(out1_, nl, ghid_.data(), nullptr, gh_.data());
  fit(gr_, 3 * ne);
  zero<Ops>(gr_, 3 * ne);
  for (std::size_t l = layers_.size(); l-- > 0;) {
    const auto& P = plans_.layers[l];
    auto& D = layers_[l];
    const std::size_t lin = un(nl) * un(P.dim_in);
    fit(gz_, un(nl) * un(P.dim_z));
    fit(gA_, un(nl) * un(P.dim_mid));
    fit(tmp_, lin);
    fit(gprev_, lin);
    fit(gx_, un(na) * un(P.dim_in));
    Ops::gate_backward(D.gate, nl, D.z.data(), gh_.data(), gz_.data());
    if (P.resnet) {
      Ops::copy(gprev_.data(), gh_.data(), lin * sizeof(Real));
    } else {
      zero<Ops>(gprev_, lin);
    }
    Ops::linear_backward(D.lin2, nl, gz_.data(), nullptr, gA_.data());
    if (P.use_sc) {
      Ops::linear_backward(D.sc, nl, gz_.data(), types_.data(), tmp_.data());
      Ops::add(static_cast<long>(lin), tmp_.data(), gprev_.data());
    }
    zero<Ops>(gx_, un(na) * un(P.dim_in));
    Ops::conv_backward(D.conv, E, D.x.data(), gA_.data(), gx_.data(), gr_.data(), ws_);
    if (l == 0) break;  // h[0] is a per-type constant: no gradient needed beyond the edges
    halo.reverse(*space_, gx_.data(), P.dim_in);
    Ops::linear_backward(D.lin1, nl, gx_.data(), nullptr, tmp_.data());
    Ops::add(static_cast<long>(lin), tmp_.data(), gprev_.data());
    std::swap(gh_, gprev_);
  }
  gr_host_.resize(3 * ne);
  if (ne > 0) Ops::to_host(gr_host_.data(), gr_.data(), 3 * ne * sizeof(Real));
  return gr_host_.data();
}

}  // namespace e3md::device_network
