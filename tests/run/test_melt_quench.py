#!/usr/bin/env python3
"""The shipped classical melt-quench deck (inputs/decks/melt_quench_classical.yaml) end to end on 2 ranks: it runs,
and the glass it makes is physically sensible.

Checks on the final NVT stage (time-averaged partial RDFs from `e3md analyze rdf`, final structure from the run):
  * P-O first peak at 1.50-1.62 Å (phosphate bond; Pedone's r0 is 1.80 Å but Coulomb pulls it in), Li-O at
    1.85-2.15 Å;
  * P is four-fold coordinated by O + N (n_P-O + n_P-N at the first minimum, 2.0 Å, within 3.7-4.3: PO4 tetrahedra);
  * no P-P pair closer than 2.5 Å (no P-P bonds);
  * density 1.9-2.8 g/cm³ after NPT at 300 K and 1 bar (LiPON films: 2.3-2.5);
  * composition unchanged (312 atoms: Li120 P40 O132 N20).

    test_melt_quench.py --e3md E3MD --mpiexec "mpiexec -np N ..." --work DIR
"""
import re

import numpy as np

from run_support import ROOT, check, read_trajectory, script_setup

AMU_G = 1.66053906660e-24
MASS = {"Li": 6.94, "P": 30.973762, "O": 15.999, "N": 14.007}


def read_csv(path):
    rows = [ln for ln in path.read_text().splitlines() if ln and not ln.startswith("#")]
    header = rows[0].split(",")
    data = np.array([[float(v) for v in ln.split(",")] for ln in rows[1:]])
    return {h: data[:, i] for i, h in enumerate(header)}


def first_peak(r, g, lo, hi):
    m = (r >= lo) & (r <= hi)
    return float(r[m][np.argmax(g[m])])


def read_extxyz(path):
    lines = path.read_text().splitlines()
    n = int(lines[0])
    lattice = np.array(re.search(r'Lattice="([^"]+)"', lines[1]).group(1).split(), float).reshape(3, 3)
    species = [ln.split()[0] for ln in lines[2:2 + n]]
    return lattice, species


def main():
    args, work, run = script_setup(mpi=True)

    deck = (ROOT / "inputs" / "decks" / "melt_quench_classical.yaml").read_text()
    deck = deck.replace("../potentials/pedone_lipon.yaml", str(ROOT / "inputs" / "potentials" / "pedone_lipon.yaml"))
    deck = re.sub(r"directory: \S+", f"directory: {work / 'out'}", deck)
    (work / "deck.yaml").write_text(deck)
    p = run.run(["run", work / "deck.yaml"], args.ranks, timeout=900)
    check("run finished" in p.stdout, f"melt-quench deck ran on {args.ranks} ranks")

    traj_path = work / "out" / "melt_quench.h5md"
    traj = read_trajectory(traj_path)
    check(np.all(np.isfinite(traj["position"])), f"trajectory of {traj['frames']} finite frames")
    # The final NVT stage is the last 2 ps: 40 frames every 50 steps.
    rdf_csv = work / "rdf.csv"
    run.run(["analyze", "rdf", traj_path, "--start", "-40", "--pairs", "P-O,Li-O,P-N,P-P", "--rmax", "6",
             "--bins", "300", "-o", rdf_csv])
    rdf = read_csv(rdf_csv)
    r = rdf["r[Angstrom]"]
    po = first_peak(r, rdf["g_P-O[1]"], 1.2, 2.0)
    lio = first_peak(r, rdf["g_Li-O[1]"], 1.5, 2.6)
    print(f"  first peaks: P-O {po:.3f} Å, Li-O {lio:.3f} Å")
    check(1.50 <= po <= 1.62, f"P-O first peak {po:.3f} Å within 1.50-1.62 Å")
    check(1.85 <= lio <= 2.15, f"Li-O first peak {lio:.3f} Å within 1.85-2.15 Å")
    at2 = int(np.searchsorted(r, 2.0))
    cn = float(rdf["n_P-O[1]"][at2] + rdf["n_P-N[1]"][at2])
    print(f"  P coordination by O + N within 2.0 Å: {cn:.3f}")
    check(3.7 <= cn <= 4.3, f"P four-fold coordinated ({cn:.3f})")
    pp_close = float(rdf["n_P-P[1]"][int(np.searchsorted(r, 2.5))])
    check(pp_close < 0.01, f"no P-P pairs below 2.5 Å (n = {pp_close:.4f})")

    lattice, species = read_extxyz(work / "out" / "final.xyz")
    counts = {s: species.count(s) for s in MASS}
    check(counts == {"Li": 120, "P": 40, "O": 132, "N": 20}, f"composition kept: {counts}")
    volume = abs(np.linalg.det(lattice))
    density = sum(MASS[s] for s in species) * AMU_G / (volume * 1e-24)
    print(f"  density after NPT: {density:.3f} g/cm³")
    check(1.9 <= density <= 2.8, f"density {density:.3f} g/cm³ within 1.9-2.8")
    print("melt-quench checks passed")


if __name__ == "__main__":
    main()
