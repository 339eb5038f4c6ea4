#!/usr/bin/env python3
"""The shipped demo model reproduces its published errors: `e3md eval --model inputs/models/demo_lipon.h5` on every
frame of the held-out test set (inputs/models/demo_lipon_test.xyz, classical labels), errors computed here with ASE
(energy per atom, every force component, every stress component), equal to the test-set row of
inputs/models/demo_lipon.errors.json and of the model card (inputs/models/demo_lipon.md).

The model is evaluated in float64 on the same positions as when the errors were recorded, so the statistics agree
to rounding (relative 1e-9; the JSON file holds them to full double precision). The card's table is checked at the
precision it prints.

    test_model_errors.py --e3md E3MD --work DIR
"""
import json
import pathlib
import sys

import numpy as np
from ase.io import read

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "run"))
from run_support import ROOT, check, script_setup  # noqa: E402

MODELS = ROOT / "inputs" / "models"
EV_A3_GPA = 160.21766208


def split_frames(path, work):
    """One file per frame, the labelled frame's own text (e3md eval reads species and positions from it)."""
    lines = path.read_text().splitlines(keepends=True)
    files, i = [], 0
    while i < len(lines):
        n = int(lines[i])
        f = work / f"frame{len(files):03d}.xyz"
        f.write_text("".join(lines[i:i + n + 2]))
        files.append(f)
        i += n + 2
    return files


def stats(v):
    v = np.asarray(v, float)
    return {"mae": float(np.mean(np.abs(v))), "rmse": float(np.sqrt(np.mean(v ** 2)))}


def main():
    _, work, run = script_setup()
    published = json.loads((MODELS / "demo_lipon.errors.json").read_text())["splits"]["test"]

    de, df, ds = [], [], []
    frames = split_frames(MODELS / "demo_lipon_test.xyz", work)
    for f in frames:
        out = f.with_suffix(".model.xyz")
        run.run(["eval", "--model", MODELS / "demo_lipon.h5", "--structure", f, "--format", "extxyz", "-o", out])
        ref, got = read(f), read(out)
        check_same = np.array_equal(ref.positions, got.positions) and ref.get_chemical_symbols() == got.get_chemical_symbols()
        if not check_same:
            check(False, f"{f.name}: e3md eval wrote other atoms than it was given")
        n = len(ref)
        de.append((got.get_potential_energy() - ref.get_potential_energy()) / n * 1000.0)
        df.append((got.get_forces() - ref.get_forces()).ravel())
        ds.append((got.get_stress(voigt=False) - ref.get_stress(voigt=False)).ravel() * EV_A3_GPA)
    ours = {"frames": len(frames), "atoms": int(sum(len(read(f)) for f in frames)),
            "energy_meV_per_atom": stats(de), "forces_eV_per_A": stats(np.concatenate(df)),
            "stress_GPa": stats(np.concatenate(ds))}
    print(json.dumps(ours, indent=1))
    check(ours["frames"] == published["frames"] and ours["atoms"] == published["atoms"],
          f"test set of {ours['frames']} frames, {ours['atoms']} atoms, as published")
    for key in ("energy_meV_per_atom", "forces_eV_per_A", "stress_GPa"):
        for s in ("mae", "rmse"):
            a, b = ours[key][s], published[key][s]
            check(abs(a - b) <= 1e-9 * abs(b) + 1e-12, f"{key} {s}: {a:.6g} here, {b:.6g} published")

    e, f, st = ours["energy_meV_per_atom"], ours["forces_eV_per_A"], ours["stress_GPa"]
    row = (f"| test | {ours['frames']} | {ours['atoms']} | {e['mae']:.2f} / {e['rmse']:.2f} | "
           f"{f['mae']:.3f} / {f['rmse']:.3f} | {st['mae']:.3f} / {st['rmse']:.3f} |")
    card = (MODELS / "demo_lipon.md").read_text()
    check(row in card.splitlines(), f"the model card's test row is {row}")
    print("demo model errors reproduced")


if __name__ == "__main__":
    main()
