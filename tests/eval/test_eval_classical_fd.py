#!/usr/bin/env python3
"""`e3md eval --potential`: forces equal minus the central finite-difference gradient of the eval energy.

A small jittered Li-P-O cell (periodic, shorter than twice the 8 Å Coulomb cutoff, so images matter) is
evaluated once, then with single coordinates displaced by ±h. The energies are read from the JSON output
(17 significant digits). Tolerance: |F − F_fd| <= 1e-6 · max |F| for every checked component.
"""
import argparse
import json
import pathlib
import subprocess
import sys

import numpy as np


def write_xyz(path, species, pos, cell):
    lines = [str(len(species)), 'Lattice="%s" Properties=species:S:1:pos:R:3 pbc="T T T"'
             % " ".join("%.17g" % v for v in cell.reshape(-1))]
    lines += ["%s %.17g %.17g %.17g" % (s, *p) for s, p in zip(species, pos)]
    pathlib.Path(path).write_text("\n".join(lines) + "\n")


def evaluate(args, work, name, species, pos, cell):
    xyz, out = work / f"{name}.xyz", work / f"{name}.json"
    write_xyz(xyz, species, pos, cell)
    cmd = [args.e3md, "eval", "--potential", args.potential, "--structure", str(xyz), "-o", str(out)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"FAIL: {' '.join(cmd)} exited {res.returncode}:\n{res.stderr}")
    return json.loads(out.read_text())


def main():
    ap = argparse.ArgumentParser()
    for k in ("--e3md", "--potential", "--work"):
        ap.add_argument(k, required=True)
    ap.add_argument("--h", type=float, default=1e-4, help="displacement (Å)")
    args = ap.parse_args()
    work = pathlib.Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    # Li3PO4-like composition on a jittered 2x2x2 grid of 8-atom motifs (no overlaps below ~1.4 Å).
    cell = np.array([[7.2, 0.0, 0.0], [0.4, 7.0, 0.0], [-0.3, 0.2, 7.4]])
    motif = [("P", (0.25, 0.25, 0.25)), ("O", (0.25, 0.25, 0.47)), ("O", (0.45, 0.25, 0.15)),
             ("O", (0.10, 0.40, 0.15)), ("O", (0.10, 0.10, 0.15)), ("Li", (0.75, 0.75, 0.75)),
             ("Li", (0.75, 0.25, 0.75)), ("Li", (0.25, 0.75, 0.75))]
    species, frac = [], []
    for i in range(2):
        for j in range(2):
            for k in range(2):
                for s, f in motif:
                    species.append(s)
                    frac.append((np.array([i, j, k]) + np.asarray(f)) / 2.0)
    pos = np.array(frac) @ cell + rng.uniform(-0.08, 0.08, (len(species), 3))
    base = evaluate(args, work, "base", species, pos, cell)
    forces = np.array(base["forces"])
    fmax = np.abs(forces).max()
    worst = 0.0
    checked = [(a, c) for a in (0, 1, 3, 5, 17, 40, 63) for c in range(3)]
    for a, c in checked:
        e = []
        for sign in (1, -1):
            p = pos.copy()
            p[a, c] += sign * args.h
            e.append(evaluate(args, work, f"d{a}_{c}_{'p' if sign > 0 else 'm'}", species, p, cell)["energy"])
        f_fd = -(e[0] - e[1]) / (2 * args.h)
        err = abs(f_fd - forces[a, c]) / fmax
        worst = max(worst, err)
        print(f"atom {a:2d} ({species[a]:2s}) dir {c}: F {forces[a, c]: .12f}  -dE/dx {f_fd: .12f}  err/max|F| {err:.1e}")
    print(f"{len(checked)} components, max |F| {fmax:.3f} eV/A, worst relative error {worst:.2e} (tolerance 1e-6)")
    return 0 if worst <= 1e-6 else 1


if __name__ == "__main__":
    sys.exit(main())
