#include "engine/nequip_potential.hpp"

#include <cmath>
#include <stdexcept>
#include <type_traits>

#include "engine/halo_exchange.hpp"
#include "engine/nequip_network.hpp"

namespace e3md {

NequipPrecision parse_nequip_precision(const std::string& text) {
  if (text == "float64") return NequipPrecision::kFloat64;
  if (text == "float32") return NequipPrecision::kFloat32;
  throw std::invalid_argument("precision '" + text +
                              "' is not known; use float64 (the reference) or float32");
}

const char* to_string(NequipPrecision p) { return p == NequipPrecision::kFloat32 ? "float32" : "float64"; }

NequipDevice parse_nequip_device(const std::string& text) {
  if (text == "cpu") return NequipDevice::kCpu;
  if (text == "cuda") return NequipDevice::kCuda;
  throw std::invalid_argument("device '" + text + "' is not known; use cpu or cuda");
}

const char* to_string(NequipDevice d) {
  switch (d) {
    case NequipDevice::kCuda:
      return "cuda";
    case NequipDevice::kHostReference:
      return "host-reference";
    default:
      return "cpu";
  }
}

#if !defined(E3MD_HAVE_CUDA)
template <class Real>
std::unique_ptr<NequipNetwork<Real>> make_cuda_network(const NequipModel& /*model*/, GpuAwareMpi /*mode*/) {
  throw std::runtime_error(
      "device: cuda needs an e3md built with CUDA (configure with -DE3MD_CUDA=ON); this build runs the "
      "model on the CPU only: use device: cpu");
}
template std::unique_ptr<NequipNetwork<double>> make_cuda_network(const NequipModel&, GpuAwareMpi);
template std::unique_ptr<NequipNetwork<float>> make_cuda_network(const NequipModel&, GpuAwareMpi);
#endif

namespace {
std::size_t un(long v) { return static_cast<std::size_t>(v); }

template <class Real>
std::unique_ptr<NequipNetwork<Real>> make_network(const NequipModel& model, NequipDevice device,
                                                  GpuAwareMpi mpi) {
  if (device == NequipDevice::kCuda) return make_cuda_network<Real>(model, mpi);
  if (device == NequipDevice::kHostReference) return make_reference_device_network<Real>(model, mpi);
  return make_cpu_network<Real>(model);
}
}  // namespace

struct NequipPotential::Impl {
  NequipModel model;
  NequipPrecision precision = NequipPrecision::kFloat64;
  std::unique_ptr<NequipNetwork<double>> f64;
  std::unique_ptr<NequipNetwork<float>> f32;
  std::vector<double> vec;  // edge vectors in double (Å): forces and virial are formed from these

  template <class Real>
  void compute(NequipNetwork<Real>& net, Atoms& atoms, const NeighborList& list, HaloExchange& halo,
               const ComputeRequest& request, ComputeResult& result);
};

NequipPotential::NequipPotential(const NequipModel& model, NequipPrecision precision, NequipDevice device,
                                 GpuAwareMpi gpu_aware_mpi)
    : impl_(std::make_unique<Impl>()) {
  impl_->model = model;
  impl_->precision = precision;
  if (precision == NequipPrecision::kFloat32) {
    impl_->f32 = make_network<float>(model, device, gpu_aware_mpi);
  } else {
    impl_->f64 = make_network<double>(model, device, gpu_aware_mpi);
  }
}

std::string NequipPotential::backend() const {
  return impl_->f32 ? impl_->f32->describe() : impl_->f64->describe();
}

NequipPotential::~NequipPotential() = default;

NequipPrecision NequipPotential::precision() const { return impl_->precision; }

double NequipPotential::cutoff() const { return impl_->model.r_max; }

std::vector<std::string> NequipPotential::species() const { return impl_->model.type_names; }

void NequipPotential::compute(const Box& /*box*/, Atoms& atoms, const NeighborList& list, HaloExchange& halo,
                              const ComputeRequest& request, ComputeResult& result) {
  if (impl_->f32) {
    impl_->compute(*impl_->f32, atoms, list, halo, request, result);
  } else {
    impl_->compute(*impl_->f64, atoms, list, halo, request, result);
  }
}

template <class Real>
void NequipPotential::Impl::compute(NequipNetwork<Real>& net, Atoms& atoms, const NeighborList& list,
                                    HaloExchange& halo, const ComputeRequest& request,
                                    ComputeResult& result) {
  const NequipModel& M = model;
  const int nl = atoms.nlocal, T = M.num_types;
  for (const int t : atoms.type)
    if (t < 0 || t >= T)
      throw std::runtime_error("nequip: atom type " + std::to_string(t) + " outside the model's " +
                               std::to_string(T) + " species; map the structure's species onto the model's");

  // Edges j -> i for owned centres i, within r_max (the list holds cutoff + skin).
  net.center.clear();
  net.neighbor.clear();
  vec.clear();
  const double rc2 = M.r_max * M.r_max;
  for (int i = 0; i < nl; ++i)
    for (int q = list.begin(i); q < list.end(i); ++q) {
      const int j = list.neighbors[un(q)];
      const Vec3 r = atoms.x[un(j)] - atoms.x[un(i)];
      if (r.squaredNorm() >= rc2) continue;
      net.center.push_back(i);
      net.neighbor.push_back(j);
      vec.insert(vec.end(), {r[0], r[1], r[2]});
    }
  const std::size_t E = net.center.size();
  if constexpr (std::is_same_v<Real, double>) {
    net.vec.swap(vec);  // the same array; swapped back below
  } else {
    net.vec.assign(vec.begin(), vec.end());
  }

  const Real* eraw = net.forward(atoms.type, nl, halo);
  const auto& S = M.per_species_scales;
  const auto& H = M.per_species_shifts;
  double energy = 0.0;
  if (request.per_atom_energy) result.atom_energy.assign(un(nl), 0.0);
  for (int i = 0; i < nl; ++i) {
    const std::size_t t = un(atoms.type[un(i)]);
    const double s = S.empty() ? 1.0 : S[S.size() == 1 ? 0 : t];
    const double b = H.empty() ? 0.0 : H[H.size() == 1 ? 0 : t];
    const double e = M.global_scale * (s * static_cast<double>(eraw[i]) + b);
    energy += e;
    if (request.per_atom_energy) result.atom_energy[un(i)] = e;
    net.ge[un(i)] = static_cast<Real>(M.global_scale * s);  // dE/de_raw
  }
  if (M.has_global_shift && halo.rank() == 0) energy += M.global_shift;  // once, not per rank
  result.energy = energy;

  const Real* gr = net.backward(atoms.type, nl, halo);
  if constexpr (std::is_same_v<Real, double>) net.vec.swap(vec);

  // dE/dr_e -> forces (F_centre += g, F_neighbour -= g) and the virial -sum r_e (x) g_e (symmetrised).
  Mat3 w = Mat3::Zero();
  for (std::size_t e = 0; e < E; ++e) {
    const Vec3 g(static_cast<double>(gr[3 * e]), static_cast<double>(gr[3 * e + 1]),
                 static_cast<double>(gr[3 * e + 2]));
    const Vec3 r(vec[3 * e], vec[3 * e + 1], vec[3 * e + 2]);
    atoms.f[un(net.center[e])] += g;
    atoms.f[un(net.neighbor[e])] -= g;
    w -= r * g.transpose();
  }
  if (request.virial) result.virial = 0.5 * (w + w.transpose());
}

}  // namespace e3md
