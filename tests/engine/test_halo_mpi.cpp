// Distributed checks, run under 1, 2, 3, 4 and 8 ranks: every processor grid of the rank count is
// tried on each geometry, and every result is compared with the serial all-images brute force.
//
// Assertions are non-fatal (EXPECT) so that a failing rank still joins every collective; a rank whose
// check failed makes mpiexec, and so ctest, fail.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <memory>
#include <random>

#include "engine/decomposition.hpp"
#include "engine/field_space.hpp"
#if defined(E3MD_HAVE_CUDA)
#include "engine/field_space_cuda.hpp"
#include "kernels/cuda_launchers.hpp"
#endif
#include "engine/halo_exchange.hpp"
#include "engine/neighbor_builder.hpp"
#include "halo_test_support.hpp"
#include "tests/support/mpi_world.hpp"

namespace e3md {
namespace {

const auto* const kMpi = ::testing::AddGlobalTestEnvironment(new test::MpiEnvironment);

// Every ordered factorisation of n into three positive factors, plus {0,0,0} (automatic).
std::vector<std::array<int, 3>> all_grids(int n) {
  std::vector<std::array<int, 3>> out{{0, 0, 0}};
  for (int a = 1; a <= n; ++a)
    for (int b = 1; b <= n; ++b)
      if (n % (a * b) == 0) out.push_back({a, b, n / (a * b)});
  return out;
}

struct Geometry {
  const char* name;
  Box box;
  std::vector<Vec3> x;  // unwrapped input positions
  double cutoff;
  double skin;
};

Geometry make_geometry(int which) {
  std::mt19937_64 rng(1000 + static_cast<unsigned>(which));
  switch (which) {
    case 0: {  // random triclinic, ≥500 atoms
      Box box = test::random_triclinic(rng, Vec3(19.0, 17.0, 18.0), 0.4, {true, true, true});
      return {"triclinic", box,
              test::random_positions(rng, box, 560, Vec3::Constant(-0.5), Vec3::Constant(1.5)), 4.2, 0.4};
    }
    case 1: {  // one plane spacing below twice the cutoff
      Box box = test::random_triclinic(rng, Vec3(22.0, 20.0, 7.0), 0.3, {true, true, true});
      return {"narrow", box, test::random_positions(rng, box, 520, Vec3::Zero(), Vec3::Ones()), 4.5, 0.3};
    }
    case 2: {  // slab with vacuum, non-periodic along c
      Box box = test::random_triclinic(rng, Vec3(17.0, 16.0, 40.0), 0.3, {true, true, false});
      return {"slab", box, test::random_positions(rng, box, 540, Vec3(0.0, 0.0, 0.3), Vec3(1.0, 1.0, 0.72)),
              4.0, 0.5};
    }
    default: {  // cutoff larger than the whole cell: several images of each atom on every rank
      Box box = test::random_triclinic(rng, Vec3(5.0, 4.6, 5.4), 0.3, {true, true, true});
      return {"tiny", box, test::random_positions(rng, box, 24, Vec3::Zero(), Vec3::Ones()), 6.5, 0.3};
    }
  }
}

struct Distributed {
  std::unique_ptr<HaloExchange> halo;
  Atoms atoms;
};

Distributed distribute(const Geometry& g, const std::array<int, 3>& grid, double ghost_cutoff) {
  Distributed d;
  d.halo = std::make_unique<HaloExchange>(MPI_COMM_WORLD, g.box, grid);
  d.halo->set_ghost_cutoff(ghost_cutoff);
  std::vector<AtomId> ids(g.x.size());
  std::vector<int> types(g.x.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    ids[i] = static_cast<AtomId>(i);
    types[i] = static_cast<int>(i % 3);
  }
  d.halo->distribute(ids, types, g.x, {}, {}, d.atoms);
  d.halo->exchange(d.atoms);
  d.halo->borders(d.atoms);
  return d;
}

// Owned positions of all ranks, by id (each rank contributes its own atoms).
std::vector<Vec3> gather_by_id(const Atoms& atoms, const std::vector<Vec3>& field, int natoms,
                               MPI_Comm comm) {
  std::vector<double> flat(3 * static_cast<std::size_t>(natoms), 0.0);
  for (int i = 0; i < atoms.nlocal; ++i) {
    const auto id = static_cast<std::size_t>(atoms.id[static_cast<std::size_t>(i)]);
    for (int k = 0; k < 3; ++k)
      flat[3 * id + static_cast<std::size_t>(k)] = field[static_cast<std::size_t>(i)][k];
  }
  MPI_Allreduce(MPI_IN_PLACE, flat.data(), static_cast<int>(flat.size()), MPI_DOUBLE, MPI_SUM, comm);
  std::vector<Vec3> out(static_cast<std::size_t>(natoms));
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = Vec3(flat[3 * i], flat[3 * i + 1], flat[3 * i + 2]);
  return out;
}

// How many ranks own each id (must be exactly one).
std::vector<int> owner_counts(const Atoms& atoms, int natoms, MPI_Comm comm) {
  std::vector<int> count(static_cast<std::size_t>(natoms), 0);
  for (int i = 0; i < atoms.nlocal; ++i)
    ++count[static_cast<std::size_t>(atoms.id[static_cast<std::size_t>(i)])];
  MPI_Allreduce(MPI_IN_PLACE, count.data(), natoms, MPI_INT, MPI_SUM, comm);
  return count;
}

// Pair sets of all ranks gathered and sorted.
std::vector<test::PairKey> gather_pairs(const std::vector<test::PairKey>& mine, MPI_Comm comm) {
  std::vector<long long> flat;
  for (const auto& p : mine) {
    flat.push_back(std::get<0>(p));
    flat.push_back(std::get<1>(p));
    flat.push_back(std::get<2>(p));
    flat.push_back(std::get<3>(p));
    flat.push_back(std::get<4>(p));
  }
  int n = static_cast<int>(flat.size()), size = 1;
  MPI_Comm_size(comm, &size);
  std::vector<int> counts(static_cast<std::size_t>(size)), displs(static_cast<std::size_t>(size) + 1, 0);
  MPI_Allgather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, comm);
  for (std::size_t r = 0; r < counts.size(); ++r) displs[r + 1] = displs[r] + counts[r];
  std::vector<long long> all(static_cast<std::size_t>(displs.back()));
  MPI_Allgatherv(flat.data(), n, MPI_LONG_LONG, all.data(), counts.data(), displs.data(), MPI_LONG_LONG,
                 comm);
  std::vector<test::PairKey> out;
  for (std::size_t q = 0; q < all.size(); q += 5) {
    out.emplace_back(all[q], all[q + 1], static_cast<int>(all[q + 2]), static_cast<int>(all[q + 3]),
                     static_cast<int>(all[q + 4]));
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The serial brute force, its rows shared among the ranks and the results combined on every rank.
struct Reference {
  std::vector<Vec3> x;  // owned positions by id the reference was computed for
  double energy = 0.0;
  std::vector<Vec3> forces;
  std::vector<test::PairKey> half, full;

  Reference(const Geometry& g, const std::vector<Vec3>& x_by_id, const test::SoftRepulsion& pot, bool pairs)
      : x(x_by_id) {
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    double e = test::brute_forces(g.box, x, pot, forces, rank, size);
    MPI_Allreduce(&e, &energy, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    std::vector<double> flat(3 * forces.size());
    for (std::size_t i = 0; i < forces.size(); ++i)
      for (int k = 0; k < 3; ++k) flat[3 * i + static_cast<std::size_t>(k)] = forces[i][k];
    // Each row was summed whole by one rank, so the sum over ranks adds only zeros to it.
    MPI_Allreduce(MPI_IN_PLACE, flat.data(), static_cast<int>(flat.size()), MPI_DOUBLE, MPI_SUM,
                  MPI_COMM_WORLD);
    for (std::size_t i = 0; i < forces.size(); ++i)
      forces[i] = Vec3(flat[3 * i], flat[3 * i + 1], flat[3 * i + 2]);
    if (pairs) {
      half = gather_pairs(test::brute_pairs(g.box, x, g.cutoff + g.skin, true, rank, size), MPI_COMM_WORLD);
      full = gather_pairs(test::brute_pairs(g.box, x, g.cutoff + g.skin, false, rank, size), MPI_COMM_WORLD);
    }
  }
};

// The reference for the first grid; later grids must reproduce the same owned positions bit for bit
// (wrapping does not depend on the grid), so the reference is reused for them.
const Reference& reference_for(std::unique_ptr<Reference>& ref, const Geometry& g,
                               const std::vector<Vec3>& x_by_id, const test::SoftRepulsion& pot, bool pairs) {
  if (!ref) ref = std::make_unique<Reference>(g, x_by_id, pot, pairs);
  EXPECT_TRUE(ref->x == x_by_id) << "owned positions depend on the processor grid";
  return *ref;
}

double max_norm(const std::vector<Vec3>& v) {
  double m = 0.0;
  for (const Vec3& a : v) m = std::max(m, a.norm());
  return m;
}

// Forces and energy from a distributed list of the given kind, gathered by id.
double distributed_forces(Distributed& d, const Geometry& g, const test::SoftRepulsion& pot,
                          NeighborKind kind, std::vector<Vec3>& forces) {
  NeighborBuilder builder(g.cutoff, g.skin);
  NeighborList list;
  builder.build(g.box, d.atoms, kind, list);
  double e = test::list_forces(d.atoms, list, pot);
  if (kind == NeighborKind::Half) d.halo->reverse_forces(d.atoms);
  forces = gather_by_id(d.atoms, d.atoms.f, static_cast<int>(g.x.size()), d.halo->comm());
  return d.halo->allreduce_sum(e);
}

// Ghosts this rank must hold by geometry: every image of every atom whose fractional position lies in
// the subdomain grown by the ghost shell on each side (no growth past a non-periodic edge), minus the
// atoms this rank owns.
long predicted_ghosts(const HaloExchange& halo, const Box& box, const std::vector<Vec3>& x_by_id,
                      const std::vector<int>& owned_here, double ghost_cutoff) {
  long count = 0;
  for (const Vec3i& n : test::image_range(box, ghost_cutoff)) {
    for (std::size_t i = 0; i < x_by_id.size(); ++i) {
      if (n.isZero() && owned_here[i]) continue;
      const Vec3 xg = x_by_id[i] + box.shift(n);
      bool inside = true;
      for (int k = 0; k < 3 && inside; ++k) {
        const double s = box.inverse().col(k).dot(xg);
        const double cut = ghost_cutoff / box.plane_spacing(k);
        const bool lower_edge = !box.periodic(k) && halo.coords()[static_cast<std::size_t>(k)] == 0;
        const bool upper_edge = !box.periodic(k) && halo.coords()[static_cast<std::size_t>(k)] ==
                                                        halo.grid()[static_cast<std::size_t>(k)] - 1;
        inside = (lower_edge || s >= halo.lo(k) - cut) && (upper_edge || s < halo.hi(k) + cut);
      }
      if (inside) ++count;
    }
  }
  return count;
}

class HaloGeometry : public ::testing::TestWithParam<int> {};

TEST_P(HaloGeometry, ForcesGhostCountsAndPairSetsMatchBruteForce) {
  const Geometry g = make_geometry(GetParam());
  const int natoms = static_cast<int>(g.x.size());
  const test::SoftRepulsion pot{1.3, g.cutoff};
  // The serial reference uses the owned (wrapped) positions gathered by id from the decomposition.
  std::unique_ptr<Reference> ref_ptr;
  double worst_rel_force = 0.0, worst_rel_energy = 0.0;  // over grids and list kinds, for the log
  for (const auto& grid : all_grids(test::world_size())) {
    SCOPED_TRACE(std::string(g.name) + " grid " + std::to_string(grid[0]) + "x" + std::to_string(grid[1]) +
                 "x" + std::to_string(grid[2]));
    Distributed d = distribute(g, grid, g.cutoff + g.skin);
    const auto counts = owner_counts(d.atoms, natoms, d.halo->comm());
    EXPECT_TRUE(std::all_of(counts.begin(), counts.end(), [](int c) { return c == 1; }))
        << "each atom owned once";
    const auto x_by_id = gather_by_id(d.atoms, d.atoms.x, natoms, d.halo->comm());

    // Ghost count against the geometry.
    std::vector<int> owned_here(static_cast<std::size_t>(natoms), 0);
    for (int i = 0; i < d.atoms.nlocal; ++i)
      owned_here[static_cast<std::size_t>(d.atoms.id[static_cast<std::size_t>(i)])] = 1;
    EXPECT_EQ(d.atoms.nghost, predicted_ghosts(*d.halo, g.box, x_by_id, owned_here, g.cutoff + g.skin));

    const Reference& ref = reference_for(ref_ptr, g, x_by_id, pot, true);
    const std::vector<Vec3>& f_ref = ref.forces;
    const double e_ref = ref.energy;
    const double fscale = max_norm(f_ref);
    ASSERT_GT(fscale, 0.0);
    for (NeighborKind kind : {NeighborKind::Half, NeighborKind::Full}) {
      std::vector<Vec3> f;
      const double e = distributed_forces(d, g, pot, kind, f);
      EXPECT_NEAR(e, e_ref, 1e-12 * std::abs(e_ref)) << (kind == NeighborKind::Half ? "half" : "full");
      double worst = 0.0;
      for (int i = 0; i < natoms; ++i)
        worst = std::max(worst, (f[static_cast<std::size_t>(i)] - f_ref[static_cast<std::size_t>(i)]).norm());
      EXPECT_LE(worst, 1e-12 * fscale)
          << (kind == NeighborKind::Half ? "half" : "full") << " max |ΔF| / max |F|";
      worst_rel_force = std::max(worst_rel_force, worst / fscale);
      worst_rel_energy = std::max(worst_rel_energy, std::abs(e - e_ref) / std::abs(e_ref));
    }

    // Pair sets across all ranks equal the brute force exactly (the half list holds each pair once).
    NeighborBuilder builder(g.cutoff, g.skin);
    for (NeighborKind kind : {NeighborKind::Half, NeighborKind::Full}) {
      NeighborList list;
      builder.build(g.box, d.atoms, kind, list);
      const auto got = gather_pairs(test::list_pairs(d.atoms, list), d.halo->comm());
      const auto& want = kind == NeighborKind::Half ? ref.half : ref.full;
      EXPECT_EQ(got.size(), want.size());
      EXPECT_TRUE(got == want) << "pair sets differ";
    }
  }
  if (test::world_rank() == 0) {
    std::printf("[ measured ] %s on %d ranks: max |dF|/max|F| = %.2e, |dE|/|E| = %.2e\n", g.name,
                test::world_size(), worst_rel_force, worst_rel_energy);
  }
}

TEST_P(HaloGeometry, ForwardAndReverseOfGenericFields) {
  const Geometry g = make_geometry(GetParam());
  const int natoms = static_cast<int>(g.x.size());
  for (const auto& grid : all_grids(test::world_size())) {
    SCOPED_TRACE(std::string(g.name) + " grid " + std::to_string(grid[0]) + "x" + std::to_string(grid[1]) +
                 "x" + std::to_string(grid[2]));
    Distributed d = distribute(g, grid, g.cutoff + g.skin);
    const int n = d.atoms.ntotal();
    // Forward: ghost value equals the owner value exactly, for both precisions and several widths.
    for (int width : {1, 3, 7}) {
      std::vector<double> fd(static_cast<std::size_t>(n * width), -1.0);
      std::vector<float> ff(static_cast<std::size_t>(n * width), -1.0f);
      for (int i = 0; i < d.atoms.nlocal; ++i) {
        for (int c = 0; c < width; ++c) {
          const double v = 0.37 * static_cast<double>(d.atoms.id[static_cast<std::size_t>(i)]) + 0.011 * c;
          fd[static_cast<std::size_t>(i * width + c)] = v;
          ff[static_cast<std::size_t>(i * width + c)] = static_cast<float>(v);
        }
      }
      d.halo->forward(fd.data(), width);
      d.halo->forward(ff.data(), width);
      int bad = 0;
      for (int i = d.atoms.nlocal; i < n; ++i) {
        for (int c = 0; c < width; ++c) {
          const double v = 0.37 * static_cast<double>(d.atoms.id[static_cast<std::size_t>(i)]) + 0.011 * c;
          bad += fd[static_cast<std::size_t>(i * width + c)] != v;
          bad += ff[static_cast<std::size_t>(i * width + c)] != static_cast<float>(v);
        }
      }
      EXPECT_EQ(bad, 0) << "width " << width;
    }
    // Reverse of ones: each owner receives one per ghost copy of itself anywhere, ghosts untouched.
    std::vector<int> copies(static_cast<std::size_t>(natoms), 0);
    for (int i = d.atoms.nlocal; i < n; ++i)
      ++copies[static_cast<std::size_t>(d.atoms.id[static_cast<std::size_t>(i)])];
    MPI_Allreduce(MPI_IN_PLACE, copies.data(), natoms, MPI_INT, MPI_SUM, d.halo->comm());
    for (int width : {2, 5}) {
      std::vector<double> rd(static_cast<std::size_t>(n * width), 1.0);
      std::vector<float> rf(static_cast<std::size_t>(n * width), 1.0f);
      d.halo->reverse(rd.data(), width);
      d.halo->reverse(rf.data(), width);
      int bad = 0;
      for (int i = 0; i < n; ++i) {
        const double want =
            i < d.atoms.nlocal
                ? 1.0 + copies[static_cast<std::size_t>(d.atoms.id[static_cast<std::size_t>(i)])]
                : 1.0;
        for (int c = 0; c < width; ++c) {
          bad += rd[static_cast<std::size_t>(i * width + c)] != want;
          bad += rf[static_cast<std::size_t>(i * width + c)] != static_cast<float>(want);
        }
      }
      EXPECT_EQ(bad, 0) << "width " << width;
    }
    // Bytes: a forward of width w sends w values per atom of every swap that leaves the rank.
    long long expected = 0;
    d.halo->reset_bytes_sent();
    std::vector<double> probe(static_cast<std::size_t>(n * 4), 0.0);
    d.halo->forward(probe.data(), 4);
    for (int s = 0; s < d.halo->num_swaps(); ++s) expected += d.halo->swap_send_count(s);
    if (test::world_size() == 1) expected = 0;  // only self-swaps
    if (test::world_size() > 1) {
      // Self-swaps (a single subdomain along a periodic axis) copy in memory; exclude them.
      long long self = 0;
      int first = 0;
      for (int k = 0; k < 3; ++k) {
        const double cut = (g.cutoff + g.skin) / g.box.plane_spacing(k);
        const int swaps =
            2 * swaps_needed(cut, d.halo->grid()[static_cast<std::size_t>(k)], g.box.periodic(k));
        if (d.halo->grid()[static_cast<std::size_t>(k)] == 1) {
          for (int s = first; s < first + swaps; ++s) self += d.halo->swap_send_count(s);
        }
        first += swaps;
      }
      EXPECT_EQ(first, d.halo->num_swaps());
      expected -= self;
    }
    EXPECT_EQ(d.halo->bytes_sent(), static_cast<std::uint64_t>(expected * 4 * 8));
  }
}

// The exchange in halves (messages in flight while the caller works on owned rows) gives what the blocking
// one gives: forward bit for bit; reverse with the caller's additions to owned rows made in between.
TEST_P(HaloGeometry, StartedExchangesEqualBlockingOnes) {
  const Geometry g = make_geometry(GetParam());
  for (const auto& grid : all_grids(test::world_size())) {
    SCOPED_TRACE(std::string(g.name) + " grid " + std::to_string(grid[0]) + "x" + std::to_string(grid[1]) +
                 "x" + std::to_string(grid[2]));
    Distributed d = distribute(g, grid, g.cutoff + g.skin);
    const int n = d.atoms.ntotal(), nl = d.atoms.nlocal, width = 5;
    std::vector<double> a(static_cast<std::size_t>(n * width), -1.0);
    for (int i = 0; i < nl; ++i)
      for (int c = 0; c < width; ++c)
        a[static_cast<std::size_t>(i * width + c)] =
            0.37 * static_cast<double>(d.atoms.id[static_cast<std::size_t>(i)]) - 0.3 * c;
    std::vector<double> b = a;
    d.halo->forward(a.data(), width);
    d.halo->forward_start(b.data(), width);
    d.halo->progress();
    d.halo->forward_finish(b.data(), width);
    EXPECT_EQ(a, b);

    for (std::size_t q = 0; q < a.size(); ++q) a[q] = b[q] = 0.001 * static_cast<double>(q % 97) + 1.0;
    d.halo->reverse(a.data(), width);
    d.halo->reverse_start(b.data(), width);
    for (int q = 0; q < nl * width; ++q) b[static_cast<std::size_t>(q)] += 0.5;  // owned rows, in between
    d.halo->progress();
    d.halo->reverse_finish(b.data(), width);
    double worst = 0.0;
    for (int q = 0; q < n * width; ++q) {
      const double want = a[static_cast<std::size_t>(q)] + (q < nl * width ? 0.5 : 0.0);
      worst = std::max(worst, std::abs(b[static_cast<std::size_t>(q)] - want));
    }
    EXPECT_LT(worst, 1e-12);  // the same sums, added in another order

    // Misuse is refused: a finish without its start, a second start, a rebuild while in flight.
    EXPECT_THROW(d.halo->forward_finish(b.data(), width), std::logic_error);
    d.halo->forward_start(b.data(), width);
    EXPECT_THROW(d.halo->reverse_start(b.data(), width), std::logic_error);
    EXPECT_THROW(d.halo->forward_finish(b.data(), width + 1), std::logic_error);
    EXPECT_THROW(d.halo->borders(d.atoms), std::logic_error);
    d.halo->forward_finish(b.data(), width);
  }
}

// Runs `exchange` on a copy of `host` in the space's memory and copies the result back.
template <class Real, class F>
void in_space(FieldSpace& space, std::vector<Real>& host, F exchange) {
  const std::size_t bytes = host.size() * sizeof(Real);
  auto* p = static_cast<Real*>(space.allocate(bytes));
  space.to_space(p, host.data(), bytes);
  exchange(p);
  space.to_host(host.data(), p, bytes);
  space.release(p);
}

// Every FieldSpace backend built, in every MPI mode it can use here: host memory with MPI handed the space's
// buffers or staged; with CUDA and a GPU, device memory staged, and direct where the MPI library reads it.
std::vector<std::unique_ptr<FieldSpace>> all_spaces() {
  std::vector<std::unique_ptr<FieldSpace>> out;
  out.push_back(std::make_unique<HostFieldSpace>(true));
  out.push_back(std::make_unique<HostFieldSpace>(false));
#if defined(E3MD_HAVE_CUDA)
  if (kernels::cuda::device_count() > 0) {
    out.push_back(std::make_unique<CudaFieldSpace>(GpuAwareMpi::kStaged));
    if (mpi_reads_cuda_memory()) out.push_back(std::make_unique<CudaFieldSpace>(GpuAwareMpi::kDirect));
  }
#endif
  return out;
}

// A field in a FieldSpace (device memory) goes through the same swaps with the space's own packing kernels:
// every backend in both MPI modes gives the host exchange's ghosts bit for bit and its sums, leaves the
// caller's ghost rows alone in a reverse, stages exactly the bytes that travel (none when MPI is handed the
// buffers), and follows a rebuild of the ghost lists (sendlists uploaded again).
TEST_P(HaloGeometry, FieldSpaceExchangesEqualHostOnes) {
  const Geometry g = make_geometry(GetParam());
  for (const auto& grid : all_grids(test::world_size())) {
    SCOPED_TRACE(std::string(g.name) + " grid " + std::to_string(grid[0]) + "x" + std::to_string(grid[1]) +
                 "x" + std::to_string(grid[2]));
    for (const auto& space_ptr : all_spaces()) {
      FieldSpace& space = *space_ptr;
      SCOPED_TRACE(space.name());
      Distributed d = distribute(g, grid, g.cutoff + g.skin);
      for (int round = 0; round < 2; ++round) {
        if (round == 1) {  // move every atom and rebuild: other sendlists, other ghost blocks
          for (int i = 0; i < d.atoms.nlocal; ++i)
            d.atoms.x[static_cast<std::size_t>(i)] += Vec3(0.9, -0.7, 0.4);
          d.halo->exchange(d.atoms);
          d.halo->borders(d.atoms);
        }
        const int n = d.atoms.ntotal(), nl = d.atoms.nlocal, width = 6;
        std::vector<double> a(static_cast<std::size_t>(n * width), -1.0);
        std::vector<float> af(a.size(), -1.0f);
        for (int i = 0; i < nl; ++i)
          for (int c = 0; c < width; ++c) {
            const double v =
                0.37 * static_cast<double>(d.atoms.id[static_cast<std::size_t>(i)]) + 0.1 * round - 0.3 * c;
            a[static_cast<std::size_t>(i * width + c)] = v;
            af[static_cast<std::size_t>(i * width + c)] = static_cast<float>(v);
          }
        std::vector<double> b = a;
        std::vector<float> bf = af;
        d.halo->reset_bytes_sent();
        space.reset_staged_bytes();
        d.halo->forward(a.data(), width);
        d.halo->forward(af.data(), width);
        const std::uint64_t host_forward_bytes = d.halo->bytes_sent();
        d.halo->reset_bytes_sent();
        in_space(space, b, [&](double* p) { d.halo->forward(space, p, width); });
        in_space(space, bf, [&](float* p) { d.halo->forward(space, p, width); });
        EXPECT_EQ(a, b);
        EXPECT_EQ(af, bf);
        EXPECT_EQ(d.halo->bytes_sent(), host_forward_bytes);

        for (std::size_t q = 0; q < a.size(); ++q) a[q] = b[q] = 0.001 * static_cast<double>(q % 97) + 1.0;
        const std::vector<double> before = b;
        std::uint64_t space_bytes = d.halo->bytes_sent();
        d.halo->reverse(a.data(), width);
        d.halo->reset_bytes_sent();
        in_space(space, b, [&](double* p) { d.halo->reverse(space, p, width); });
        space_bytes += d.halo->bytes_sent();
        double worst = 0.0;
        for (int q = 0; q < nl * width; ++q)
          worst = std::max(worst, std::abs(b[static_cast<std::size_t>(q)] - a[static_cast<std::size_t>(q)]));
        EXPECT_LT(worst, 1e-12);  // the same sums; the host's split exchange may add them in another order
        EXPECT_TRUE(std::equal(b.begin() + nl * width, b.end(), before.begin() + nl * width));

        // Staging copies each message out on its sender and in on its receiver: over all ranks, twice the
        // bytes sent (forward of double and float, reverse of double). Direct hands MPI the space's buffers.
        std::uint64_t totals[2] = {space_bytes, space.staged_bytes()};
        MPI_Allreduce(MPI_IN_PLACE, totals, 2, MPI_UINT64_T, MPI_SUM, d.halo->comm());
        EXPECT_EQ(totals[1], space.mpi_direct() ? 0 : 2 * totals[0]);
        if (const auto* host = dynamic_cast<const HostFieldSpace*>(&space); host && d.halo->num_swaps() > 0) {
          EXPECT_GT(host->kernel_calls(), 0);
        }
      }
      std::vector<double> probe(static_cast<std::size_t>(d.atoms.ntotal()), 0.0);
      d.halo->forward_start(probe.data(), 1);
      EXPECT_THROW(d.halo->reverse(space, probe.data(), 1), std::logic_error)
          << "a device exchange while another is in flight must be refused";
      d.halo->forward_finish(probe.data(), 1);
    }
  }
}

TEST_P(HaloGeometry, MigrationKeepsEveryAtomOnceWithImageCounters) {
  Geometry g = make_geometry(GetParam());
  const int natoms = static_cast<int>(g.x.size());
  const test::SoftRepulsion pot{1.3, g.cutoff};
  std::unique_ptr<Reference> ref_ptr;
  for (const auto& grid : all_grids(test::world_size())) {
    SCOPED_TRACE(std::string(g.name) + " grid " + std::to_string(grid[0]) + "x" + std::to_string(grid[1]) +
                 "x" + std::to_string(grid[2]));
    Distributed d = distribute(g, grid, g.cutoff + g.skin);
    const auto unwrapped0 = [&] {
      std::vector<Vec3> u(static_cast<std::size_t>(d.atoms.nlocal));
      for (int i = 0; i < d.atoms.nlocal; ++i)
        u[static_cast<std::size_t>(i)] =
            g.box.unwrap(d.atoms.x[static_cast<std::size_t>(i)], d.atoms.image[static_cast<std::size_t>(i)]);
      return gather_by_id(d.atoms, u, natoms, d.halo->comm());
    }();
    // Random displacements up to 1.6 cell lengths along periodic axes (several subdomains), and within
    // the slab's vacuum along a non-periodic one; the same on every rank, keyed by id.
    std::mt19937_64 rng(77);
    std::uniform_real_distribution<double> u(-1.6, 1.6);
    std::vector<Vec3> ds(static_cast<std::size_t>(natoms));
    for (auto& s : ds) {
      s = Vec3(u(rng), u(rng), u(rng));
      for (int k = 0; k < 3; ++k)
        if (!g.box.periodic(k)) s[k] *= 0.1;
    }
    for (int i = 0; i < d.atoms.nlocal; ++i) {
      const auto ui = static_cast<std::size_t>(i);
      d.atoms.x[ui] += g.box.to_cartesian(ds[static_cast<std::size_t>(d.atoms.id[ui])]);
      d.atoms.v[ui] = Vec3(1.0, 2.0, 3.0) * static_cast<double>(d.atoms.id[ui]);
    }
    d.halo->exchange(d.atoms);
    const auto counts = owner_counts(d.atoms, natoms, d.halo->comm());
    EXPECT_TRUE(std::all_of(counts.begin(), counts.end(), [](int c) { return c == 1; }))
        << "each atom owned once";
    int misplaced = 0, badv = 0;
    std::vector<Vec3> u1(static_cast<std::size_t>(d.atoms.nlocal));
    for (int i = 0; i < d.atoms.nlocal; ++i) {
      const auto ui = static_cast<std::size_t>(i);
      const Vec3 s = g.box.to_fractional(d.atoms.x[ui]);
      for (int k = 0; k < 3; ++k) {
        misplaced += owner_coord(s[k], d.halo->grid()[static_cast<std::size_t>(k)]) !=
                     d.halo->coords()[static_cast<std::size_t>(k)];
      }
      badv += d.atoms.v[ui] != Vec3(1.0, 2.0, 3.0) * static_cast<double>(d.atoms.id[ui]);
      u1[ui] = g.box.unwrap(d.atoms.x[ui], d.atoms.image[ui]);
    }
    EXPECT_EQ(misplaced, 0);
    EXPECT_EQ(badv, 0) << "velocities travel with their atoms";
    const auto unwrapped1 = gather_by_id(d.atoms, u1, natoms, d.halo->comm());
    double worst = 0.0;
    for (int i = 0; i < natoms; ++i) {
      const auto ui = static_cast<std::size_t>(i);
      worst = std::max(worst, (unwrapped1[ui] - unwrapped0[ui] - g.box.to_cartesian(ds[ui])).norm());
    }
    EXPECT_LE(worst, 1e-12 * 100.0) << "unwrapped positions must not change (Å)";

    // The migrated system still gives brute-force forces.
    d.halo->borders(d.atoms);
    const auto x_by_id = gather_by_id(d.atoms, d.atoms.x, natoms, d.halo->comm());
    const Reference& ref = reference_for(ref_ptr, g, x_by_id, pot, false);
    const std::vector<Vec3>& f_ref = ref.forces;
    const double e_ref = ref.energy;
    std::vector<Vec3> f;
    const double e = distributed_forces(d, g, pot, NeighborKind::Half, f);
    EXPECT_NEAR(e, e_ref, 1e-12 * std::abs(e_ref));
    double fworst = 0.0;
    for (int i = 0; i < natoms; ++i)
      fworst = std::max(fworst, (f[static_cast<std::size_t>(i)] - f_ref[static_cast<std::size_t>(i)]).norm());
    EXPECT_LE(fworst, 1e-12 * max_norm(f_ref));
  }
}

TEST_P(HaloGeometry, ForwardPositionsAndRebuildCriterion) {
  const Geometry g = make_geometry(GetParam());
  const int natoms = static_cast<int>(g.x.size());
  const test::SoftRepulsion pot{1.3, g.cutoff};
  Distributed d = distribute(g, {0, 0, 0}, g.cutoff + g.skin);
  NeighborBuilder builder(g.cutoff, g.skin);
  NeighborList list;
  builder.build(g.box, d.atoms, NeighborKind::Half, list);
  EXPECT_FALSE(builder.needs_rebuild(d.atoms, d.halo->comm()));
  // Moves below skin/2: ghosts refreshed by forward_positions, the old list still gives exact forces.
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::vector<Vec3> dx(static_cast<std::size_t>(natoms));
  for (auto& v : dx) v = Vec3(u(rng), u(rng), u(rng)).normalized() * (0.49 * g.skin) * std::abs(u(rng));
  for (int i = 0; i < d.atoms.nlocal; ++i)
    d.atoms.x[static_cast<std::size_t>(i)] +=
        dx[static_cast<std::size_t>(d.atoms.id[static_cast<std::size_t>(i)])];
  d.halo->forward_positions(d.atoms);
  EXPECT_FALSE(builder.needs_rebuild(d.atoms, d.halo->comm()));
  const auto x_by_id = gather_by_id(d.atoms, d.atoms.x, natoms, d.halo->comm());
  int bad = 0;
  for (int j = d.atoms.nlocal; j < d.atoms.ntotal(); ++j) {
    const auto uj = static_cast<std::size_t>(j);
    bad += d.atoms.x[uj] !=
           x_by_id[static_cast<std::size_t>(d.atoms.id[uj])] + g.box.shift(d.atoms.ghost_shift[uj]);
  }
  EXPECT_EQ(bad, 0) << "ghost x must be owner x + shift exactly";
  const Reference ref(g, x_by_id, pot, false);
  const std::vector<Vec3>& f_ref = ref.forces;
  const double e_ref = ref.energy;
  const double e = d.halo->allreduce_sum(test::list_forces(d.atoms, list, pot));
  d.halo->reverse_forces(d.atoms);
  const auto f = gather_by_id(d.atoms, d.atoms.f, natoms, d.halo->comm());
  double worst = 0.0;
  for (int i = 0; i < natoms; ++i)
    worst = std::max(worst, (f[static_cast<std::size_t>(i)] - f_ref[static_cast<std::size_t>(i)]).norm());
  EXPECT_NEAR(e, e_ref, 1e-12 * std::abs(e_ref));
  EXPECT_LE(worst, 1e-12 * max_norm(f_ref));
  // One atom on the last rank moving past skin/2 makes every rank rebuild.
  // (the last rank that owns any atom: with vacuum, some subdomains may be empty)
  int mover = d.atoms.nlocal > 0 ? d.halo->rank() : -1;
  MPI_Allreduce(MPI_IN_PLACE, &mover, 1, MPI_INT, MPI_MAX, d.halo->comm());
  // A move of one skin is at least 0.51 skin from the reference whatever the earlier move was.
  if (d.halo->rank() == mover) d.atoms.x[0] += Vec3(0.0, g.skin, 0.0);
  EXPECT_TRUE(builder.needs_rebuild(d.atoms, d.halo->comm()));
}

INSTANTIATE_TEST_SUITE_P(Geometries, HaloGeometry, ::testing::Values(0, 1, 2, 3),
                         [](const ::testing::TestParamInfo<int>& param_info) {
                           return std::string(make_geometry(param_info.param).name);
                         });

}  // namespace
}  // namespace e3md
