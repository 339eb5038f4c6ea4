#!/usr/bin/env python3
"""The shipped demo model's MD is stable: amorphous Li30P10O33N5 (the demo's composition and density) made by a
short melt-quench with the model itself, equilibrated at 900 K (Langevin), then 20 ps of NVE at 1 fs on 2 ranks.

Checks: no atom lost, every position and velocity finite, no two atoms closer than 0.8 Å in any frame (no collapse:
the closest pairs of the classical teacher's 900 K liquid are at ~1.3 Å, P-O), the temperature stays a 900 K liquid's
(mean 600-1200 K over the NVE run), and the total energy is conserved: drift (slope of a least-squares line through
E_total(t)) and its largest excursion from the start, per atom, printed and bounded. The bound, 1 meV/atom/ps, is
an order of magnitude above what velocity Verlet at 1 fs gives on a smooth potential (it fails on a model whose
energy surface is rough or whose forces are not its energy's gradient) and far below a blow-up (eV/atom).

    test_nve_stability.py --e3md E3MD --mpiexec "mpiexec -np N ..." --work DIR [--nve-ps 20]
"""
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "run"))
from run_support import ROOT, check, read_trajectory, script_setup  # noqa: E402

MODEL = ROOT / "inputs" / "models" / "demo_lipon.h5"
DRIFT_BOUND = 1.0  # meV/atom/ps
MIN_DISTANCE = 0.8  # Å


def min_distance(pos, box):
    """Smallest minimum-image distance of one frame (orthorhombic or triclinic cell rows in `box`)."""
    cell = np.asarray(box)
    if cell.ndim == 1:
        cell = np.diag(cell)
    inv = np.linalg.inv(cell)
    d = pos[:, None, :] - pos[None, :, :]
    frac = d @ inv
    frac -= np.round(frac)
    r = np.linalg.norm(frac @ cell, axis=-1)
    r[np.diag_indices(len(pos))] = np.inf
    return float(r.min())


def main():
    args, work, run = script_setup(mpi=True, extra=[("--nve-ps", {"type": float, "default": 20.0})])
    steps = int(round(args.nve_ps * 1000))
    deck = work / "deck.yaml"
    deck.write_text(f"""system:
  build: {{amorphous: {{composition: Li3PO3.3N0.5, units: 1, density: 2.3, seed: 29}}}}
potential:
  model: {MODEL}
seed: 929
velocities: {{temperature: 900}}
stages:
  - {{name: relax, type: minimize, force_tolerance: 0.1, max_iterations: 200}}
  - {{name: melt, type: nvt, timestep: 0.001, temperature: 2000, duration: 1.0,
     thermostat: {{kind: langevin, damping: 0.05}}}}
  - {{name: quench, type: nvt, timestep: 0.001, temperature: {{start: 2000, end: 900, rate: 2000}},
     thermostat: {{kind: langevin, damping: 0.1}}}}
  - {{name: equilibrate, type: nvt, timestep: 0.001, temperature: 900, duration: 1.0,
     thermostat: {{kind: langevin, damping: 0.1}}}}
  - {{name: nve, type: nve, timestep: 0.001, steps: {steps}}}
output:
  directory: {work / 'out'}
  trajectory: {{file: nve.h5md, every: 20}}
  thermo: 2000
""")
    p = run.run(["run", deck], args.ranks, timeout=1800)
    check("run finished" in p.stdout, f"{steps} NVE steps after the melt-quench ran on {args.ranks} ranks")

    traj = read_trajectory(work / "out" / "nve.h5md")
    n_atoms = traj["position"].shape[1]
    check(n_atoms == 78, f"all 78 atoms in every frame ({traj['position'].shape[0]} frames)")
    check(np.all(np.isfinite(traj["position"])) and np.all(np.isfinite(traj["velocity"])),
          "positions and velocities finite in every frame")
    closest = min(min_distance(traj["position"][k], traj["box"][k]) for k in range(traj["frames"]))
    check(closest > MIN_DISTANCE, f"closest approach over the run {closest:.3f} Å > {MIN_DISTANCE} Å")

    step, time = traj["step"], traj["time"]
    nve = step >= step.max() - steps
    t = time[nve] - time[nve][0]
    e_tot = traj["observables"]["total_energy"][nve]
    temp = traj["observables"]["temperature"][nve]
    check(abs(t[-1] - args.nve_ps) < 1e-6, f"NVE stage of {t[-1]:.3f} ps, {nve.sum()} frames")
    slope = np.polyfit(t, e_tot, 1)[0]
    drift = slope / n_atoms * 1000.0
    excursion = float(np.max(np.abs(e_tot - e_tot[0]))) / n_atoms * 1000.0
    fluct = float(np.std(e_tot)) / n_atoms * 1000.0
    print(f"  NVE {args.nve_ps:g} ps at 1 fs, {n_atoms} atoms: mean T {temp.mean():.1f} K (min {temp.min():.0f}, "
          f"max {temp.max():.0f}); total energy drift {drift:+.4f} meV/atom/ps, largest excursion "
          f"{excursion:.4f} meV/atom, standard deviation {fluct:.4f} meV/atom")
    check(600.0 <= temp.mean() <= 1200.0, f"mean NVE temperature {temp.mean():.1f} K within 600-1200 K")
    check(abs(drift) < DRIFT_BOUND, f"energy drift |{drift:.4f}| < {DRIFT_BOUND} meV/atom/ps")
    check(excursion < DRIFT_BOUND * args.nve_ps, f"largest excursion {excursion:.4f} meV/atom")
    print("demo model NVE run stable")


if __name__ == "__main__":
    main()
