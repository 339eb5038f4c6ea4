#!/usr/bin/env python3
"""Time per NVE step of born/coul/dsf on a 10,240-atom beta-Li3PO4 crystal (8x8x10 cells, 600 K start,
alpha 0.25, short-range cutoff 6 Å, Coulomb cutoff 8 Å, skin 1 Å, dt 1 fs) in e3md and LAMMPS, same input,
same run, on 1 and 2 ranks; prints the ratio e3md/LAMMPS (target <= 1) of wall time per step and of CPU time
per step (rank 0's process CPU time for e3md; LAMMPS's loop time x its reported "% CPU use"), the latter
being the steadier number on a shared machine.

usage: run_vs_lammps.py BUILD_DIR [STEPS] [RANKS...]
"""
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "classical"))
import lammps_reference as ref  # noqa: E402

MPI = ["mpirun", "--allow-run-as-root", "--oversubscribe", "-np"]


def main():
    build = os.path.abspath(sys.argv[1])
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    ranks = [int(r) for r in sys.argv[3:]] or [1, 2]
    work = tempfile.mkdtemp(prefix="e3md_classical_bench_")
    species, pos, cell = ref.crystal((8, 8, 10))
    vel = ref.velocities(species, 600.0)
    ytext, pair_lines, charges = ref.potential("born", False)
    open(os.path.join(work, "potential.yaml"), "w").write(ytext)
    ref.write_structure(os.path.join(work, "structure.txt"), species, pos, cell, vel)
    ref.write_data(os.path.join(work, "data.lmp"), species, pos, cell, vel, charges)
    lines = ["units metal", "atom_style charge", "boundary p p p", "read_data data.lmp"] + pair_lines + [
        "neighbor 1.0 bin", "neigh_modify every 1 delay 0 check yes", "timestep 0.001", "fix 1 all nve",
        "thermo 100", "run 10", f"run {steps}"]
    open(os.path.join(work, "in.lmp"), "w").write("\n".join(lines) + "\n")
    exe = os.path.join(build, "benchmarks", "classical", "e3md_classical_md_bench")
    print(f"N = {len(species)} atoms, {steps} steps, work dir {work}")
    for n in ranks:
        out = subprocess.run(MPI + [str(n), exe, "structure.txt", "potential.yaml", str(steps)], cwd=work,
                             capture_output=True, text=True, check=True).stdout
        t_e3md = float(re.search(r"E3MD_TIME_PER_STEP (\S+)", out).group(1))
        c_e3md = float(re.search(r"E3MD_CPU_PER_STEP (\S+)", out).group(1))
        log = subprocess.run(MPI + [str(n), "lmp", "-in", "in.lmp", "-log", "none"], cwd=work,
                             capture_output=True, text=True, check=True).stdout
        loops = re.findall(r"Loop time of (\S+) on (\d+) procs for (\d+) steps", log)
        t_lmp = float(loops[-1][0]) / int(loops[-1][2])
        cpu_pct = float(re.findall(r"([\d.]+)% CPU use", log)[-1])
        c_lmp = t_lmp * cpu_pct / 100.0
        print(f"ranks {n}: wall e3md {t_e3md * 1e3:.1f} / LAMMPS {t_lmp * 1e3:.1f} ms/step = {t_e3md / t_lmp:.3f}; "
              f"CPU e3md {c_e3md * 1e3:.1f} / LAMMPS {c_lmp * 1e3:.1f} ms/step = {c_e3md / c_lmp:.3f}")


if __name__ == "__main__":
    main()
