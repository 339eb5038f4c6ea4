// Time per NVE step of a classical potential (e3md side of run_vs_lammps.py).
// usage: e3md_classical_md_bench STRUCTURE.txt POTENTIAL.yaml STEPS
#include <mpi.h>

#include <cstdio>
#include <ctime>
#include <cstdlib>
#include <exception>

#include "engine/integrator.hpp"
#include "engine/simulation.hpp"
#include "io/potential_params.hpp"
#include "tests/classical/classical_test_util.hpp"

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rc = 0;
  try {
    if (argc != 4) throw std::runtime_error("usage: e3md_classical_md_bench STRUCTURE.txt POTENTIAL.yaml STEPS");
    const long steps = std::atol(argv[3]);
    const e3md::Structure s = e3md::test::read_structure_txt(argv[1]);
    e3md::Simulation sim(MPI_COMM_WORLD, s, e3md::load_classical_potential(argv[2]));
    e3md::VelocityVerlet nve(0.001);
    e3md::run(sim, nve, 10);  // warm-up: buffers reach their steady size
    const double e0 = sim.potential_energy() + sim.kinetic_energy();
    MPI_Barrier(MPI_COMM_WORLD);
    const double t0 = MPI_Wtime();
    const std::clock_t c0 = std::clock();
    e3md::run(sim, nve, steps);
    // CPU time of this process (rank 0): on a shared, oversubscribed machine it is steadier than wall time.
    const double cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
    MPI_Barrier(MPI_COMM_WORLD);
    const double t = MPI_Wtime() - t0;
    const double e1 = sim.potential_energy() + sim.kinetic_energy();
    if (sim.rank() == 0) {
      std::printf("E3MD_TIME_PER_STEP %.6e s E3MD_CPU_PER_STEP %.6e s  (N=%ld, steps=%ld, ranks=%d, neighbor builds=%ld, "
                  "dE=%.3e eV)\n", t / steps, cpu / steps, sim.natoms(), steps, sim.halo().size(),
                  sim.neighbor_builder().builds(), e1 - e0);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "e3md_classical_md_bench: error: %s\n", e.what());
    rc = 1;
  }
  MPI_Finalize();
  return rc;
}
