#!/usr/bin/env python3
"""A deck's `potential.precision` reaches the NequIP potential: the same 5-step NVE run with `float32` and
`float64` gives thermo energies within 1e-5 relative of each other, and final positions that differ (float32
forces) by less than 1e-6 Å. Identical outputs would mean the key was ignored."""
import argparse
import pathlib
import re
import subprocess
import sys

import numpy as np

DECK = """system: {{structure: {structure}}}
potential: {{model: {model}, precision: {precision}}}
velocities: {{temperature: 300, seed: 7}}
stages:
  - {{name: md, type: nve, timestep: 0.001, steps: 5}}
output: {{directory: {out}, thermo: 1, final_structure: final.xyz}}
"""


def write_structure(path):
    """24 Li/O atoms on a jittered lattice in a triclinic cell (no overlaps, every force non-zero)."""
    rng = np.random.default_rng(5)
    cell = np.array([[6.4, 0.0, 0.0], [0.7, 6.1, 0.0], [-0.4, 0.5, 6.6]])
    lines = []
    for i in range(2):
        for j in range(2):
            for k in range(2):
                for sp, f in (("Li", (0, 0, 0)), ("O", (0.5, 0.5, 0.5)), ("Li", (0.5, 0, 0.25))):
                    x = ((np.array([i, j, k]) + f) / 2) @ cell + rng.uniform(-0.25, 0.25, 3)
                    lines.append(f"{sp} {x[0]:.10f} {x[1]:.10f} {x[2]:.10f}")
    head = 'Lattice="%s" Properties=species:S:1:pos:R:3 pbc="T T T"' % " ".join(str(v) for v in cell.reshape(-1))
    path.write_text(f"{len(lines)}\n{head}\n" + "\n".join(lines) + "\n")


def run(args, work, precision):
    out = work / precision
    deck = work / f"deck_{precision}.yaml"
    deck.write_text(DECK.format(structure=args.structure, model=args.model, precision=precision, out=out))
    res = subprocess.run([args.e3md, "run", str(deck)], capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"FAIL: e3md run {deck} exited {res.returncode}:\n{res.stdout}\n{res.stderr}")
    # thermo rows: step time T PE KE Etot Econs P V ...
    rows = [ln.split("]")[-1].split() for ln in (res.stdout + res.stderr).splitlines()]
    pe = np.array([float(r[3]) for r in rows if len(r) > 8 and re.fullmatch(r"\d+", r[0])])
    lines = (out / "final.xyz").read_text().splitlines()
    pos = np.array([[float(v) for v in ln.split()[1:4]] for ln in lines[2:2 + int(lines[0])]])
    return pe, pos


def main():
    ap = argparse.ArgumentParser()
    for k in ("--e3md", "--model", "--work"):
        ap.add_argument(k, required=True)
    args = ap.parse_args()
    work = pathlib.Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    args.structure = work / "lio24.xyz"
    write_structure(args.structure)
    pe64, x64 = run(args, work, "float64")
    pe32, x32 = run(args, work, "float32")
    de = np.abs(pe32 - pe64).max() / np.abs(pe64).max()
    dx = np.abs(x32 - x64).max()
    print(f"thermo rows {len(pe64)}/{len(pe32)}: PE rel {de:.1e}, final positions differ by {dx:.1e} A")
    failures = []
    if len(pe64) != 6 or len(pe32) != 6:
        failures.append("expected 6 thermo rows (steps 0-5) per run")
    if not de <= 1e-5:
        failures.append(f"PE differs by {de:.2e} relative (1e-5)")
    if not (0 < dx < 1e-6):
        failures.append(f"final positions differ by {dx:.2e} A (expected > 0 and < 1e-6)")
    print("FAIL: " + "; ".join(failures) if failures else "ok")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
