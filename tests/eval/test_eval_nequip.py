#!/usr/bin/env python3
"""`e3md eval --model` against nequip's own float64 evaluation (tools/nequip_reference.py) on structures that
exercise periodic images: a bulk cell smaller than 2·r_max, a cell smaller than r_max (an atom sees its own
images), a slab with vacuum (T T T), the same slab with pbc T T F (stress must be null), and a finite cluster.

Tolerances: energy 1e-9 relative, forces 1e-8 eV/Å max abs, virial 1e-8 relative to max |virial|; stress must
equal −virial/V. Also checks that the extxyz output carries the same numbers as the JSON output.
`--precision float32` on the same structures: energy within 1e-5 of |E|, forces within 1e-5 of max |F|, virial
within 1e-5 of max |virial| of nequip's float64 results, and the JSON says which precision it used.
"""
import argparse
import json
import pathlib
import shlex
import subprocess
import sys

import numpy as np


def write_xyz(path, species, pos, cell, pbc):
    # 17 significant digits: e3md and nequip read the same doubles from these bytes.
    lines = [str(len(species)),
             'Lattice="%s" Properties=species:S:1:pos:R:3 pbc="%s"'
             % (" ".join("%.17g" % v for v in np.asarray(cell).reshape(-1)), " ".join("T" if p else "F" for p in pbc))]
    for s, p in zip(species, pos):
        lines.append("%s %.17g %.17g %.17g" % (s, *p))
    pathlib.Path(path).write_text("\n".join(lines) + "\n")


def jittered_lattice(rng, cell, reps, basis, jitter):
    """Atoms on a lattice (no overlaps) displaced randomly, so every force component is non-zero."""
    species, pos = [], []
    for i in range(reps[0]):
        for j in range(reps[1]):
            for k in range(reps[2]):
                for s, f in basis:
                    frac = (np.array([i, j, k]) + np.asarray(f)) / np.asarray(reps)
                    species.append(s)
                    pos.append(frac @ cell + rng.uniform(-jitter, jitter, 3))
    return species, np.array(pos)


def structures(work, rng):
    out = {}
    # Bulk: triclinic cell of ~6.4 Å, below 2·r_max = 8 Å (several images of one neighbour in range).
    cell = np.array([[6.4, 0.0, 0.0], [0.7, 6.1, 0.0], [-0.4, 0.5, 6.6]])
    basis = [("Li", (0, 0, 0)), ("O", (0.5, 0.5, 0.5)), ("Li", (0.5, 0, 0.25))]
    sp, pos = jittered_lattice(rng, cell, (2, 2, 2), basis, 0.25)
    out["bulk_small_cell"] = (sp, pos, cell, (True, True, True))
    # Cell shorter than r_max along a: an atom interacts with its own periodic images.
    cell = np.array([[3.3, 0.0, 0.0], [0.0, 5.0, 0.0], [0.0, 0.3, 5.2]])
    sp, pos = jittered_lattice(rng, cell, (1, 2, 2), [("Li", (0, 0, 0)), ("O", (0.5, 0.5, 0.5))], 0.2)
    out["tiny_cell"] = (sp, pos, cell, (True, True, True))
    # Slab with 12 Å of vacuum along c.
    cell = np.array([[6.0, 0.0, 0.0], [0.0, 6.0, 0.0], [0.0, 0.0, 18.0]])
    sp, pos = jittered_lattice(rng, np.diag([6.0, 6.0, 6.0]), (2, 2, 2), basis, 0.2)
    pos[:, 2] += 3.0
    out["slab_vacuum"] = (sp, pos, cell, (True, True, True))
    out["slab_pbc_TTF"] = (sp, pos, cell, (True, True, False))
    # Finite cluster.
    cell = np.diag([14.0, 14.0, 14.0])
    pos = np.array([[4 + 2.1 * a, 4 + 2.0 * b, 4 + 2.2 * c] for a in range(2) for b in range(2) for c in range(2)])
    pos += rng.uniform(-0.2, 0.2, pos.shape)
    sp = ["Li", "O", "O", "Li", "Li", "O", "Li", "O"]
    out["cluster"] = (sp, pos, cell, (False, False, False))
    paths = {}
    for name, (sp, pos, cell, pbc) in out.items():
        paths[name] = work / f"{name}.xyz"
        write_xyz(paths[name], sp, pos, cell, pbc)
    return paths


def run_eval(args, structure, fmt, output, precision="float64"):
    cmd = [args.e3md, "eval", "--model", args.model, "--structure", str(structure), "--format", fmt, "-o", str(output),
           "--precision", precision]
    if args.ranks > 1:
        cmd = shlex.split(args.mpiexec.replace(" N ", f" {args.ranks} ")) + cmd
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"FAIL: {' '.join(cmd)} exited {res.returncode}:\n{res.stdout}\n{res.stderr}")


