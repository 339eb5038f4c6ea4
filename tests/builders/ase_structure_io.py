"""ASE side of the structure-file parity tests (tests/builders/test_structure_io_parity.cpp).

  ase_structure_io.py ase-write DIR   ASE writes ase.xyz (2 frames), POSCAR_ase, ase.data; reads them back
                                      itself and dumps what it read to DIR/ase_ref.json
  ase_structure_io.py ase-read DIR    ASE reads e3md.xyz, POSCAR_e3md, e3md.data (written by e3md) and dumps
                                      what it read to DIR/e3md_ref.json
Floats go through JSON with repr, so the comparison on the C++ side can be exact.
"""
import json
import sys

import numpy as np
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator
from ase.constraints import voigt_6_to_full_3x3_stress
from ase.io import read, write

SPECORDER = ["Li", "P", "O", "N"]
Z_OF_TYPE = {1: 3, 2: 15, 3: 8, 4: 7}


def dump(atoms):
    calc = atoms.calc
    out = {
        "cell": atoms.cell.array.tolist(),
        "pbc": [bool(x) for x in atoms.pbc],
        "symbols": atoms.get_chemical_symbols(),
        "positions": atoms.positions.tolist(),
        "info": {k: str(v) for k, v in atoms.info.items()},
        "energy": None,
        "stress": None,
        "forces": None,
    }
    if calc is not None:
        if "energy" in calc.results:
            out["energy"] = float(calc.results["energy"])
        if "stress" in calc.results:
            st = np.asarray(calc.results["stress"])
            out["stress"] = (voigt_6_to_full_3x3_stress(st) if st.shape == (6,) else st).tolist()
        if "forces" in calc.results:
            out["forces"] = np.asarray(calc.results["forces"]).tolist()
    return out


def ase_write(d):
    rng = np.random.default_rng(42)
    cell = np.diag([5.1, 6.2, 7.3]) + rng.uniform(-1.2, 1.2, (3, 3))
    n = 10
    syms = [SPECORDER[i % 4] for i in range(n)]
    a = Atoms(syms, scaled_positions=rng.uniform(0, 1, (n, 3)), cell=cell, pbc=[True, True, False])
    a.info["config_type"] = "ase_frame"
    a.info["note"] = "two words"
    stress = rng.uniform(-0.1, 0.1, 6)
    a.calc = SinglePointCalculator(a, energy=-42.125, forces=rng.uniform(-1, 1, (n, 3)), stress=stress)
    b = Atoms(["Li", "O", "O"], positions=rng.uniform(0, 4, (3, 3)), cell=np.diag([4.0, 4.5, 5.0]), pbc=True)
    write(f"{d}/ase.xyz", [a, b], format="extxyz")
    c = a.copy()
    c.pbc = True
    write(f"{d}/POSCAR_ase", c, format="vasp", direct=True, vasp5=True)
    write(f"{d}/ase.data", c, format="lammps-data", specorder=SPECORDER, atom_style="atomic")
    ref = {
        "xyz": [dump(x) for x in read(f"{d}/ase.xyz", index=":", format="extxyz")],
        "poscar": dump(read(f"{d}/POSCAR_ase", format="vasp")),
        "lammps": dump(read(f"{d}/ase.data", format="lammps-data", style="atomic", Z_of_type=Z_OF_TYPE)),
    }
    with open(f"{d}/ase_ref.json", "w") as f:
        json.dump(ref, f)


def ase_read(d):
    ref = {
        "xyz": [dump(x) for x in read(f"{d}/e3md.xyz", index=":", format="extxyz")],
        "poscar": dump(read(f"{d}/POSCAR_e3md", format="vasp")),
        "lammps": dump(read(f"{d}/e3md.data", format="lammps-data", style="atomic", Z_of_type=Z_OF_TYPE)),
    }
    with open(f"{d}/e3md_ref.json", "w") as f:
        json.dump(ref, f)


if __name__ == "__main__":
    {"ase-write": ase_write, "ase-read": ase_read}[sys.argv[1]](sys.argv[2])
