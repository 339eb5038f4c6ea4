#!/usr/bin/env python3
"""Parity: the file-only numpy evaluator (numpy_nequip.py) against nequip, for every model make_models.py wrote.

    test_numpy_parity.py MODELS_DIR

Checks, per model file:
  1. energy of every stored reference structure: |dE|/|E| <= 1e-10; atomic energies to 1e-10 * max|e_i|.
  2. forces = -dE/dx of the numpy energy (central differences, h = 1e-5 Å, on the smallest stored structure) vs
     nequip's autograd forces: max error <= 1e-6 * max(1, max|F|).
  3. virial = -sym(dE/d strain) (central differences) vs nequip's virial, same tolerance; stress = -virial/V.
  4. same bytes: the structure is written to extxyz by ASE, read back, and nequip (tools/nequip_reference.py,
     float64 rebuild from the training directory) and the numpy evaluator both run on what was read back:
     |dE|/|E| <= 1e-10.
Exit status 1 on any failure, with one line per failed check.
"""
import pathlib
import sys
import tempfile

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1] / "tools"))
import numpy_nequip as nn  # noqa: E402

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def virial_fd(M, pos, cell, pbc, types, h=1e-5):
    edges = nn.neighbor_list(pos, cell, pbc, float(M["edge"]["r_max"]))  # integer shifts: valid under strain
    G = np.zeros((3, 3))
    for a in range(3):
        for b in range(3):
            Es = []
            for sgn in (1, -1):
                eps = np.eye(3)
                eps[a, b] += sgn * h
                Es.append(nn.energy(M, pos @ eps, cell @ eps, pbc, types, edges))
            G[a, b] = (Es[0] - Es[1]) / (2 * h)
    return -0.5 * (G + G.T)


def check_model(path):
    M = nn.load(path)
    name = path.name
    refs = [(k, s) for k, s in M["reference"].items() if k.startswith("structure")]
    check(len(refs) >= 2, f"{name}: has reference structures")
    for k, s in refs:
        pbc = s["pbc"].astype(bool)
        e, n_edges = nn.atomic_energies(M, s["positions"], s["cell"], pbc, s["types"])
        E = nn.energy(M, s["positions"], s["cell"], pbc, s["types"])
        rel = abs(E - s["energy"]) / abs(s["energy"])
        check(rel <= 1e-10 and n_edges == s["num_edges"],
              f"{name} {k}: energy rel err {rel:.2e} (<= 1e-10), edges {n_edges} vs nequip {s['num_edges']}")
        ae = np.abs(e - s["atomic_energies"]).max() / max(1.0, np.abs(s["atomic_energies"]).max())
        check(ae <= 1e-10, f"{name} {k}: atomic energies rel err {ae:.2e} (<= 1e-10)")
    k, s = min(refs, key=lambda r: len(r[1]["types"]))  # finite differences on the smallest (cost ~ N^2)
    pbc = s["pbc"].astype(bool)
    F = nn.forces_fd(M, s["positions"], s["cell"], pbc, s["types"])
    scale = max(1.0, np.abs(s["forces"]).max())
    err = np.abs(F - s["forces"]).max() / scale
    check(err <= 1e-6, f"{name} {k}: finite-difference forces vs nequip, rel err {err:.2e} (<= 1e-6)")
    if "virial" in s:
        V = virial_fd(M, s["positions"], s["cell"], pbc, s["types"])
        scale = max(1.0, np.abs(s["virial"]).max())
        err = np.abs(V - s["virial"]).max() / scale
        check(err <= 1e-6, f"{name} {k}: finite-difference virial vs nequip, rel err {err:.2e} (<= 1e-6)")
        vol = abs(np.linalg.det(s["cell"]))
        err = np.abs(-s["virial"] / vol - s["stress"]).max() / max(1e-3, np.abs(s["stress"]).max())
        check(err <= 1e-12, f"{name} {k}: stored stress == -virial/V, rel err {err:.2e}")
    return M, s


def check_same_bytes(path, M, s):
    import ase.io
    from ase import Atoms
    import nequip_reference
    train = path.parent / path.name.replace(".h5", "") / "train"
    names = list(M["species"]["names"])
    names = [n.decode() if isinstance(n, bytes) else n for n in names]
    atoms = Atoms([names[t] for t in s["types"]], positions=s["positions"], cell=s["cell"], pbc=True)
    with tempfile.TemporaryDirectory() as tmp:
        xyz = pathlib.Path(tmp) / "s.xyz"
        ase.io.write(str(xyz), atoms, format="extxyz")
        back = ase.io.read(str(xyz))
        ref = nequip_reference.references([xyz], train_dir=train)[0]
    moved = np.abs(back.positions - s["positions"]).max()
    E = nn.energy(M, back.positions, back.cell.array, back.pbc, s["types"])
    rel = abs(E - ref["energy"]) / abs(ref["energy"])
    check(rel <= 1e-10, f"{path.name}: extxyz round trip (positions moved {moved:.1e} Å), numpy vs nequip on the "
          f"read-back bytes, rel err {rel:.2e} (<= 1e-10)")


def main():
    d = pathlib.Path(sys.argv[1])
    models = sorted(p for p in d.glob("*.h5") if not p.name.endswith(".deployed.h5"))
    check(len(models) >= 6, f"{len(models)} exported models found in {d}")
    import nequip_loader
    nequip_loader.silence_warnings()
    for path in models:
        M, s = check_model(path)
        check_same_bytes(path, M, s)
    for path in sorted(d.glob("*.deployed.h5")):
        check_model(path)
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