def main():
    ap = argparse.ArgumentParser()
    for k in ("--e3md", "--mpiexec", "--model", "--train-dir", "--work", "--source"):
        ap.add_argument(k, required=True)
    ap.add_argument("--ranks", type=int, default=1)
    args = ap.parse_args()
    work = pathlib.Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    paths = structures(work, np.random.default_rng(20261125))

    sys.path.insert(0, str(pathlib.Path(args.source) / "tools"))
    import nequip_reference  # noqa: E402
    refs = nequip_reference.references([str(p) for p in paths.values()], train_dir=args.train_dir)
    failures = []
    for (name, path), ref in zip(paths.items(), refs):
        run_eval(args, path, "json", work / f"{name}.json")
        got = json.loads((work / f"{name}.json").read_text())
        e_ref, f_ref, w_ref = ref["energy"], np.array(ref["forces"]), np.array(ref["virial"])
        f_got, w_got = np.array(got["forces"]), np.array(got["virial"])
        de = abs(got["energy"] - e_ref) / abs(e_ref)
        df = np.abs(f_got - f_ref).max()
        dw = np.abs(w_got - w_ref).max() / np.abs(w_ref).max()
        print(f"{args.ranks} rank(s) {name:16s} natoms {got['natoms']:3d} edges {ref['num_edges']:5d}: energy rel "
              f"{de:.1e}, forces abs {df:.1e} eV/A (max |F| {np.abs(f_ref).max():.2f}), virial rel {dw:.1e}")
        if got["natoms"] != len(f_ref) or f_got.shape != f_ref.shape:
            failures.append(f"{name}: natoms/forces shape {f_got.shape} vs {f_ref.shape}")
        if not (de <= 1e-9 and df <= 1e-8 and dw <= 1e-8):
            failures.append(f"{name}: energy rel {de:.2e} (1e-9), forces {df:.2e} (1e-8), virial rel {dw:.2e} (1e-8)")
        if got["precision"] != "float64":
            failures.append(f"{name}: JSON precision {got['precision']!r}, expected 'float64'")
        run_eval(args, path, "json", work / f"{name}.f32.json", precision="float32")
        g32 = json.loads((work / f"{name}.f32.json").read_text())
        de32 = abs(g32["energy"] - e_ref) / abs(e_ref)
        df32 = np.abs(np.array(g32["forces"]) - f_ref).max() / np.abs(f_ref).max()
        dw32 = np.abs(np.array(g32["virial"]) - w_ref).max() / np.abs(w_ref).max()
        print(f"{args.ranks} rank(s) {name:16s} float32: energy rel {de32:.1e}, forces {df32:.1e} of max |F|, "
              f"virial {dw32:.1e} of max |virial|")
        if g32["precision"] != "float32" or not (de32 <= 1e-5 and df32 <= 1e-5 and dw32 <= 1e-5):
            failures.append(f"{name}: float32 ({g32['precision']}) energy rel {de32:.2e}, forces {df32:.2e}, "
                            f"virial {dw32:.2e} (each 1e-5)")
        periodic = name != "slab_pbc_TTF" and name != "cluster"
        if periodic:
            vol = abs(np.linalg.det(np.array([float(x) for x in path.read_text().split('"')[1].split()]).reshape(3, 3)))
            ds = np.abs(np.array(got["stress"]) + w_got / vol).max() / (np.abs(w_got).max() / vol)
            if got["stress"] is None or ds > 1e-14:
                failures.append(f"{name}: stress is not -virial/V (rel {ds:.1e})")
            if "stress" in ref and np.abs(np.array(got["stress"]) - np.array(ref["stress"])).max() > 1e-8 * np.abs(
                    np.array(ref["stress"])).max():
                failures.append(f"{name}: stress differs from nequip's")
        elif got["stress"] is not None:
            failures.append(f"{name}: stress must be null without full periodicity, got {got['stress']}")
        # The extxyz output carries the same labels (read back with ASE, an independent parser).
        if name == "slab_vacuum":
            import ase.io
            run_eval(args, path, "extxyz", work / f"{name}.out.xyz")
            atoms = ase.io.read(str(work / f"{name}.out.xyz"))
            calc = atoms.calc
            if abs(calc.get_potential_energy() - got["energy"]) > 0 or \
                    np.abs(calc.get_forces() - f_got).max() > 0 or \
                    np.abs(atoms.get_positions() - ase.io.read(str(path)).get_positions()).max() > 0:
                failures.append(f"{name}: extxyz output differs from the JSON output or the input positions")
            stress_voigt = atoms.get_stress(voigt=True)
            s = np.array(got["stress"])
            if np.abs(stress_voigt - s[[0, 1, 2, 1, 0, 0], [0, 1, 2, 2, 2, 1]]).max() > 0:
                failures.append(f"{name}: extxyz stress differs from the JSON stress")
    if failures:
        print("FAIL:\n  " + "\n  ".join(failures))
        return 1
    print("all structures within tolerance")
    return 0


if __name__ == "__main__":
    sys.exit(main())
