"""spglib side of the crystal-builder parity tests (tests/builders/test_crystals.cpp).

  spglib_reference.py detect FILE.xyz OUT.json   space group number of every frame (symprec 1e-3 and 1e-5)
  spglib_reference.py ops OUT.json N [N ...]     for each space group number, the operation sets of every
                                                 setting (Hall number) in spglib's database
"""
import json
import sys

import numpy as np
import spglib
from ase.io import read


def detect(path, out):
    res = []
    for a in read(path, index=":", format="extxyz"):
        symbols = sorted(set(a.get_chemical_symbols()))
        cell = (a.cell.array, a.get_scaled_positions(), [symbols.index(s) for s in a.get_chemical_symbols()])
        res.append({
            "number": spglib.get_symmetry_dataset(cell, symprec=1e-3)["number"],
            "number_tight": spglib.get_symmetry_dataset(cell, symprec=1e-5)["number"],
        })
    json.dump(res, open(out, "w"))


def ops(out, numbers):
    res = {}
    for n in numbers:
        settings = []
        for hall in range(1, 531):
            t = spglib.get_spacegroup_type(hall)
            if t["number"] != n:
                continue
            d = spglib.get_symmetry_from_database(hall)
            settings.append({
                "hall": hall,
                "hall_symbol": t["hall_symbol"],
                "rotations": d["rotations"].tolist(),
                "translations": (np.asarray(d["translations"]) % 1.0).tolist(),
            })
        res[str(n)] = settings
    json.dump(res, open(out, "w"))


if __name__ == "__main__":
    if sys.argv[1] == "detect":
        detect(sys.argv[2], sys.argv[3])
    else:
        ops(sys.argv[2], [int(x) for x in sys.argv[3:]])
